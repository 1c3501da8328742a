"""Citation verification: every generated sentence must be supported by the sentence it cites.

For each sentence of a generated answer, the verifier scores its support against every
sentence of the passages it cites: a weighted sum of lexical coverage (the share of the
claim's content words the evidence contains) and embedding similarity. Then

* a claim whose cited passage supports it keeps the citation, now pointing to the exact
  supporting sentence (its character span in the article);
* a claim that cites the wrong passage but is supported elsewhere is re-attached to the
  best supporting sentence;
* a claim supported nowhere is dropped from the answer and reported as unsupported.

The threshold and weights are :class:`newsqa.settings.VerifySettings`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from index.embed import Embedder
from newsqa.settings import VerifySettings
from newsqa.text import MARKER, content_terms, marker_numbers, strip_markers
from newsqa.types import Citation, Passage
from rag.nlp.sentences import Sentence, cite, segment, split_sentences

# Markers that open a segment were split off the end of the sentence before it.
_LEADING_MARKERS = re.compile(rf"^(?:\s*{MARKER.pattern})+")
ClaimStatus = Literal["supported", "reattached", "unsupported"]


@dataclass
class ClaimCheck:
    """The verdict on one generated sentence."""

    claim: str
    cited: list[int]
    support: float
    status: ClaimStatus
    evidence: Sentence | None = None


@dataclass
class Verified:
    """The answer rebuilt from supported claims, with exact-sentence citations."""

    text: str
    citations: list[Citation]
    checks: list[ClaimCheck] = field(default_factory=list)

    @property
    def support(self) -> float | None:
        scored = [c.support for c in self.checks]
        return float(np.mean(scored)) if scored else None

    @property
    def unsupported(self) -> list[str]:
        return [c.claim for c in self.checks if c.status == "unsupported"]


def split_claims(text: str) -> list[tuple[str, list[int]]]:
    """Sentences of a generated answer with the passage numbers each one cites."""
    claims: list[tuple[str, list[int]]] = []
    pending: list[int] = []
    for raw in segment(text):
        leading = _LEADING_MARKERS.match(raw)
        if leading and claims:
            claims[-1][1].extend(marker_numbers(leading.group()))
            raw = raw[leading.end() :]
        cited = marker_numbers(raw)
        claim = strip_markers(raw)
        if not claim or not content_terms(claim):
            # A bare "[2]" split off after the full stop belongs to the sentence before it.
            if claims and cited:
                claims[-1][1].extend(cited)
            else:
                pending.extend(cited)
            continue
        claims.append((claim, pending + cited))
        pending = []
    return claims


class CitationVerifier:
    """Checks generated claims against the retrieved passages; see the module docstring."""

    def __init__(self, embedder: Embedder, settings: VerifySettings) -> None:
        self.embedder = embedder
        self.settings = settings

    def _support(self, claims: list[str], evidence: list[Sentence]) -> np.ndarray:
        """A claims x evidence matrix of support scores in [0, 1]."""
        vectors = self.embedder.embed_documents(claims + [e.text for e in evidence])
        semantic = np.clip(vectors[: len(claims)] @ vectors[len(claims) :].T, 0, 1)
        evidence_terms = [set(content_terms(e.text)) for e in evidence]
        lexical = np.zeros_like(semantic)
        for i, claim in enumerate(claims):
            terms = set(content_terms(claim))
            if terms:
                lexical[i] = [len(terms & et) / len(terms) for et in evidence_terms]
        return self.settings.lexical_weight * lexical + self.settings.semantic_weight * semantic

    def verify(self, text: str, passages: list[Passage]) -> Verified:
        claims = split_claims(text)
        evidence = [s for p in passages for s in split_sentences(p)]
        if not claims or not evidence:
            return Verified("", [], [ClaimCheck(c, n, 0.0, "unsupported") for c, n in claims])
        number_of = {p.id: i for i, p in enumerate(passages, start=1)}
        scores = self._support([c for c, _ in claims], evidence)
        threshold = self.settings.support_threshold
        checks: list[ClaimCheck] = []
        citations: list[Citation] = []
        parts: list[str] = []
        status: ClaimStatus
        by_sentence: dict[tuple[str, int], int] = {}
        for row, (claim, cited) in enumerate(claims):
            in_cited = [j for j, e in enumerate(evidence) if number_of[e.passage.id] in cited]
            best_cited = max(in_cited, key=lambda j: scores[row, j], default=None)
            best_any = int(np.argmax(scores[row]))
            if best_cited is not None and scores[row, best_cited] >= threshold:
                status, chosen = "supported", best_cited
            elif scores[row, best_any] >= threshold:
                status, chosen = "reattached", best_any
            else:
                checks.append(ClaimCheck(claim, cited, float(scores[row].max()), "unsupported"))
                continue
            sentence = evidence[chosen]
            key = (sentence.passage.id, sentence.start)
            if key not in by_sentence:
                by_sentence[key] = len(citations) + 1
                citations.append(cite(by_sentence[key], sentence, float(scores[row, chosen])))
            checks.append(ClaimCheck(claim, cited, float(scores[row, chosen]), status, sentence))
            parts.append(f"{claim} [{by_sentence[key]}]")
        return Verified(" ".join(parts), citations, checks)
