"""Bibliography entries → reference lists, one rendering of the same pieces per format (text, HTML,
Markdown, LaTeX)."""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterable

import attrs

from argmap.loader.bibliography import ARTICLE, BOOKS, IN_BOOK, Bibliography, Fields, plain, sort_text
from argmap.output.report.escape import (
    LIGATURES,
    TEX_ASCII,
    clean_text,
    latex_url,
    markdown_escape,
    markdown_url,
    quoted_url,
    safe_url,
)


# A bibliography's cited entries → numbered references in plain text, HTML, Markdown and LaTeX,
# every field escaped as user text for its format (no TeX from a .bib file reaches report.tex).
@attrs.frozen
class Reference:
    """One formatted bibliography entry in each output format."""

    key: str
    label: str
    text: str
    html: str
    markdown: str
    latex: str


@attrs.frozen
class _Piece:
    text: str
    style: str = ""  # "" | "em" | "url" (text is the URL) | "doi"


def pieces(f: Fields) -> list[list[_Piece]]:
    """The reference as sentences of pieces: names. title. where, when. note. URL."""
    sentences: list[list[_Piece]] = []
    names = f.authors or f.editors
    if names:
        listed = [n for n in names if n != "others"]
        if len(listed) == 1:
            who = listed[0]
        elif len(listed) == 2:
            who = f"{listed[0]} and {listed[1]}"
        else:
            who = ", ".join(listed[:-1]) + ", and " + listed[-1]
        if "others" in names:
            who += " et al."
        if not f.authors:
            who += ", editors" if len(names) > 1 else ", editor"
        sentences.append([_Piece(who)])
    book = f.type in BOOKS
    if f.title:
        sentences.append([_Piece(f.title, "em" if book else "")])
    where: list[_Piece] = []
    if f.container:
        styled = "em" if f.type in ARTICLE | IN_BOOK else ""
        where.append(_Piece(("In " if f.type in IN_BOOK else "") + f.container, styled))
    detail = []
    if f.type in ARTICLE:
        volume = (f.volume or "") + (f"({f.number})" if f.number else "")
        if volume:
            detail.append(volume + (f":{f.pages}" if f.pages else ""))
        elif f.pages:
            detail.append(f"pages {f.pages}")
    else:
        if f.volume:
            detail.append(f"volume {f.volume}")
        if f.kind or f.number:
            detail.append(" ".join(p for p in (f.kind, f.number) if p))
        if f.pages:
            detail.append(f"pages {f.pages}")
    if f.edition:
        detail.append(_ordinal(f.edition) + " edition" if f.edition.isdigit() else f.edition)
    for part in (f.howpublished, f.publisher, f.address):
        if part:
            detail.append(part)
    when = " ".join(p for p in (f.month, f.year) if p)
    if when:
        detail.append(when)
    if detail:
        if where:
            where.append(_Piece(", " + ", ".join(detail)))
        else:
            where.append(_Piece(", ".join(detail)))
    if where:
        sentences.append(where)
    if f.note:
        sentences.append([_Piece(f.note)])
    if f.doi:
        sentences.append([_Piece("DOI: "), _Piece(f.doi, "doi")])
    if f.url:
        link = [_Piece("URL: "), _Piece(f.url, "url")]
        if f.urldate:
            link.append(_Piece(f" (accessed {f.urldate})"))
        sentences.append(link)
    return sentences


def _ordinal(number: str) -> str:
    n = int(number)
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _joined(sentences: list[list[_Piece]], piece: Callable[[_Piece], str], escape: Callable[[str], str]) -> str:
    """Sentences → one line: each piece through ``piece``, the spaces and full stops between them
    through ``escape``."""
    out = []
    for sentence in sentences:
        text = "".join(_spaced(p.text, piece(p), escape) for p in sentence)
        last = sentence[-1].text
        end = "" if last.endswith((".", "?", "!")) and sentence[-1].style not in ("url", "doi") else escape(".")
        out.append(text + end)
    return " ".join(out)


def _spaced(raw: str, rendered: str, escape: Callable[[str], str]) -> str:
    # the escapers trim their text; a piece's own leading and trailing space is kept here
    lead = " " if raw[:1].isspace() else ""
    trail = " " if raw[-1:].isspace() else ""
    return lead + rendered + trail


def _doi_url(doi: str) -> str:
    return "https://doi.org/" + re.sub(r"^(?:https?://(?:dx\.)?doi\.org/|doi:)", "", doi.strip(), flags=re.I)


def render_text(sentences: list[list[_Piece]]) -> str:
    return _joined(sentences, lambda p: p.text.strip(), str)


def _linked(p: _Piece) -> str | None:
    """The address a url or doi piece links to, when it is safe to link (see safe_url)."""
    if p.style not in ("url", "doi"):
        return None
    return safe_url(_doi_url(p.text) if p.style == "doi" else p.text)


def render_html(sentences: list[list[_Piece]]) -> str:

    def piece(p: _Piece) -> str:
        if p.style == "em":
            return f"<em>{html.escape(p.text)}</em>"
        url = _linked(p)
        if url:
            return f'<a href="{html.escape(quoted_url(url), quote=True)}">{html.escape(p.text)}</a>'
        return html.escape(p.text.strip())

    return _joined(sentences, piece, html.escape)


def render_markdown(sentences: list[list[_Piece]]) -> str:

    def piece(p: _Piece) -> str:
        if p.style == "em":
            return f"*{markdown_escape(p.text)}*"
        url = _linked(p)
        if url:
            return f"[{markdown_escape(p.text)}]({markdown_url(url)})"
        return markdown_escape(p.text)

    return _joined(sentences, piece, markdown_escape)


def render_latex(sentences: list[list[_Piece]]) -> str:
    """LaTeX where every piece of text is escaped (\\, {, }, $, ^ … as commands); URLs only inside
    \\url{…} with braces, backslashes and % percent-encoded. Non-ASCII text is left for the
    report's finalize step, which sets it (Cyrillic in T2A) or replaces it."""

    def piece(p: _Piece) -> str:
        if p.style == "em":
            return "\\emph{" + latex_text(p.text) + "}"
        url = _linked(p)
        if url:
            return latex_url(url)
        return latex_text(p.text)

    return _joined(sentences, piece, latex_text)


def latex_text(text: str) -> str:
    """Text → LaTeX: report.latex_escape's escaping of ASCII, non-ASCII kept (see render_latex)."""

    text = " ".join(clean_text(text).split())  # one line: the report puts each reference on one
    return LIGATURES.sub("{}", "".join(TEX_ASCII.get(char, char) for char in text))


def references(bib: Bibliography, keys: Iterable[str]) -> tuple[Reference, ...]:
    """The entries of ``keys`` (unknown keys skipped), sorted by first author's last name, year and
    title, numbered from 1, each rendered in every format."""
    chosen: dict[str, Fields] = {}
    for key in keys:
        entry = bib.get(key)
        if entry is not None and entry.key.lower() not in chosen:
            chosen[entry.key.lower()] = plain(entry)

    def order(f: Fields) -> tuple:
        who = f.sort_names[0] if f.sort_names else sort_text(f.title or f.key)
        return (who, f.year or "", sort_text(f.title or ""), f.key.lower())

    found = []
    for number, fields in enumerate(sorted(chosen.values(), key=order), start=1):
        if not fields.title:  # check reports it; the report still lists what there is
            fields = attrs.evolve(fields, title=f"[{fields.key}: no title]")
        sentences = pieces(fields)
        found.append(Reference(key=fields.key, label=str(number), text=render_text(sentences),
                               html=render_html(sentences), markdown=render_markdown(sentences),
                               latex=render_latex(sentences)))
    return tuple(found)
