"""User text and numbers → text safe in each format: Markdown and LaTeX escaping, typographic quotes,
non-ASCII in LaTeX (Cyrillic, Greek), the URL policy (which schemes are linked), probabilities and dB as text."""

from __future__ import annotations

import math
import re
import unicodedata
import urllib.parse
from typing import Any

from argmap.analysis.relations import format_decibels

SAFE_SCHEMES = ("http", "https", "ftp", "mailto")  # the only URL schemes a report links


def state_words(state: str) -> str:
    return state.replace("_", " ")


def safe_url(url: str | None) -> str | None:
    """``url`` when it is an http(s), ftp or mailto address (anything else, such as
    ``javascript:``, is shown as text and never linked), else None."""
    if not url:
        return None
    url = url.strip()
    scheme = urllib.parse.urlsplit(url).scheme.lower() if ":" in url else ""
    return url if scheme in SAFE_SCHEMES and not _CONTROL.search(url) else None


def quoted_url(url: str) -> str:
    # percent-encode what no format can carry verbatim: spaces, quotes, braces, backslashes,
    # angle brackets and non-ASCII; keep the URL's own reserved characters and %-escapes
    return urllib.parse.quote(url, safe="!#$%&'()*+,-./:;=?@[]_~")


def markdown_url(url: str) -> str:
    return quoted_url(url).replace("(", "%28").replace(")", "%29")


def latex_link(url: str) -> str:
    """``\\href{URL}{host}``: hyperref reads the URL verbatim at the top level of a paragraph or a
    longtable cell (as argmap's templates use it); braces and backslashes are percent-encoded."""
    host = (urllib.parse.urlsplit(url).netloc or url).removeprefix("www.")
    # a plain domain is set by url.sty (typewriter-free, breakable after its dots, never hyphenated)
    shown = "\\nolinkurl{" + host + "}" if _PLAIN_HOST.match(host) else latex_escape(host)
    return "\\href{" + quoted_url(url).replace("$", "%24") + "}{" + shown + "}"


_PLAIN_HOST = re.compile(r"^[A-Za-z0-9.-]+(:[0-9]+)?$")


def latex_url(url: str) -> str:
    """``\\url{...}``: url.sty reads its argument verbatim (at the top level of a paragraph or a
    longtable cell, as argmap's templates use it); braces and backslashes are percent-encoded."""
    return "\\url{" + quoted_url(url).replace("$", "%24").replace("[", "%5B").replace("]", "%5D") + "}"


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_FORMAT_MARKS = re.compile("[\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff]")


def clean_text(text: str) -> str:
    """Control characters out (tabs become spaces), line endings as \\n, NFC."""
    text = str(text).replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
    return unicodedata.normalize("NFC", _CONTROL.sub("", text))


# Markdown: a backslash only where CommonMark/GFM would otherwise read a character as markup
# (so a reader of the raw file, or of the rendered page, sees no stray backslashes).
_MD_ALWAYS = set("\\`*[]|~<")  # code, emphasis, links, table cells, strikethrough, HTML and autolinks
_MD_ENTITY = re.compile(r"&(?=#?[A-Za-z0-9]+;)")  # & only where it would start an entity
# what a line may start a block with: a quote; a heading, bullet or ordered-list marker only when a
# space (or the line's end) follows, as CommonMark requires ("+14.6 dB" and "0.96" start none);
# a line of = or - (setext underline), or of three or more - with spaces between (thematic break)
_MD_BLOCK = re.compile(r"^(\s*)(>|#{1,6}(?=\s|$)|[+-](?=\s|$)|[=-]+\s*$|-(?:[ \t]*-){2,}[ \t]*$|\d{1,9}(?=[.)](?:\s|$)))")
_MD_AUTOLINK = re.compile(r"(?i)(:)(?=//)|(?<=www)(\.)")  # GFM's bare autolinks (an e-mail address stays one)
_MD_LEFT = re.compile(r"_(?=\w)|(?<=\w)_")  # _ next to a word character: flanking, could emphasise


def _md_line(line: str) -> str:
    out = []
    for k, char in enumerate(line):
        if char in _MD_ALWAYS and (char != "<" or line[k + 1:k + 2].isalpha() or line[k + 1:k + 2] in ("/", "!", "?")):
            out.append("\\" + char)
        elif char == "_" and (not line[k - 1:k].isalnum() or not line[k + 1:k + 2].isalnum()):
            out.append("\\_")  # intraword _ (snake_case) is never emphasis
        elif char == "$" and line.count("$") > 1:
            out.append("\\$")  # two dollars could make GitHub's inline math
        else:
            out.append(char)
    text = "".join(out)
    text = _MD_ENTITY.sub("\\\\&", text)
    text = _MD_AUTOLINK.sub(lambda m: "\\" + m.group(0), text)
    match = _MD_BLOCK.match(text)
    if match:  # a heading, quote, list item, setext underline or ordered list at the line's start
        lead, mark = match.group(1), match.group(2)
        if mark.isdigit():
            end = match.end()
            text = text[:end] + "\\" + text[end:]
        else:
            text = lead + "\\" + text[len(lead):]
    return text


def markdown_escape(text: Any) -> str:
    """User text → GitHub-flavoured Markdown that shows it verbatim, in a paragraph, a list item
    or a table cell: a backslash only before what CommonMark would read as markup there (code,
    emphasis, links, pipes, HTML, entities, a block marker at a line's start, bare autolinks),
    line breaks as <br>."""
    text = clean_text(text).strip()
    return "<br>".join(_md_line(line) for line in text.split("\n"))


# LaTeX: the characters pdfLaTeX sets with the T1 and TS1 encodings (utf8 inputenc declares
# them in t1enc.dfu, ts1enc.dfu, omsenc.dfu); others are replaced (see tex_unicode).
_TEX_RANGES = (
    (0x00A1, 0x00B7), (0x00B9, 0x00FF), (0x0100, 0x0125), (0x0128, 0x0137), (0x0139, 0x013E), (0x0141, 0x0148),
    (0x014A, 0x0165), (0x0168, 0x017E), (0x0192, 0x0192), (0x0218, 0x021B), (0x0232, 0x0233), (0x02C7, 0x02C7),
    (0x02D8, 0x02D9), (0x02DB, 0x02DB), (0x02DD, 0x02DD), (0x2010, 0x2014), (0x2016, 0x2016), (0x2018, 0x201A),
    (0x201C, 0x201E), (0x2020, 0x2022), (0x2030, 0x2031), (0x2039, 0x203A), (0x203B, 0x203B), (0x203D, 0x203D),
    (0x2044, 0x2044), (0x20AC, 0x20AC), (0x2103, 0x2103), (0x2116, 0x2117), (0x2122, 0x2122), (0x2126, 0x2127),
    (0x2190, 0x2193), (0x27E8, 0x27E9),
)
TEX_ASCII = {
    "\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "$": r"\$", "&": r"\&", "%": r"\%", "#": r"\#",
    "_": r"\_", "[": "{[}", "]": "{]}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}", "<": r"\textless{}",
    ">": r"\textgreater{}", "|": r"\textbar{}", '"': r"\textquotedbl{}", "`": r"\textasciigrave{}",
}
_TEX_SYMBOLS = {
    "\u00a0": "~", "\u2026": r"\ldots{}", "\u2212": r"\ensuremath{-}", "\u221e": r"\ensuremath{\infty}",
    "\u2264": r"\ensuremath{\leq}", "\u2265": r"\ensuremath{\geq}", "\u2248": r"\ensuremath{\approx}",
    "\u2260": r"\ensuremath{\neq}", "\u00b1": r"\ensuremath{\pm}", "\u00d7": r"\ensuremath{\times}",
    "\u22a3": r"\ensuremath{\dashv}", "\u2208": r"\ensuremath{\in}", "\u2605": r"\ensuremath{\star}",
    "\u2032": r"\ensuremath{'}", "\u2191": r"\ensuremath{\uparrow}", "\u2193": r"\ensuremath{\downarrow}",
    "\u00ac": r"\ensuremath{\neg}", "\u2015": "---", "\u2011": "-",
}
_GREEK_LOWER = "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi o pi rho varsigma " \
               "sigma tau upsilon phi chi psi omega".split()
for _k, _name in enumerate(_GREEK_LOWER):  # α … ω (U+03B1–U+03C9)
    _TEX_SYMBOLS[chr(0x03B1 + _k)] = "o" if _name == "o" else rf"\ensuremath{{\{_name}}}"
for _k, _name in enumerate("A B Gamma Delta E Z H Theta I K Lambda M N Xi O Pi P - Sigma T Upsilon Phi X Psi "
                           "Omega".split()):  # Α … Ω (U+0391–U+03A9); capitals like Latin ones as those
    if _name != "-":
        _TEX_SYMBOLS[chr(0x0391 + _k)] = rf"\ensuremath{{\{_name}}}" if len(_name) > 1 else _name
# Cyrillic (Russian, Ukrainian, Belarusian) → Latin letters (BGN/PCGN-style, without diacritics)
_CYRILLIC = dict(zip(
    "абвгдеёжзийклмнопрстуфхцчшщъыьэюяєіїґў",
    ["a", "b", "v", "g", "d", "e", "yo", "zh", "z", "i", "y", "k", "l", "m", "n", "o", "p", "r", "s", "t", "u",
     "f", "kh", "ts", "ch", "sh", "shch", "", "y", "", "e", "yu", "ya", "ye", "i", "yi", "g", "w"],
))


_CYRILLIC_DONE = re.compile(r"(\\argmapcyr\{[^{}\\]*\}\{[A-Za-z]*\})")


def _tex_allowed(code: int) -> bool:
    return any(low <= code <= high for low, high in _TEX_RANGES)


def tex_unicode(text: str, fallbacks: set[str]) -> str:
    """LaTeX source → the same with every non-ASCII character pdfLaTeX cannot set replaced:
    symbols by their math commands, each Cyrillic word as \\argmapcyr{word}{transliteration}
    (report.tex sets the word in T2A when its fonts are installed, else the transliteration),
    anything else (Chinese, Arabic…) by its code point [U+XXXX]. ``fallbacks`` collects which
    replacements were needed."""
    parts = _CYRILLIC_DONE.split(text) if "\\argmapcyr{" in text else [text]
    if len(parts) > 1:  # already converted (a |raw value made by latex_escape): keep those words
        fallbacks.add("cyrillic")
        return "".join(part if n % 2 else tex_unicode(part, fallbacks) for n, part in enumerate(parts))
    out: list[str] = []
    codes: list[str] = []
    cyrillic: list[str] = []

    def flush() -> None:
        if cyrillic:
            word = "".join(cyrillic)
            latin = "".join(_CYRILLIC[c.lower()].capitalize() if c != c.lower() else _CYRILLIC[c] for c in word)
            out.append("\\argmapcyr{" + word + "}{" + latin + "}")
            cyrillic.clear()
        if codes:
            out.append("{[}" + " ".join(codes) + "{]}")  # braced: a [ after \\\\ is no optional argument
            codes.clear()

    for char in text:
        code = ord(char)
        if code < 0x80 or _tex_allowed(code):
            flush()
            out.append(char)
        elif _FORMAT_MARKS.match(char) or unicodedata.category(char) in ("Cf", "Cc", "Mn"):
            continue  # direction marks, zero-width spaces and stray combining marks are invisible
        elif char in _TEX_SYMBOLS:
            flush()
            out.append(_TEX_SYMBOLS[char])
        elif char.lower() in _CYRILLIC:
            if codes:
                flush()
            cyrillic.append(char)
            fallbacks.add("cyrillic")
        elif unicodedata.category(char).startswith("Z"):
            flush()
            out.append(" ")
        else:
            if cyrillic:
                flush()
            codes.append(f"U+{code:04X}")
            fallbacks.add("codepoints")
    flush()
    return "".join(out)


LIGATURES = re.compile(r"(?<=-)(?=-)|(?<=')(?=')|(?<=,)(?=,)")  # -- '' ,, would become – ” „


_DOUBLE_QUOTED = re.compile(r'"([^"\n]+)"')
_SINGLE_QUOTED = re.compile(r"(?<![\w'])'([^'\n]+?)'(?![\w'])")


def _typographic_quotes(text: str) -> str:
    """Paired straight quotes → “ ” and ‘ ’ (pdfLaTeX sets them as `` '' and ` '); a lone " stays."""
    return _SINGLE_QUOTED.sub("\u2018\\1\u2019", _DOUBLE_QUOTED.sub("\u201c\\1\u201d", text))


def latex_escape(text: Any, fallbacks: set[str] | None = None, *, newlines: bool = True) -> str:
    """User text → LaTeX that pdfLaTeX sets verbatim: the ten special characters and < > | "
    as commands, ligatures (-- '' ,,) broken, line breaks as \\newline (or spaces with
    ``newlines=False``), and non-Latin text replaced as :func:`tex_unicode` says."""
    text = _typographic_quotes(clean_text(text).strip())
    escaped = LIGATURES.sub("{}", "".join(TEX_ASCII.get(char, char) for char in text))
    escaped = tex_unicode(escaped, fallbacks if fallbacks is not None else set())
    lines = [line.strip() for line in escaped.split("\n")]
    if not newlines:
        return " ".join(line for line in lines if line)
    return "\\newline ".join(line for line in lines if line)


# ----------------------------------------------------------------------------- number formats
def probability(p: float | None) -> str:
    """Two decimals, three near 0 and 1 where two would round a doubt away."""
    if p is None or math.isnan(p):
        return "—"
    if 0 < p < 0.01 or 0.99 < p < 1:
        return f"{p:.3f}"
    return f"{p:.2f}"


def ratio(x: float | None) -> str:
    """A likelihood ratio: three significant figures; ∞ and 0 as such."""
    if x is None or math.isnan(x):
        return "—"
    if math.isinf(x):
        return "∞"
    if x == 0:
        return "0"
    if x >= 1000:
        return f"{x:,.0f}"
    if x >= 100:
        return f"{x:.0f}"
    return f"{x:.3g}" if x >= 0.01 else f"{x:.2g}"


def decibels(db: float | None) -> str:
    """+4.8 dB, −2.0 dB (a true minus sign), ±∞ dB."""
    if db is None or math.isnan(db):
        return "—"
    return format_decibels(db)


def sort_key(x: float | None) -> str:
    """A number as the HTML tables' sorting reads it."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return ""
    if isinstance(x, float) and math.isinf(x):
        return "Infinity" if x > 0 else "-Infinity"
    return repr(float(x))
