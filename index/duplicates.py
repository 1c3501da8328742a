"""Near-copies of one story: articles grouped by MinHash over word shingles (datasketch).

News arrives as many copies of one wire story. Articles whose texts share at least
``threshold`` of their 5-word shingles (estimated Jaccard similarity) form a group; the
group's representative is its first article id in sorted order. Retrieval hands the
answerer one article per group, so the same k passages hold more distinct evidence, and
the citation lists the group's other outlets.

Identical text under different headlines is what a scraper produces when it extracts a
site's boilerplate instead of the story: such articles are flagged as likely extraction
failures.
"""

from __future__ import annotations

from dataclasses import dataclass, field

SHINGLE_WORDS = 5
_PERMUTATIONS = 128


@dataclass
class DuplicateGroups:
    """``representative`` maps each article of a group of two or more to its group's representative."""

    representative: dict[str, str] = field(default_factory=dict)
    same_text_other_titles: list[list[str]] = field(default_factory=list)

    def members(self) -> int:
        return len(self.representative)


def _shingles(text: str) -> set[bytes]:
    words = text.lower().split()
    if len(words) < SHINGLE_WORDS:
        return {" ".join(words).encode()} if words else set()
    return {" ".join(words[i : i + SHINGLE_WORDS]).encode() for i in range(len(words) - SHINGLE_WORDS + 1)}


def group_duplicates(texts: dict[str, str], titles: dict[str, str], threshold: float) -> DuplicateGroups:
    """The near-duplicate groups among articles (id → text), and identical texts under different titles."""
    from datasketch import MinHash, MinHashLSH

    signatures: dict[str, MinHash] = {}
    lsh = MinHashLSH(threshold=threshold, num_perm=_PERMUTATIONS)
    for article_id in sorted(texts):
        shingles = _shingles(texts[article_id])
        if not shingles:
            continue
        signature = MinHash(num_perm=_PERMUTATIONS)
        signature.update_batch(list(shingles))
        signatures[article_id] = signature
        lsh.insert(article_id, signature)
    parent = {article_id: article_id for article_id in signatures}

    def root(article_id: str) -> str:
        while parent[article_id] != article_id:
            parent[article_id] = parent[parent[article_id]]
            article_id = parent[article_id]
        return article_id

    for article_id, signature in signatures.items():
        for other in lsh.query(signature):
            if other != article_id and signature.jaccard(signatures[other]) >= threshold:
                low, high = sorted((root(article_id), root(other)))
                parent[high] = low
    groups: dict[str, list[str]] = {}
    for article_id in signatures:
        groups.setdefault(root(article_id), []).append(article_id)
    result = DuplicateGroups()
    for members in groups.values():
        if len(members) < 2:
            continue
        representative = min(members)
        result.representative.update((member, representative) for member in members)
        by_text: dict[str, list[str]] = {}
        for member in members:
            by_text.setdefault(" ".join(texts[member].split()), []).append(member)
        for same in by_text.values():
            if len({titles.get(member, "") for member in same}) > 1:
                result.same_text_other_titles.append(sorted(same))
    return result
