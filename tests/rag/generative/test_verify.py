"""Citation verification on the real model and the sample article's real passages."""

from __future__ import annotations

import pytest

from index.embed import get_embedder
from newsqa.settings import Settings, VerifySettings
from newsqa.types import Query
from rag.generative.verify import CitationVerifier, split_claims
from rag.retrieval.retriever import build_retriever, open_index


@pytest.fixture(scope="module")
def verifier():
    return CitationVerifier(get_embedder(Settings().index), VerifySettings())


@pytest.fixture(scope="module")
def passages(sample_settings):
    """Every passage of the sample article, in article order."""
    index = open_index(sample_settings)
    everything = build_retriever(index, sample_settings.retrieval, k=50).invoke(
        Query(text="Balqasah", vector=index.embedder.embed_query("Balqasah"))
    )
    assert len(everything) == index.store.count()
    return sorted(everything, key=lambda p: p.start)


def test_claims_keep_their_markers_even_after_the_full_stop():
    assert split_claims("Shujaa al-Ali led them [1]. SANA reported two deaths. [2] Talks ended [1][3].") == [
        ("Shujaa al-Ali led them.", [1]),
        ("SANA reported two deaths.", [2]),
        ("Talks ended.", [1, 3]),
    ]


def test_a_supported_sentence_keeps_its_citation_at_the_exact_sentence(verifier, passages):
    number = next(i for i, p in enumerate(passages, 1) if "Shujaa al-Ali" in p.text)
    result = verifier.verify(f"The loyalists were led by a wanted man known as Shujaa al-Ali [{number}].", passages)
    (check,) = result.checks
    assert check.status == "supported"
    (citation,) = result.citations
    assert citation.quote.startswith("An unspecified number of Assad’s supporters, led by a wanted man")
    assert result.text.endswith("[1]") and result.unsupported == []


def test_a_fabricated_sentence_is_flagged_and_dropped(verifier, passages):
    text = "Assad fled the country on Dec. 8 [1]. The rebels then crowned a new king in Paris [1]."
    result = verifier.verify(text, passages)
    assert [c.status for c in result.checks] == ["supported", "unsupported"] or [c.status for c in result.checks] == [
        "reattached",
        "unsupported",
    ]
    assert result.unsupported == ["The rebels then crowned a new king in Paris."]
    assert "king" not in result.text
    assert "fled the country" in result.citations[0].quote and "Dec. 8" in result.citations[0].quote


def test_a_wrong_citation_number_is_reattached_to_the_supporting_sentence(verifier, passages):
    right = next(i for i, p in enumerate(passages, 1) if "Kingo al-Hassan in the Tartus" in p.text)
    wrong = next(i for i, p in enumerate(passages, 1) if "Kingo al-Hassan in the Tartus" not in p.text)
    result = verifier.verify(
        f"Security forces arrested Major-General Mohammed Kingo al-Hassan in the Tartus countryside [{wrong}].",
        passages,
    )
    (check,) = result.checks
    assert check.status == "reattached"
    assert result.citations[0].passage_id == passages[right - 1].id
    assert result.citations[0].quote.startswith("Earlier Thursday, security forces arrested")
