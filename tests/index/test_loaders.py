"""Reading articles from real files of each supported format, and refusing bad ones."""

from __future__ import annotations

import json

import pytest

from index.loaders import find_files, load_file
from newsqa.errors import InputError


def test_txt_first_line_is_the_headline(tmp_path):
    path = tmp_path / "story.txt"
    path.write_text("Big headline\n\nFirst paragraph.\n\nSecond paragraph.\n")
    (article,) = load_file(path, source="wire").articles
    assert article.id == "story"
    assert article.title == "Big headline"
    assert article.text == "First paragraph.\n\nSecond paragraph."
    assert article.source == "wire"


def test_markdown_heading_is_the_title(tmp_path):
    path = tmp_path / "note.md"
    path.write_text("# Council votes on budget\n\nThe council approved the budget on Monday.\n")
    (article,) = load_file(path).articles
    assert article.title == "Council votes on budget"
    assert article.text == "The council approved the budget on Monday."


def test_html_main_text_and_metadata_are_extracted(tmp_path):
    body = " ".join(f"The mayor of Springfield opened the new bridge in sentence number {i}." for i in range(12))
    path = tmp_path / "bridge.html"
    path.write_text(
        "<html><head><title>Mayor opens bridge</title>"
        '<meta property="article:published_time" content="2024-03-05T10:00:00Z">'
        '<meta property="og:site_name" content="Springfield Times"></head>'
        "<body><nav>Home | Sports | Weather</nav><article><h1>Mayor opens bridge</h1>"
        f"<p>{body}</p><p>Traffic is expected to ease next week.</p></article>"
        "<footer>Copyright Springfield Times</footer></body></html>"
    )
    (article,) = load_file(path).articles
    assert article.title == "Mayor opens bridge"
    assert "The mayor of Springfield opened the new bridge" in article.text
    assert "Traffic is expected to ease next week." in article.text
    assert "Home | Sports" not in article.text
    assert article.published == "2024-03-05"
    assert article.source == "Springfield Times"
    # The page's own outlet wins over the fallback for files that name none.
    assert load_file(path, source="Wire").articles[0].source == "Springfield Times"
    # An outlet written in lower case keeps its case (trafilatura title-cases it: "nrc" is not "Nrc").
    path.write_text(path.read_text().replace('content="Springfield Times"', 'content="nrc"'))
    assert load_file(path).articles[0].source == "nrc"


def test_html_body_does_not_repeat_the_headline(tmp_path):
    path = tmp_path / "storm.html"
    path.write_text(
        "<html><head><title>Storm shuts harbour</title></head><body><div class='story'><h2>Storm shuts harbour</h2>"
        "<p>A storm closed the harbour of Lattakia for three days, port director Rami Haddad said on Tuesday.</p>"
        "<p>Ships waited offshore while crews cleared debris from the quay, officials said.</p></div></body></html>"
    )
    (article,) = load_file(path).articles
    assert article.title == "Storm shuts harbour"
    assert article.text.startswith("A storm closed the harbour of Lattakia")


def test_html_that_is_only_navigation_is_refused(tmp_path):
    links = "".join(f'<li><a href="/section-{i}">Section {i}</a></li>' for i in range(12))
    path = tmp_path / "front.html"
    path.write_text(
        "<html><head><title>Home</title><script>var tracking = 1;</script></head>"
        f"<body><nav><ul>{links}</ul></nav><footer><a href='/about'>About us</a></footer></body></html>"
    )
    with pytest.raises(InputError, match="only menu or link text found in this HTML"):
        load_file(path)


def test_jsonl_lines_keep_their_metadata_and_skip_empty_texts(tmp_path):
    path = tmp_path / "corpus.jsonl"
    rows = [
        {
            "id": "a1",
            "url": "https://example.org/a1",
            "title": "One",
            "source": "cnn",
            "published": "2022-06-17",
            "text": "Text one.",
        },
        {"id": "a2", "title": "Two", "source": "usatoday.com", "published": "2022-06-18T08:00:00", "text": "Text two."},
        {"id": "a3", "title": "Scraped nothing", "text": "   "},
    ]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    loaded = load_file(path)
    articles = loaded.articles
    assert [a.id for a in articles] == ["a1", "a2"]
    assert articles[0].url == "https://example.org/a1"
    assert articles[1].published == "2022-06-18"
    assert articles[0].published_day == 20220617
    assert loaded.skipped == [f"{path}:3: the article has no 'text'; skipped"]


def test_bad_jsonl_lines_are_skipped_and_named_unless_strict(tmp_path):
    path = tmp_path / "feed.jsonl"
    good = {"id": "ok", "title": "Fine", "text": "A good article."}
    lines = [json.dumps(good), "{not json", json.dumps({"title": "no id", "text": "t"}), json.dumps(good), "[]"]
    path.write_text("\n".join(lines) + "\n")
    loaded = load_file(path)
    assert [a.id for a in loaded.articles] == ["ok"]
    assert [s.split(": ", 1)[1] for s in loaded.skipped] == [
        "not valid JSON (Expecting property name enclosed in double quotes); one article object per line",
        "the article has no 'id'; give each line a unique id",
        "article id 'ok' was already given on line 1",
        "expected a JSON object with id, title and text",
    ]
    assert [s.split(": ", 1)[0] for s in loaded.skipped] == [f"{path}:{n}" for n in (2, 3, 4, 5)]
    with pytest.raises(InputError, match=r"feed.jsonl:2: not valid JSON"):
        load_file(path, strict=True)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("blob.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00IHDR", "looks like a binary file"),
        ("latin.txt", "Caf\u00e9 ouvert\n\nLe caf\u00e9 est ouvert.".encode("latin-1"), "is not UTF-8 text"),
        ("empty.txt", b"", "is empty"),
        ("blank.md", b"  \n\n\t\n", "is empty"),
        ("sheet.csv", b"a,b\n1,2\n", "unsupported file type .csv"),
        ("garbage.jsonl", b"{not json}\n[1, 2]\n", r"garbage.jsonl:1: not valid JSON"),
        ("noid.jsonl", b'{"title": "t", "text": "some text"}\n', "has no 'id'"),
        ("date.jsonl", b'{"id": "x", "text": "t", "published": "yesterday"}\n', "is not YYYY-MM-DD"),
    ],
)
def test_bad_files_get_one_clear_line(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(InputError, match=message) as caught:
        load_file(path)
    assert "\n" not in str(caught.value)
    assert str(path) in str(caught.value)


def test_missing_path_is_named(tmp_path):
    with pytest.raises(InputError, match="no such file or folder"):
        find_files([tmp_path / "nowhere"])


def test_oversized_file_is_refused(tmp_path):
    path = tmp_path / "huge.txt"
    path.write_text("Headline\n" + "word " * 1000)
    with pytest.raises(InputError, match="over the 100-byte limit"):
        load_file(path, max_bytes=100)


def test_a_pipe_named_like_an_article_is_refused_without_blocking(tmp_path):
    import os

    fifo = tmp_path / "news.txt"
    os.mkfifo(fifo)
    with pytest.raises(InputError, match="news.txt: is not a regular file"):
        load_file(fifo)


def test_folders_are_searched_for_supported_files(tmp_path):
    (tmp_path / "sub").mkdir()
    for name in ("a.txt", "sub/b.md", "sub/c.html", "d.jsonl", "e.pdf", "notes"):
        (tmp_path / name).write_text("x")
    assert [p.relative_to(tmp_path).as_posix() for p in find_files([tmp_path])] == [
        "a.txt",
        "d.jsonl",
        "sub/b.md",
        "sub/c.html",
    ]


def test_a_first_line_too_long_for_a_headline_is_the_story(tmp_path):
    path = tmp_path / "one-line.txt"
    path.write_text("The dam held through the night. " * 40)
    (article,) = load_file(path).articles
    assert article.title == "" and article.text.startswith("The dam held") and len(article.text) > 1000


@pytest.mark.parametrize(
    ("published", "expected"),
    [
        ("2022-06-17", "2022-06-17"),
        (1654041600, "2022-06-01"),
        ("1654041600", "2022-06-01"),
        ("20220617", "2022-06-17"),
    ],
)
def test_dates_and_unix_timestamps_are_read_as_days(published, expected, tmp_path):
    path = tmp_path / "dated.jsonl"
    path.write_text(json.dumps({"id": "a", "title": "T", "text": "Text.", "published": published}) + "\n")
    assert load_file(path).articles[0].published == expected


@pytest.mark.parametrize("published", ["2205-03-05", "9999-12-31"])
def test_a_date_in_the_future_is_refused_by_name(published, tmp_path):
    path = tmp_path / "future.jsonl"
    rows = [{"id": "a", "title": "T", "text": "Text.", "published": published}, {"id": "b", "title": "T", "text": "B."}]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    loaded = load_file(path)
    assert [a.id for a in loaded.articles] == ["b"]
    assert loaded.skipped == [f"{path}:1: published date {published} lies in the future; fix or remove it"]


def test_jsonl_rows_end_at_newlines_only_and_a_lone_surrogate_is_one_named_row(tmp_path):
    path = tmp_path / "rows.jsonl"
    separators = {"id": "a", "title": "T", "text": "One\u2028two\u0085three."}
    path.write_text(
        json.dumps(separators, ensure_ascii=False)
        + "\n"
        + '{"id": "b", "title": "T", "text": "bad \\ud800 text"}\n'
        + json.dumps({"id": "c", "title": "T", "text": "Fine."})
        + "\n",
        encoding="utf-8",
    )
    loaded = load_file(path)
    assert [a.text for a in loaded.articles] == ["One\u2028two\u0085three.", "Fine."]
    assert loaded.skipped == [f"{path}:2: holds a lone surrogate escape (such as \\ud800), not text; fix the line"]


def test_file_names_of_other_scripts_keep_their_letters_in_the_id(tmp_path):
    ids = []
    for name in ("été.txt", "ütü.txt", "خبر-1.txt", "مقال-1.txt"):
        (tmp_path / name).write_text("Headline\n\nA story of a few words.\n")
        ids.append(load_file(tmp_path / name).articles[0].id)
    assert ids == ["été", "ütü", "خبر-1", "مقال-1"]


def test_a_page_wrapped_in_thousands_of_divs_still_gives_its_story(tmp_path):
    story = " ".join(f"The council approved the new bridge budget in sentence {i}." for i in range(10))
    path = tmp_path / "nested.html"
    wrapped = f"{'<div>' * 50_000}<p>{story}</p>{'</div>' * 50_000}"
    path.write_text(f"<html><head><title>Bridge</title></head><body>{wrapped}</body></html>")
    (article,) = load_file(path).articles
    assert article.title == "Bridge" and article.text == story
