"""spaCy's pipeline and number words."""

from __future__ import annotations

import pytest

from rag.nlp.spans import number_value


def test_number_words_become_digits_but_vague_counts_stay_as_written():
    assert number_value("four") == "4" and number_value("1,200") == "1,200"
    # A vague count is kept as written, not turned into a made-up figure.
    assert number_value("dozens") == "dozens" and number_value("Thousands") == "Thousands"


def test_a_missing_spacy_model_is_one_clear_error(monkeypatch):
    from newsqa.errors import ModelMissingError
    from rag import nlp

    monkeypatch.setattr(nlp, "PIPELINE_PACKAGE", "en_core_web_sm_not_installed")
    nlp._pipeline.cache_clear()
    try:
        with pytest.raises(ModelMissingError, match=r"reinstall newsqa with `pip install -e \.`"):
            nlp.parse(["Who led the loyalists?"])
    finally:
        nlp._pipeline.cache_clear()
