"""What the chat shows, built from escaped text; hand-made answers, no server."""

from __future__ import annotations

from newsqa.types import Answer, Citation, Timeline, TimelineEntry
from ui.render import answer_markdown, plain_text, timeline_html


def citation(number: int, quote: str) -> Citation:
    return Citation(
        number=number,
        article_id="a",
        title="t",
        source="s",
        url="",
        published="",
        quote=quote,
        start=0,
        end=len(quote),
        passage_id="a::h::0",
        support=0.8,
    )


def test_answer_markers_link_to_their_sources_and_quoted_brackets_stay_text():
    result = Answer(
        question="q",
        text="4, according to the observatory [1]; 2 [2].",
        citations=[citation(1, "Four died, the observatory said [3]."), citation(2, "Two <b>died</b>.")],
    )
    shown = answer_markdown(result, 3)
    assert '4, according to the observatory <a href="#cite-3-1" class="cite-link">[1]</a>; 2 ' in shown
    assert shown.count('class="cite-link"') == 4
    # A bracketed number inside an article's sentence is article text, not a citation of ours.
    assert "said \\[3\\]." in shown and 'href="#cite-3-3"' not in shown
    assert "&lt;b&gt;died&lt;/b&gt;" in shown
    assert shown.endswith('<a href="#copy-3" class="copy-answer">Copy with references</a>')


def test_an_abstention_is_plain_text():
    shown = answer_markdown(Answer(question="q", text="The indexed articles do not say. [1]", abstained=True), 1)
    assert shown == "**No answer.** The indexed articles do not say. \\[1\\]"


def test_an_abstention_under_filters_names_them():
    shown = answer_markdown(Answer(question="q", text="No.", abstained=True), 1, "articles from AP")
    assert shown.endswith("_Only articles from AP were searched: the answer may be in articles they leave out._")


def test_a_whole_sentence_answer_is_shown_once():
    sentence = "The port reopened on Monday."
    shown = answer_markdown(Answer(question="q", text=f"{sentence} [1]", citations=[citation(1, sentence)]), 1)
    assert shown.count("The port reopened on Monday") == 1


def test_plain_text_has_the_answer_and_a_numbered_reference_list():
    cited = citation(1, "Four died, the observatory said.").model_copy(
        update={"title": "Clashes in Balqasah", "source": "AP", "published": "2024-12-10", "url": "https://x.org/a"}
    )
    undated = citation(2, "Two died.").model_copy(update={"url": "javascript:alert(1)"})
    text = plain_text(Answer(question="q", text="4 [1]; 2 [2].", citations=[cited, undated]))
    assert text == (
        "4 [1]; 2 [2].\n\nReferences\n"
        "[1] Clashes in Balqasah. AP, 2024-12-10. https://x.org/a\n    “Four died, the observatory said.”\n"
        "[2] t. s, undated.\n    “Two died.”"
    )


def test_a_timeline_line_shows_where_the_article_has_each_sentence_it_quotes():
    opening = citation(2, "A fire broke out late on Sunday.")
    line = citation(1, "Four firefighters were injured.").model_copy(update={"start": 120, "end": 151})
    entry = TimelineEntry(
        published="2025-03-03",
        text=f"{opening.quote} [2] … {line.quote}",
        citation=line,
        opening=opening,
        outlets=["s"],
    )
    shown = timeline_html(Timeline(topic="fire", entries=[entry]))
    assert "[2] characters 0–32, [1] characters 120–151" in shown
