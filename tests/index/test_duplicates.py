"""Near-copies of one story: grouping on hand-made texts, then the real index and answer."""

from __future__ import annotations

import json

from index import ingest, stats
from index.duplicates import Fingerprints, copy_pairs, groups_of
from rag import answer

STORY = (
    "The Kessler dam burst on Monday, flooding three villages in the northern valley. Engineer Maria Lopez "
    "said the spillway had been blocked for weeks before the collapse. About 400 residents were evacuated "
    "by boat, and the regional council promised an inquiry into the maintenance of the dam."
)
OTHER = (
    "A teenager from Pune won the national chess title on Sunday after a tense final game. Arjun Mehta, "
    "who is sixteen, beat the defending champion in forty moves and will play at the Olympiad next year."
)
BOILERPLATE = "Subscribe to our newsletter for the latest stories. Accept cookies to continue reading this site."


def test_copies_group_and_boilerplate_under_other_headlines_is_flagged():
    texts = {
        "wire": STORY,
        "herald": STORY.replace("On Monday", "on Monday") + " Reporting by the Herald desk.",
        "chess": OTHER,
        "page-a": BOILERPLATE,
        "page-b": BOILERPLATE,
    }
    titles = {"wire": "Dam bursts", "herald": "Dam bursts", "chess": "Chess", "page-a": "Flood", "page-b": "Budget"}
    fingerprints = Fingerprints.of(texts, titles)
    groups = groups_of(fingerprints, copy_pairs(fingerprints, Fingerprints.empty(), threshold=0.5))
    assert groups.representative == {"herald": "herald", "wire": "herald", "page-a": "page-a", "page-b": "page-a"}
    assert groups.same_text_other_titles == [["page-a", "page-b"]]
    assert groups.members() == 4


def test_copies_found_one_article_at_a_time_make_the_groups_found_all_at_once():
    texts = {
        "wire": STORY,
        "herald": STORY + " Reporting by the Herald desk.",
        "post": "Breaking: " + STORY,
        "chess": OTHER,
        "page-a": BOILERPLATE,
        "page-b": BOILERPLATE,
    }
    titles = dict.fromkeys(texts, "News")
    everything = Fingerprints.of(texts, titles)
    at_once = groups_of(everything, copy_pairs(everything, Fingerprints.empty(), threshold=0.5))
    seen, pairs = Fingerprints.empty(), []
    for article in ["page-b", "chess", "wire", "page-a", "post", "herald"]:
        new = Fingerprints.of({article: texts[article]}, titles)
        # Each new article is compared with those already seen, never the seen ones with each other.
        pairs += copy_pairs(new, seen, threshold=0.5)
        seen = Fingerprints.joined([seen, new])
    assert groups_of(seen, pairs) == at_once
    assert set(at_once.representative) == {"wire", "herald", "post", "page-a", "page-b"}
    assert sorted(pairs) == sorted(copy_pairs(everything, Fingerprints.empty(), threshold=0.5))


def test_answers_read_one_copy_and_cite_the_other_outlets(settings, tmp_path):
    corpus = tmp_path / "copies.jsonl"
    rows = [
        {"id": "wire", "title": "Dam bursts", "source": "Wire", "text": STORY},
        {"id": "herald", "title": "Dam bursts", "source": "Herald", "text": STORY + " Reporting by the Herald desk."},
        {"id": "chess", "title": "Chess title", "source": "Wire", "text": OTHER},
        {"id": "page-a", "title": "Flood", "source": "Site", "text": BOILERPLATE},
        {"id": "page-b", "title": "Budget", "source": "Site", "text": BOILERPLATE},
    ]
    corpus.write_text("".join(json.dumps(r) + "\n" for r in rows))
    report = ingest([corpus], settings, progress=False)
    assert report.same_text_other_titles == 2 and "likely extraction failures" in report.summary()
    info = stats(settings)
    assert info.near_duplicate_articles == 4 and info.same_text_other_titles == [["page-a", "page-b"]]
    result = answer("How many residents were evacuated after the Kessler dam burst?", settings=settings)
    assert result.short_answer == "400" and result.text == "400 [1]"
    assert len({p.article_id for p in result.passages} & {"wire", "herald"}) == 1
    (citation,) = result.citations
    assert citation.also_reported_by == ["Wire" if citation.source == "Herald" else "Herald"]


def test_a_copy_that_changed_a_figure_is_read_beside_the_original_even_past_k(settings, tmp_path):
    corpus = tmp_path / "copies.jsonl"
    rows = [
        {"id": "wire", "title": "Dam bursts", "source": "Wire", "published": "2022-06-14", "text": STORY},
        {
            "id": "herald",
            "title": "Dam bursts",
            "source": "Herald",
            "published": "2022-06-14",
            "text": STORY.replace("About 400 residents", "About 900 residents"),
        },
        {"id": "chess", "title": "Chess title", "source": "Wire", "text": OTHER},
    ]
    corpus.write_text("".join(json.dumps(r) + "\n" for r in rows))
    ingest([corpus], settings, progress=False)
    result = answer("How many residents were evacuated after the Kessler dam burst?", k=1, settings=settings)
    assert {p.article_id for p in result.passages} == {"wire", "herald"}
    assert result.text.startswith("Sources differ: ") and {"400", "900"} <= set(result.short_answer.split("; "))
