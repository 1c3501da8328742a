"""Near-copies of one story: articles grouped by MinHash over word shingles (datasketch).

News arrives as many copies of one wire story. Articles whose texts share at least
``threshold`` of their 5-word shingles (estimated Jaccard similarity) form a group; the
group's representative is its first article id in sorted order. Retrieval hands the
answerer one article per group, so the same k passages hold more distinct evidence, and
the citation lists the group's other outlets.

Each article's signature is kept (:class:`Fingerprints`, saved with the BM25 segment that
holds its chunks), so adding k articles compares only those k with what is indexed
(:func:`copies_in`): candidates are the articles sharing a band of their signature
(locality-sensitive hashing, with datasketch's bands for the threshold), found by bisection
in each segment's bands, sorted once (:class:`BandIndex`), and confirmed by their estimated
Jaccard similarity. Groups are the connected parts of the confirmed pairs.

Identical text under different headlines is what a scraper produces when it extracts a
site's boilerplate instead of the story: such articles are flagged as likely extraction
failures.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from functools import cached_property, lru_cache

import numpy as np

SHINGLE_WORDS = 5
PERMUTATIONS = 128


@dataclass
class DuplicateGroups:
    """``representative`` maps each article of a group of two or more to its group's representative."""

    representative: dict[str, str] = field(default_factory=dict)
    same_text_other_titles: list[list[str]] = field(default_factory=list)

    def members(self) -> int:
        return len(self.representative)

    @cached_property
    def groups(self) -> dict[str, list[str]]:
        """Each representative's group, its articles in order (built once: answers look a group up per passage,
        where a scan of ``representative`` would cost every grouped article of the index, per passage)."""
        members: dict[str, list[str]] = {}
        for article, group in self.representative.items():
            members.setdefault(group, []).append(article)
        return members


@dataclass(frozen=True)
class Fingerprints:
    """Some articles' MinHash signatures (one row each), titles and whole-text keys.

    Articles without a word have no row: they are nobody's copy.
    """

    articles: list[str]
    titles: list[str]
    text_keys: list[str]  # a hash of the whitespace-normalised text: the same text under other titles
    signatures: np.ndarray  # (articles, PERMUTATIONS), uint64

    @classmethod
    def of(cls, texts: dict[str, str], titles: dict[str, str]) -> Fingerprints:
        from datasketch import MinHash

        articles, rows, keys = [], [], []
        for article_id in sorted(texts):
            shingles = _shingles(texts[article_id])
            if not shingles:
                continue
            signature = MinHash(num_perm=PERMUTATIONS)
            signature.update_batch(list(shingles))
            articles.append(article_id)
            rows.append(signature.hashvalues)
            keys.append(hashlib.sha1(" ".join(texts[article_id].split()).encode()).hexdigest())
        signatures = np.array(rows, dtype=np.uint64).reshape(len(rows), PERMUTATIONS)
        return cls(articles, [titles.get(a, "") for a in articles], keys, signatures)

    @classmethod
    def empty(cls) -> Fingerprints:
        return cls.joined([])

    @classmethod
    def joined(cls, parts: Iterable[Fingerprints]) -> Fingerprints:
        parts = list(parts)
        return cls(
            [a for p in parts for a in p.articles],
            [t for p in parts for t in p.titles],
            [k for p in parts for k in p.text_keys],
            np.concatenate([p.signatures for p in parts]) if parts else np.zeros((0, PERMUTATIONS), np.uint64),
        )

    def only(self, keep: set[str]) -> Fingerprints:
        rows = [i for i, a in enumerate(self.articles) if a in keep]
        return Fingerprints(
            [self.articles[i] for i in rows],
            [self.titles[i] for i in rows],
            [self.text_keys[i] for i in rows],
            self.signatures[rows],
        )


def _shingles(text: str) -> set[bytes]:
    words = text.lower().split()
    if len(words) < SHINGLE_WORDS:
        return {" ".join(words).encode()} if words else set()
    return {" ".join(words[i : i + SHINGLE_WORDS]).encode() for i in range(len(words) - SHINGLE_WORDS + 1)}


@lru_cache(maxsize=8)
def _band_shape(threshold: float) -> tuple[int, int]:
    """datasketch's band count and width for the threshold (it integrates to find them: worth keeping)."""
    from datasketch import MinHashLSH

    lsh = MinHashLSH(threshold=threshold, num_perm=PERMUTATIONS)
    return lsh.b, lsh.r


def _bands(signatures: np.ndarray, threshold: float) -> np.ndarray:
    """One key per band of each signature (rows × bands), with datasketch's band count and width for the
    threshold. Two articles sharing a key are candidates; a rare key collision only adds a candidate,
    which the Jaccard check then refuses."""
    count, width = _band_shape(threshold)
    bands = signatures[:, : count * width].reshape(len(signatures), count, width)
    # Odd multipliers mix a band's values into one word (uint64 arithmetic wraps, as a hash should).
    mix = np.random.default_rng(0).integers(1, 2**63, size=width, dtype=np.uint64) | np.uint64(1)
    with np.errstate(over="ignore"):
        return (bands * mix).sum(axis=2, dtype=np.uint64)


@dataclass(frozen=True)
class BandIndex:
    """Some signatures' band keys, each band sorted once: the signatures sharing a band with a new one are
    found by bisection, so a new article costs O(log n) a band, not a sort of every indexed band."""

    keys: np.ndarray  # (bands, rows): each band's keys in order
    rows: np.ndarray  # (bands, rows): the signature row of each of those keys

    @classmethod
    def of(cls, signatures: np.ndarray, threshold: float) -> BandIndex:
        bands = _bands(signatures, threshold).T
        rows = np.argsort(bands, axis=1, kind="stable")
        return cls(np.take_along_axis(bands, rows, axis=1), rows)

    def sharing(self, bands: np.ndarray) -> np.ndarray:
        """The rows that share at least one key with ``bands`` (one signature's band keys)."""
        found = [
            self.rows[band, np.searchsorted(keys, key, "left") : np.searchsorted(keys, key, "right")]
            for band, (keys, key) in enumerate(zip(self.keys, bands))
        ]
        return np.unique(np.concatenate(found)) if found else np.zeros(0, np.int64)


def copies_in(
    new: Fingerprints, old: Fingerprints, index: BandIndex, threshold: float, keep: Callable[[str], bool]
) -> set[tuple[str, str]]:
    """The pairs (sorted) of a ``new`` article and a copy of it among ``old``'s articles that ``keep`` accepts;
    ``index`` is ``old``'s. Candidates share a band; a pair is confirmed by estimated Jaccard similarity."""
    pairs = set()
    for row, bands in enumerate(_bands(new.signatures, threshold)):
        for other in index.sharing(bands):
            article = old.articles[other]
            if article == new.articles[row] or not keep(article):
                continue
            if np.count_nonzero(new.signatures[row] == old.signatures[other]) / PERMUTATIONS >= threshold:
                low, high = sorted((new.articles[row], article))
                pairs.add((low, high))
    return pairs


def copy_pairs(new: Fingerprints, old: Fingerprints, threshold: float) -> list[tuple[str, str]]:
    """The pairs of copies among ``new`` and between ``new`` and ``old`` (each pair sorted, in order).

    No pair of old articles is looked at.
    """
    if not new.articles:
        return []  # an update that only removes: no band of the old articles needs sorting
    both = Fingerprints.joined([old, new])
    return sorted(copies_in(new, both, BandIndex.of(both.signatures, threshold), threshold, lambda _: True))


@dataclass(frozen=True)
class Pairs:
    """Near-copy pairs as numbers: the articles they name, in order (``names``), and each pair as the places
    of its two articles in ``names`` (``rows``: a pair a row, the lesser name first).

    Two arrays, saved as they are and read without parsing, checked and joined in C: an index of a story
    that a hundred outlets carry holds five thousand pairs for it (six million at the scale benchmark's
    million chunks), and every reader finds its groups on opening.
    """

    names: np.ndarray  # str
    rows: np.ndarray  # (pairs, 2), int

    @classmethod
    def of(cls, pairs: Iterable[tuple[str, str]]) -> Pairs:
        ordered = sorted({(min(a, b), max(a, b)) for a, b in pairs})
        names = np.array(sorted({a for pair in ordered for a in pair}), dtype=str)
        rows = np.searchsorted(names, np.array(ordered, dtype=str)) if ordered else np.zeros((0, 2))
        return cls(names, rows.astype(np.int32).reshape(len(ordered), 2))

    @classmethod
    def joined(cls, parts: Iterable[Pairs]) -> Pairs:
        """The pairs of all ``parts`` (each found once: a pair is kept where it was found), naming only the
        articles they pair."""
        parts = [p for p in parts if len(p)]
        if not parts:
            return cls.of([])
        names = np.unique(np.concatenate([p.names for p in parts]))
        return cls(names, np.concatenate([np.searchsorted(names, p.names)[p.rows] for p in parts]))._named()

    def __len__(self) -> int:
        return len(self.rows)

    def where(self, keep: np.ndarray) -> Pairs:
        """The pairs whose row in ``keep`` is true."""
        return Pairs(self.names, self.rows[keep])._named()

    def _named(self) -> Pairs:
        """These pairs with only the names they use (in order still)."""
        used = np.bincount(self.rows.ravel(), minlength=len(self.names)) > 0
        return Pairs(self.names[used], (np.cumsum(used) - 1)[self.rows].astype(np.int32).reshape(-1, 2))

    def naming(self, articles: Collection[str]) -> np.ndarray:
        """Per pair, whether it names one of ``articles``."""
        return np.isin(self.names, list(articles))[self.rows].any(axis=1)


def places_in(ordered: np.ndarray, names: np.ndarray) -> np.ndarray:
    """Each of ``names``' place in ``ordered`` (sorted article ids), -1 for a name not there."""
    if not len(ordered):
        return np.full(len(names), -1, dtype=np.int64)
    at = np.minimum(np.searchsorted(ordered, names), len(ordered) - 1)
    return np.where(ordered[at] == names, at, -1)


def groups_of(fingerprints: Fingerprints, pairs: Pairs | Iterable[tuple[str, str]]) -> DuplicateGroups:
    """The groups the ``pairs`` make among the articles of ``fingerprints`` (pairs naming others are ignored).

    The connected parts are found by scipy over article numbers, not by a union-find in Python
    (see :class:`Pairs` for how many there can be).
    """
    pairs = pairs if isinstance(pairs, Pairs) else Pairs.of(pairs)
    articles = np.array(fingerprints.articles, dtype=str)
    count = len(articles)
    if not count or not len(pairs):
        return DuplicateGroups()
    # Imported here: 0.24 s that an index without near-copies (and a cold ask over it) never pays.
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    order = np.argsort(articles, kind="stable")
    ordered = articles[order]
    at = places_in(ordered, pairs.names)
    node = np.where(at >= 0, order[at], -1)  # each named article's row, -1 if none
    ends = node[pairs.rows]
    ends = ends[(ends >= 0).all(axis=1)]
    edges = (ends[:, 0], ends[:, 1])
    graph = coo_matrix((np.ones(len(edges[0]), dtype=np.int8), edges), shape=(count, count))
    parts, label = connected_components(graph, directed=False)
    grouped = np.flatnonzero(np.bincount(label, minlength=parts)[label] >= 2)
    # A group's representative is its first article id in sorted order: the least rank among its members.
    rank = np.empty(count, dtype=np.int64)
    rank[order] = np.arange(count)
    lowest = np.full(parts, count, dtype=np.int64)
    np.minimum.at(lowest, label[grouped], rank[grouped])
    result = DuplicateGroups()
    result.representative = dict(zip(articles[grouped].tolist(), ordered[lowest[label[grouped]]].tolist()))
    by_text: dict[tuple[int, str], list[int]] = {}
    for i in grouped.tolist():
        by_text.setdefault((int(label[i]), fingerprints.text_keys[i]), []).append(i)
    for same in by_text.values():
        if len({fingerprints.titles[i] for i in same}) > 1:
            result.same_text_other_titles.append(sorted(fingerprints.articles[i] for i in same))
    result.same_text_other_titles.sort()
    return result
