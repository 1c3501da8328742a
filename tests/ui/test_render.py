"""What the chat shows, built from escaped text; hand-made answers, no server."""

from __future__ import annotations

from newsqa.types import Answer, Citation
from ui.render import answer_markdown


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
    shown = answer_markdown(result)
    assert '4, according to the observatory <a href="#cite-1" class="cite-link">[1]</a>; 2 ' in shown
    assert shown.count('class="cite-link"') == 4
    # A bracketed number inside an article's sentence is article text, not a citation of ours.
    assert "said \\[3\\]." in shown and 'href="#cite-3"' not in shown
    assert "&lt;b&gt;died&lt;/b&gt;" in shown


def test_an_abstention_is_plain_text():
    shown = answer_markdown(Answer(question="q", text="The indexed articles do not say. [1]", abstained=True))
    assert shown == "**Not in the indexed articles.** The indexed articles do not say. \\[1\\]"
