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


def test_entities_alone_finds_the_names_a_full_parse_finds_without_parsing():
    from rag import nlp

    texts = [
        "Syrian forces clashed with loyalists in Balqasah, west of Homs, on Thursday, SANA said.",
        "Four firefighters were hurt in the Harbor Street warehouse fire, the Port Anselm fire service said.",
    ]
    full, named = nlp.parse(texts), nlp.entities(texts)
    assert [[(e.text, e.label_) for e in d.ents] for d in named] == [[(e.text, e.label_) for e in d.ents] for d in full]
    assert any(e.label_ == "GPE" for e in named[0].ents) and any(e.label_ == "CARDINAL" for e in named[1].ents)
    # Unparsed: no heads (each word its own), so what a sentence counts is read from parse() only.
    assert all(token.head.i == token.i for token in named[1]) and any(t.dep_ == "nummod" for t in full[1])
