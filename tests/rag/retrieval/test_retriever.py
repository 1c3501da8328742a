"""Retrieval's parts on hand-made text."""

from __future__ import annotations


def test_a_copy_with_a_changed_passage_is_kept_beside_the_original():
    from rag.retrieval.retriever import _a_variant

    chunk = (
        "Clashes broke out on Thursday in the village of Balqasah, west of Homs, where remnants of the old regime "
        "had taken refuge, the monitor said. The loyalists were led by a wanted man known as Shujaa al-Ali, and "
        "four security personnel were killed before the army took the hills around the village on Friday."
    )
    original = chunk.split()
    changed = chunk.replace("Shujaa al-Ali,", "Kamal Haddad,").split()
    signed = (chunk + " Reporting by the Herald desk.").split()
    other_part = "Security forces arrested a general in the Tartus countryside on Thursday".split()
    assert _a_variant(changed, [original])
    assert not _a_variant(original, [original]), "an identical copy is folded"
    assert not _a_variant(signed, [original]), "a copy that only adds a sign-off is folded"
    assert not _a_variant(other_part, [original]), "another part of the same story is folded"
