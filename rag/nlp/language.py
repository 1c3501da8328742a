"""Whether a question is in the language of the articles it is asked about.

The embedding model and the reader are English-only: a Spanish question about an English
article retrieves weakly and would end in a false "not in the articles". The question's
language is identified by py3langid (langid.py's model, restricted to widely used
languages so that a short English question is not read as a rare one), and compared with
the language of the passages retrieved for it.
"""

from __future__ import annotations

import threading
from functools import lru_cache

from newsqa.types import Passage

# Code and English name of each language told apart; restricting the set keeps short questions from odd guesses.
LANGUAGES = {
    "en": "English", "es": "Spanish", "de": "German", "fr": "French", "it": "Italian", "pt": "Portuguese",
    "nl": "Dutch", "ar": "Arabic", "zh": "Chinese", "ru": "Russian", "ja": "Japanese", "ko": "Korean",
    "tr": "Turkish", "pl": "Polish", "sv": "Swedish", "hi": "Hindi", "fa": "Persian", "uk": "Ukrainian",
    "id": "Indonesian", "he": "Hebrew", "el": "Greek",
}  # fmt: skip
_PASSAGE_SAMPLE_CHARS = 2000
# Passages with fewer letters than this are too little to tell a language by: a few teasers
# made of names ("Greta Nakamura elected.") read as any language, a rule of "=" signs as none.
_MIN_LETTERS = 200
_lock = threading.Lock()


@lru_cache(maxsize=1)
def _identifier():
    import py3langid.langid as langid

    identifier = langid.LanguageIdentifier.from_model_file(langid.MODEL_FILE, norm_probs=True)
    identifier.set_languages(list(LANGUAGES))
    return identifier


def _language(text: str) -> tuple[str, float]:
    with _lock:
        code, probability = _identifier().classify(text)
    return code, float(probability)


def language_mismatch(question: str, passages: list[Passage], confidence: float) -> tuple[str, str] | None:
    """(question's language, passages' language) when they surely differ, else None."""
    if not passages:
        return None
    asked, sure = _language(question)
    if sure < confidence:
        return None
    sample = " ".join(p.text for p in passages)[:_PASSAGE_SAMPLE_CHARS]
    if sum(c.isalpha() for c in sample) < _MIN_LETTERS:
        return None
    written, sure_written = _language(sample)
    # Both sides must be sure: a question is refused for its language only against articles surely in another.
    if asked == written or sure_written < confidence:
        return None
    return LANGUAGES[asked], LANGUAGES[written]
