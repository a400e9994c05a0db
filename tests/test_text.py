"""Text in the report's tables: Markdown escaped only where CommonMark needs it (rendered through
cmark-gfm, the visible text must equal the input), LaTeX quotes and domains, ICD 203 by name."""

from __future__ import annotations

import html.parser
import unicodedata
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from argmap.output import report as rep

ROOT = Path(__file__).resolve().parent.parent

cmarkgfm = pytest.importorskip("cmarkgfm")
from cmarkgfm.cmark import Options


class Visible(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag == "br":
            self.text.append("\n")

    def handle_data(self, data):
        self.text.append(data)


def shown(markdown: str) -> tuple[str, set[str]]:
    """What GitHub shows of ``markdown`` (cmark-gfm, raw HTML let through) and the tags it made."""
    parser = Visible()
    parser.feed(cmarkgfm.github_flavored_markdown_to_html(markdown, options=Options.CMARK_OPT_UNSAFE))
    made = {t for t, a in parser.tags if not (t == "a" and a.get("href", "").startswith("mailto:"))}
    return "".join(parser.text), made


def plain(text: str) -> str:
    return " ".join(text.split())


PIECES = ["\\", "`", "*", "_", "{", "}", "[", "]", "(", ")", "#", "+", "-", ".", "!", "|", "<", ">", "&", "~", "^",
          "$", "=", '"', "'", ":", "/", "@", "a", "b", "1", " ", "\n", "http://", "www.", "&amp;", "&#65;", "<b>",
          "<br>", "1.", "2)", "x_y", "é"]
TEXT = (st.text(st.characters(codec="utf-8", categories=["L", "N", "P", "S", "Zs"]), max_size=40)
        | st.lists(st.sampled_from(PIECES), max_size=24).map("".join))


@settings(max_examples=400, deadline=None)
@given(TEXT)
@example("↑ +9.8 dB")
@example("$34 billion and $2 billion")
@example("1. not a list")
@example("- not a list")
@example("# not a heading")
@example("=== ")
@example("*a* _b_ `c` [d](e) <f> &amp; | ~g~ \\h www.x.org https://y.org")
def test_markdown_shows_the_text_verbatim_in_a_cell_a_paragraph_and_a_list(text):
    escaped = rep.markdown_escape(text)
    expected = plain(unicodedata.normalize("NFC", text))  # the report writes text in NFC
    for context, markdown, tags in (("cell", f"| x |\n|---|\n| {escaped} |\n", {"table", "thead", "tbody", "tr", "th", "td"}),
                                    ("paragraph", f"{escaped}\n", {"p"}),
                                    ("list", f"- {escaped}\n", {"ul", "li", "p"})):
        visible, made = shown(markdown)
        visible = plain(visible)
        if context == "cell":
            visible = visible.removeprefix("x").strip()
        assert visible == expected, (context, escaped)
        assert made <= tags | {"br"}, (context, escaped, made)


@pytest.mark.parametrize("text", ["↑ +9.8 dB", "$34 billion", "2014-07-31", "Su-35 (2015): 24 fighters.",
                                  "P(cooperation) = 0.997", "snake_case_id", "\"quoted\" and 'single'"])
def test_plain_prose_gets_no_backslashes(text):
    assert "\\" not in rep.markdown_escape(text)


def test_latex_quotes_are_typographic_and_domains_break():
    assert rep.latex_escape('say "hi" and \'bye\', it\'s') == "say “hi” and ‘bye’, it's"
    assert rep.latex_escape('a lone " stays') == "a lone \\textquotedbl{} stays"
    assert rep.latex_link("https://www.eng.chinamil.com.cn/a_b") == \
        "\\href{https://www.eng.chinamil.com.cn/a_b}{\\nolinkurl{eng.chinamil.com.cn}}"
    assert "nolinkurl" not in rep.latex_link("https://例え.jp/x")  # not a plain host: escaped text


def test_scale_is_named_as_readers_write_it():
    assert rep.scale_name("icd203") == "ICD 203"
    for name in ("report.md", "report.html", "report.tex", "beliefs-table.tex", "beliefs-table-column.tex"):
        text = (ROOT / "reports" / "russia_china" / name).read_text(encoding="utf-8")
        assert "ICD 203" in text and "icd203 scale" not in text and "(icd203)" not in text, name


def test_captions_do_not_nest_parentheses():
    import re

    for name, pattern in (("report.html", r"<figcaption>(.*?)</figcaption>"), ("report.tex", r"\\captionof\{\w+\}\{(.*?)\}\n"),
                          ("report.md", r"^\*(The .*?)\*$")):
        text = (ROOT / "reports" / "russia_china" / name).read_text(encoding="utf-8")
        captions = re.findall(pattern, text, re.DOTALL | re.MULTILINE)
        assert captions, name
        for caption in captions:
            depth = 0
            for char in re.sub(r"\$[^$]*\$", "", caption):
                depth += {"(": 1, ")": -1}.get(char, 0)
                assert depth <= 1, (name, caption)


def test_two_column_paper_with_argmap_pieces_has_no_overfull_box(tmp_path):
    """The one-column beliefs table in a column, the full one, the 7 in map and trajectory across
    both columns of a two-column paper: pdfLaTeX sets them with no overfull box."""
    import shutil
    import subprocess

    folder = ROOT / "reports" / "russia_china"
    for name in ("beliefs-table.tex", "beliefs-table-column.tex", "diagram.pdf", "trajectory.pdf"):
        shutil.copy(folder / name, tmp_path / name)
    shutil.copy(ROOT / "tests" / "data" / "two-column-paper.tex", tmp_path / "paper.tex")
    for _ in range(2):
        subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "paper.tex"], cwd=tmp_path,
                       capture_output=True, check=False, timeout=300)
    log = (tmp_path / "paper.log").read_text(encoding="utf-8", errors="replace")
    assert (tmp_path / "paper.pdf").exists(), log[-2000:]
    assert "Overfull" not in log, [line for line in log.splitlines() if "Overfull" in line]
