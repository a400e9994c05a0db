"""A BibTeX or BibLaTeX file → bounded, checked entries as plain text fields.

    read(path) → Bibliography        the entries (BibTeX and BibLaTeX as Zotero and JabRef write
                                      them), with @string macros expanded under size limits
    plain(entry) → Fields            LaTeX markup turned into Unicode text (a short list of
                                      accents and symbols); anything else kept as visible text
    problems(entry) → [str]          what keeps an entry from being listed in a report
    cited_problems(bib, keys)        the cited entries a report could not list, and where

:mod:`argmap.output.references` renders the cited entries in HTML, Markdown and LaTeX.

argmap's own parser, not pybtex's: pybtex expands an @string chain eagerly and without bounds
(645 bytes took 10 s and 670 MB, 40 levels a MemoryError) and its LaTeX backend copies field
text into report.tex as TeX. Here every field is text: each output format escapes it like any
other user text, so no TeX from a .bib file reaches report.tex.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections.abc import Mapping, Sequence

import attrs

from argmap.errors import ArgmapError, Location

__all__ = ["Bibliography", "Entry", "Fields", "cited_problems", "parse", "plain", "problems", "read"]

MAX_BIB_BYTES = 20 * 1024 * 1024  # a Zotero library of 20,000 entries is about 15 MB
MAX_ENTRIES = 50_000
MAX_VALUE_CHARS = 100_000  # one field or @string once its macros are expanded
MAX_EXPANDED_CHARS = 50_000_000  # every field and @string of the file together
MAX_MACRO_DEPTH = 20  # @string a = b # b, b = c # c, …
MAX_BRACE_DEPTH = 50

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")
_MONTH_MACROS = {m[:3].lower(): m for m in MONTHS}


@attrs.frozen
class Entry:
    """One entry as written: its type and fields (names lower-case, @string macros expanded, braces kept)."""

    key: str
    type: str  # lower-case: article, online, report, …
    fields: Mapping[str, str]
    location: Location


@attrs.frozen
class Bibliography:
    path: str
    entries: Mapping[str, Entry]  # by lower-case key: BibTeX keys match case-insensitively

    @property
    def keys(self) -> frozenset[str]:
        return frozenset(e.key for e in self.entries.values())

    def get(self, key: str) -> Entry | None:
        return self.entries.get(key.lower())


# ----------------------------------------------------------------------------- reading


def read(path: str, at: Location | None = None) -> Bibliography:
    """Parse the BibTeX file at ``path``; ArgmapError (file:line, what to write) when it is not one."""
    import os

    from argmap._files import read_text

    where = at or Location(path)
    try:
        size = os.path.getsize(path)
    except OSError:
        size = 0  # read_text says what is wrong with it
    if size > MAX_BIB_BYTES:
        raise ArgmapError.at(where, f"{path} is {size / 1e6:.0f} MB; argmap reads bibliographies up to "
                                    f"{MAX_BIB_BYTES // 2**20} MB (export only the entries the model cites)")
    text = read_text(path, where)
    if len(text) > MAX_BIB_BYTES:
        raise ArgmapError.at(where, f"{path} is over {MAX_BIB_BYTES // 2**20} MB; argmap reads bibliographies "
                                    f"up to that size (export only the entries the model cites)")
    return parse(text, path)


def parse(text: str, path: str = "<bibliography>") -> Bibliography:
    """BibTeX text → its entries (@string, @preamble and @comment handled; text outside entries ignored)."""
    return _Parser(text, path).run()


_NAME = re.compile(r"[^\s\"#%'(),={}]+")
_KEY = re.compile(r"[^\s\",#%'(){}=]+")  # what Zotero, JabRef and Better BibTeX write, and more
_SPACE = re.compile(r"\s*")


class _Parser:
    def __init__(self, text: str, path: str):
        self.text = text.lstrip("\ufeff")
        self.path = path
        self.pos = 0
        self.lines = [m.start() for m in re.finditer("\n", self.text)]
        self.macros: dict[str, tuple[str, int]] = {k: (v, 0) for k, v in _MONTH_MACROS.items()}
        self.expanded = 0
        self.entries: dict[str, Entry] = {}

    def line(self, pos: int | None = None) -> int:
        return bisect.bisect_left(self.lines, self.pos if pos is None else pos) + 1

    def fail(self, message: str, pos: int | None = None) -> ArgmapError:
        return ArgmapError.at(Location(self.path, self.line(pos)), message)

    def run(self) -> Bibliography:
        text = self.text
        while True:
            at = text.find("@", self.pos)
            if at < 0:
                break
            self.pos = at + 1
            self.skip()
            match = _NAME.match(text, self.pos)
            if not match:  # an @ in free text between entries (an e-mail address): a comment
                continue
            kind = match.group().lower()
            self.pos = match.end()
            self.skip()
            if kind == "comment":
                if self.peek() in "{(":
                    self.group(at)
                continue
            if self.peek() not in "{(":
                raise self.fail(f"@{match.group()} is not followed by {{ or (; write @{kind}{{key, field = {{…}}}}")
            close = "}" if self.peek() == "{" else ")"
            self.pos += 1
            if kind == "preamble":
                self.value(at)
            elif kind == "string":
                self.string(at, close)
                continue
            else:
                self.entry(kind, at, close)
                continue
            self.expect(close, at)
        return Bibliography(self.path, self.entries)

    def skip(self) -> None:
        self.pos = _SPACE.match(self.text, self.pos).end()  # type: ignore[union-attr]

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def expect(self, char: str, start: int) -> None:
        self.skip()
        if self.peek() != char:
            found = repr(self.peek()) if self.peek() else "the end of the file"
            raise self.fail(f"expected '{char}' to close the entry that starts on line {self.line(start)}, "
                            f"found {found}")
        self.pos += 1

    def group(self, start: int) -> str:
        """A {…} or (…) group whose braces balance; its text without the outer delimiters."""
        text = self.text
        opener = text[self.pos]
        closer = "}" if opener == "{" else ")"
        depth = 0
        begin = self.pos + 1
        for index in range(self.pos, len(text)):
            char = text[index]
            if char == opener:
                depth += 1
            elif char == closer:
                depth -= 1
                if depth == 0:
                    self.pos = index + 1
                    return text[begin:index]
        raise self.fail(f"the {opener} on line {self.line(self.pos)} is never closed", start)

    def string(self, start: int, close: str) -> None:
        self.skip()
        match = _NAME.match(self.text, self.pos)
        if not match:
            raise self.fail("@string needs a name: @string{name = {text}}")
        name = match.group().lower()
        self.pos = match.end()
        self.skip()
        if self.peek() != "=":
            raise self.fail(f"@string{{{match.group()} …}}: expected '=' after the name")
        self.pos += 1
        self.macros[name] = self.value(start)
        self.expect(close, start)

    def entry(self, kind: str, start: int, close: str) -> None:
        self.skip()
        match = _KEY.match(self.text, self.pos)
        if not match:
            raise self.fail(f"@{kind} has no key: write @{kind}{{key, title = {{…}}, …}}")
        key = match.group()
        self.pos = match.end()
        if len(self.entries) >= MAX_ENTRIES:
            raise self.fail(f"more than {MAX_ENTRIES} entries; argmap reads bibliographies up to that many "
                            "(export only the entries the model cites)")
        other = self.entries.get(key.lower())
        if other is not None:
            raise self.fail(f"the key '{key}' is used twice (first on line {other.location.line}); BibTeX keys "
                            "are case-insensitive; rename one", start)
        fields: dict[str, str] = {}
        lines: dict[str, int] = {}
        while True:
            self.skip()
            if self.peek() == ",":
                self.pos += 1
                self.skip()
            if self.peek() == close:
                self.pos += 1
                break
            match = _NAME.match(self.text, self.pos)
            if not match:
                found = repr(self.peek()) if self.peek() else "the end of the file"
                raise self.fail(f"@{kind}{{{key}, …}}: expected a field (name = {{value}}) or '{close}', "
                                f"found {found}")
            name = match.group().lower()
            self.pos = match.end()
            self.skip()
            if self.peek() != "=":
                raise self.fail(f"@{kind}{{{key}, …}}: expected '=' after the field name '{match.group()}'")
            self.pos += 1
            if name in fields:
                raise self.fail(f"@{kind}{{{key}, …}}: the field '{name}' is written twice (first on line "
                                f"{lines[name]}); keep one")
            lines[name] = self.line()
            begin = self.pos
            fields[name] = self.value(start)[0]
            self.skip()
            if self.peek() not in (",", close):
                found = repr(self.peek()) if self.peek() else "the end of the file"
                if re.search(r"\n\s*\w+\s*=", self.text[begin:self.pos]):  # the value swallowed other fields
                    raise self.fail(f"@{kind}{{{key}, …}}: the value of '{name}' is not closed where it should be "
                                    f"(it runs on to line {self.line()}); close its {{ or \" on this line", begin)
                raise self.fail(f"@{kind}{{{key}, …}}: expected ',' or '{close}' after the field '{name}', "
                                f"found {found} (a missing comma, or # between parts of a value?)")
        self.entries[key.lower()] = Entry(key, kind, fields, Location(self.path, self.line(start)))

    def value(self, start: int) -> tuple[str, int]:
        """``part # part # …`` → (its text, its macro depth); sizes are checked before joining."""
        parts: list[str] = []
        length = 0
        depth = 0
        begin = self.pos
        while True:
            self.skip()
            char = self.peek()
            if char == "{":
                part = self.braced(start)
            elif char == '"':
                part = self.quoted(start)
            elif char.isdigit():
                match = re.compile(r"\d+").match(self.text, self.pos)
                assert match
                part = match.group()
                self.pos = match.end()
            else:
                match = _NAME.match(self.text, self.pos)
                if not match:
                    found = repr(char) if char else "the end of the file"
                    raise self.fail(f"expected a value ({{text}}, \"text\", a number or an @string name), "
                                    f"found {found}")
                name = match.group().lower()
                if name not in self.macros:
                    raise self.fail(f"'{match.group()}' is not an @string defined above; define it before "
                                    "it is used, or write the text in braces: {text}")
                part, level = self.macros[name]
                depth = max(depth, level + 1)
                self.pos = match.end()
            length += len(part)
            if length > MAX_VALUE_CHARS or depth > MAX_MACRO_DEPTH:
                what = (f"more than {MAX_VALUE_CHARS:,} characters" if length > MAX_VALUE_CHARS
                        else f"@string macros nested more than {MAX_MACRO_DEPTH} deep")
                raise self.fail(f"this value expands to {what} (@string macros that repeat each other?); "
                                "argmap refuses it; write the text itself", begin)
            parts.append(part)
            self.skip()
            if self.peek() != "#":
                break
            self.pos += 1
        self.expanded += length
        if self.expanded > MAX_EXPANDED_CHARS:
            raise self.fail(f"the file's values expand to more than {MAX_EXPANDED_CHARS:,} characters "
                            "(@string macros that repeat each other?); argmap refuses it", begin)
        return "".join(parts), depth

    def braced(self, start: int) -> str:
        text = self.text
        depth = 0
        begin = self.pos
        for index in range(self.pos, len(text)):
            char = text[index]
            if char == "{":
                depth += 1
                if depth > MAX_BRACE_DEPTH:
                    raise self.fail(f"braces nested more than {MAX_BRACE_DEPTH} deep", index)
            elif char == "}":
                depth -= 1
                if depth == 0:
                    self.pos = index + 1
                    return text[begin + 1:index]
            elif char == "@" and depth == 1 and _looks_like_entry(text, index):
                break  # an unclosed field: say so where it starts, not at the file's end
        raise self.fail("this { is never closed (count the braces of the field)", begin)

    def quoted(self, start: int) -> str:
        text = self.text
        depth = 0
        begin = self.pos
        for index in range(self.pos + 1, len(text)):
            char = text[index]
            if char == "{":
                depth += 1
                if depth > MAX_BRACE_DEPTH:
                    raise self.fail(f"braces nested more than {MAX_BRACE_DEPTH} deep", index)
            elif char == "}":
                depth -= 1
                if depth < 0:
                    raise self.fail("a } without its { inside a \"quoted\" value", index)
            elif char == '"' and depth == 0:
                self.pos = index + 1
                return text[begin + 1:index]
        raise self.fail("this \" is never closed", begin)


def _looks_like_entry(text: str, index: int) -> bool:
    line_start = text.rfind("\n", 0, index) + 1
    return not text[line_start:index].strip() and re.match(r"@\w+\s*[{(]", text[index:index + 40]) is not None


# ----------------------------------------------------------------------------- LaTeX → text

# The only commands turned into characters; any other command stays in the text as written
# (\input{x} shows as "\input{x}"), and every output format escapes it.
_ACCENTS = {
    "'": "\u0301", "`": "\u0300", "^": "\u0302", '"': "\u0308", "~": "\u0303", "=": "\u0304", ".": "\u0307",
    "u": "\u0306", "v": "\u030c", "H": "\u030b", "c": "\u0327", "d": "\u0323", "b": "\u0331", "r": "\u030a",
    "k": "\u0328", "t": "\u0361",
}
_SYMBOLS = {
    "ss": "ß", "o": "ø", "O": "Ø", "ae": "æ", "AE": "Æ", "oe": "œ", "OE": "Œ", "aa": "å", "AA": "Å", "l": "ł",
    "L": "Ł", "i": "ı", "j": "ȷ", "dh": "ð", "DH": "Ð", "th": "þ", "TH": "Þ", "dj": "đ", "DJ": "Đ", "ng": "ŋ",
    "NG": "Ŋ", "S": "§", "P": "¶", "copyright": "©", "textcopyright": "©", "pounds": "£", "textsterling": "£",
    "euro": "€", "texteuro": "€", "textendash": "–", "textemdash": "—", "ldots": "…", "dots": "…",
    "textellipsis": "…", "textquoteleft": "‘", "textquoteright": "’", "textquotedblleft": "“",
    "textquotedblright": "”", "guillemotleft": "«", "guillemotright": "»", "guillemetleft": "«",
    "guillemetright": "»", "textregistered": "®", "texttrademark": "™", "textdegree": "°", "textbackslash": "\\",
    "textasciitilde": "~", "textasciicircum": "^", "textunderscore": "_", "textbar": "|", "textless": "<",
    "textgreater": ">", "slash": "/", "nobreakspace": "\u00a0", "textbullet": "•", "textperiodcentered": "·",
    "quad": " ", "qquad": " ", "rightarrow": "→", "to": "→", "leftarrow": "←", "leftrightarrow": "↔",
    "Rightarrow": "⇒", "times": "×", "pm": "±", "leq": "≤", "geq": "≥", "le": "≤", "ge": "≥", "neq": "≠",
    "approx": "≈", "infty": "∞", "cdot": "·", "deg": "°", "circ": "°", "textpm": "±", "textmu": "µ",
    "LaTeX": "LaTeX", "TeX": "TeX", "BibTeX": "BibTeX",
}
_GREEK = ("alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi omicron pi rho varsigma "
          "sigma tau upsilon phi chi psi omega").split()
_SYMBOLS.update({name: chr(0x03B1 + n) for n, name in enumerate(_GREEK) if name != "omicron"})
_SYMBOLS.update({name.capitalize(): chr(0x0391 + n) for n, name in enumerate(_GREEK)
                 if name in ("gamma", "delta", "theta", "lambda", "xi", "pi", "sigma", "upsilon", "phi", "psi",
                             "omega")})
_ESCAPED = {"&": "&", "%": "%", "$": "$", "#": "#", "_": "_", "{": "{", "}": "}", " ": " ", ",": "\u2009",
            ";": " ", ":": " ", "!": "", "-": "", "/": "", "@": "", "\\": " ", "textbackslash": "\\"}
# commands whose argument is the text (formatting is dropped: references are set in one style)
_KEEP_ARGUMENT = {"emph", "textit", "textbf", "textsc", "textsf", "texttt", "textrm", "textup", "textsl",
                  "textmd", "textnormal", "mbox", "hbox", "url", "nolinkurl", "path", "NoCaseChange",
                  "mkbibemph", "mkbibitalic", "mkbibbold", "textsuperscript", "textsubscript", "ensuremath",
                  "foreignlanguage", "textenglish", "textrussian", "textcyrillic"}
_QUOTE_ARGUMENT = {"enquote", "mkbibquote"}
_DECLARATIONS = {"em", "it", "bf", "sc", "rm", "tt", "sf", "sl", "itshape", "bfseries", "scshape", "upshape",
                 "normalfont", "mdseries", "rmfamily", "sffamily", "ttfamily", "slshape", "relax", "protect",
                 "selectlanguage"}
_DROP_FIRST = {"foreignlanguage", "selectlanguage"}  # \foreignlanguage{russian}{текст}: the language is no text
_WORD = re.compile(r"\\([A-Za-z]+)\s*|\\(.)", re.S)
_COMMAND_TAIL = re.compile(r"[0-9=]*")


_BLANKS = re.compile(r"[ \t\r\n]+")  # not str.split(): a no-break space (~) stays


def latex_to_text(value: str) -> str:
    """BibTeX field text → Unicode: the accents and symbols listed above become characters, braces
    and $ go, -- and --- become dashes, ~ a no-break space; any other command is kept as written."""
    out = _Converter(value).run()
    return unicodedata.normalize("NFC", _BLANKS.sub(" ", out).strip(" "))


class _Converter:
    def __init__(self, text: str):
        self.text = text
        self.pos = 0

    def run(self, stop: str | None = None, depth: int = 0) -> str:
        out: list[str] = []
        text = self.text
        while self.pos < len(text):
            char = text[self.pos]
            if char == "}" and stop == "}":
                self.pos += 1
                return "".join(out)
            if char == "\\":
                out.append(self.command(depth))
            elif char == "{":
                self.pos += 1
                out.append(self.run("}", depth + 1) if depth < MAX_BRACE_DEPTH else "")
            elif char == "}" or char == "$":
                self.pos += 1  # a stray } (only possible in @string text) or math shifts
            elif char == "~":
                self.pos += 1
                out.append("\u00a0")
            elif text.startswith("---", self.pos):
                self.pos += 3
                out.append("—")
            elif text.startswith("--", self.pos):
                self.pos += 2
                out.append("–")
            elif text.startswith("``", self.pos):
                self.pos += 2
                out.append("“")
            elif text.startswith("''", self.pos):
                self.pos += 2
                out.append("”")
            elif char == "`":
                self.pos += 1
                out.append("‘")
            else:
                self.pos += 1
                out.append(char)
        return "".join(out)

    def argument(self, depth: int) -> str:
        """The next {group} or single character, as text."""
        text = self.text
        while self.pos < len(text) and text[self.pos] in " \t\n":
            self.pos += 1
        if self.pos >= len(text):
            return ""
        if text[self.pos] == "{":
            self.pos += 1
            return self.run("}", depth + 1) if depth < MAX_BRACE_DEPTH else ""
        if text[self.pos] == "\\":
            return self.command(depth)
        self.pos += 1
        return text[self.pos - 1]

    def raw_group(self) -> str:
        """The {group} after an unknown command, exactly as written (so that it shows as it is)."""
        text = self.text
        if self.pos >= len(text) or text[self.pos] != "{":
            return ""
        depth = 0
        for index in range(self.pos, len(text)):
            if text[index] == "{":
                depth += 1
            elif text[index] == "}":
                depth -= 1
                if depth == 0:
                    group = text[self.pos:index + 1]
                    self.pos = index + 1
                    return group
        group = text[self.pos:]
        self.pos = len(text)
        return group

    def command(self, depth: int) -> str:
        match = _WORD.match(self.text, self.pos)
        if not match:  # a lone backslash at the end
            self.pos += 1
            return "\\"
        self.pos = match.end()
        name = match.group(1) or match.group(2)
        if name in _ACCENTS and (match.group(2) or len(name) == 1):
            base = self.argument(depth)
            base = {"ı": "i", "ȷ": "j"}.get(base, base)  # \'{\i} → í
            return (base[:1] + _ACCENTS[name] + base[1:]) if base else _ACCENTS[name]
        if match.group(1) is None:
            return _ESCAPED.get(name, "\\" + name)
        if name in _SYMBOLS:
            if self.text.startswith("{}", self.pos):
                self.pos += 2
            return _SYMBOLS[name]
        if name in _ESCAPED:
            return _ESCAPED[name]
        if name in _KEEP_ARGUMENT or name in _QUOTE_ARGUMENT:
            if name in _DROP_FIRST:
                self.argument(depth)
            inner = self.argument(depth)
            return f"“{inner}”" if name in _QUOTE_ARGUMENT else inner
        if name == "href":
            self.argument(depth)
            return self.argument(depth)
        if name in _DECLARATIONS:
            if name in _DROP_FIRST:
                self.argument(depth)
            return ""
        # not on the list: shown as written (\write18{…}, \openout5=x), never interpreted
        tail = _COMMAND_TAIL.match(self.text, self.pos)
        assert tail
        self.pos = tail.end()
        space = " " if match.group().endswith((" ", "\n", "\t")) and not tail.group() else ""
        return "\\" + name + space + tail.group() + self.raw_group()


# ----------------------------------------------------------------------------- plain fields


@attrs.frozen
class Fields:
    """An entry as plain text (no markup left), ready for any output format."""

    key: str
    type: str
    location: Location
    authors: tuple[str, ...] = ()
    editors: tuple[str, ...] = ()
    sort_names: tuple[str, ...] = ()
    year: str | None = None
    month: str | None = None
    title: str | None = None
    container: str | None = None  # journal, book, institution, publisher or site
    volume: str | None = None
    number: str | None = None
    pages: str | None = None
    publisher: str | None = None  # when the container is something else
    address: str | None = None
    kind: str | None = None  # `type`: "SIPRI Fact Sheet", "PhD thesis"
    edition: str | None = None
    howpublished: str | None = None
    note: str | None = None
    url: str | None = None
    urldate: str | None = None
    doi: str | None = None


ARTICLE = {"article", "periodical"}
IN_BOOK = {"incollection", "inproceedings", "inbook", "conference", "inreference"}
BOOKS = {"book", "mvbook", "collection", "mvcollection", "proceedings", "mvproceedings", "reference", "manual",
          "booklet"}
REPORTS = {"report", "techreport", "thesis", "phdthesis", "mastersthesis"}
_DATE = re.compile(r"(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?(?:T[\d:]+Z?)?(?:/.*)?$|/(\d{4}).*$")


def plain(entry: Entry) -> Fields:
    """``entry`` → its fields as Unicode text: names split (BibTeX's rules), year from `year` or
    BibLaTeX's `date`, the container from the field the entry type uses."""
    raw = entry.fields
    text = {name: latex_to_text(value) for name, value in raw.items()}
    text = {k: v for k, v in text.items() if v}

    def first(*names: str) -> str | None:
        return next((text[n] for n in names if n in text), None)

    authors, sort_names = names(raw.get("author", ""))
    editors, editor_sort = names(raw.get("editor", ""))
    year, month = _year_month(text)
    kind = entry.type
    used: set[str] = set()
    if kind in ARTICLE:
        container = first("journaltitle", "journal")
    elif kind in IN_BOOK:
        container = first("booktitle", "maintitle")
    elif kind in BOOKS:
        container = None
    elif kind in REPORTS:
        container = first("institution", "school", "organization", "publisher")
    else:  # online, misc, software, dataset, unknown types: the site or publisher
        container = first("organization", "publisher", "institution", "journaltitle", "journal", "eventtitle")
    for name in ("journaltitle", "journal", "booktitle", "maintitle", "institution", "school", "organization",
                 "publisher", "eventtitle"):
        if container is not None and text.get(name) == container:
            used.add(name)
    publisher = first(*(n for n in ("publisher", "organization") if n not in used))
    if kind in REPORTS and publisher == container:
        publisher = None
    thesis = {"phdthesis": "PhD thesis", "mastersthesis": "Master's thesis"}.get(kind)
    pages = text.get("pages")
    return Fields(
        key=entry.key, type=kind, location=entry.location, authors=authors, editors=editors,
        sort_names=sort_names or editor_sort, year=year, month=month, title=first("title"), container=container,
        volume=first("volume"), number=first("number", "issue"), pages=pages, publisher=publisher,
        address=first("location", "address"), kind=first("type") or thesis, edition=first("edition"),
        howpublished=first("howpublished"), note=" ".join(text[n] for n in ("note", "addendum") if n in text) or None,
        url=(raw.get("url") or "").strip() or None, urldate=first("urldate"),
        doi=(raw.get("doi") or "").strip() or None,
    )


def _year_month(text: Mapping[str, str]) -> tuple[str | None, str | None]:
    year = text.get("year")
    month = text.get("month")
    date = text.get("date")
    if date:
        match = _DATE.match(date.strip())
        if match and match.group(1):
            year = year or match.group(1)
            if match.group(2) and not month:
                month = match.group(2)
        elif match:
            year = year or match.group(4)
    if month and month.strip().isdigit() and 1 <= int(month) <= 12:
        month = MONTHS[int(month) - 1]
    elif month and month.strip().lower()[:3] in _MONTH_MACROS and len(month.strip()) <= 4:
        month = _MONTH_MACROS[month.strip().lower()[:3]]
    if year:
        found = re.search(r"\d{4}", year)
        year = found.group() if found and len(year) > 6 else year
    return year, month


def _split_top(text: str, separator: re.Pattern[str]) -> list[str]:
    """``text`` split where ``separator`` matches outside braces."""
    parts, depth, start = [], 0, 0
    index = 0
    while index < len(text):
        char = text[index]
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
        elif depth == 0:
            match = separator.match(text, index)
            if match:
                parts.append(text[start:index])
                start = index = match.end()
                continue
        index += 1
    parts.append(text[start:])
    return parts


_AND = re.compile(r"\s+and\s+", re.I)
_COMMA = re.compile(r",")
_WORDS = re.compile(r"\s+|~")


def names(value: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """A BibTeX name list → (names to show, last names to sort by): "Last, First", "First von
    Last", "von Last, Jr, First" and {Braced Organisations}; "and others" as "others"."""
    value = value.strip()
    if not value:
        return (), ()
    shown: list[str] = []
    sort: list[str] = []
    for name in _split_top(" " + value + " ", _AND):
        name = name.strip()
        if not name:
            continue
        if name.lower() == "others":
            shown.append("others")
            continue
        parts = [p.strip() for p in _split_top(name, _COMMA)]
        if len(parts) >= 2:
            last, first = parts[0], parts[-1]
            junior = parts[1] if len(parts) >= 3 else ""
        else:
            words = [w for w in _split_top(name, _WORDS) if w]
            if len(words) == 1:
                first, last, junior = "", words[0], ""
            else:
                # von part: the lower-case words before the last (BibTeX's rule, roughly)
                index = len(words) - 1
                while index > 1 and _lower_word(words[index - 1]):
                    index -= 1
                start = next((i for i in range(1, len(words) - 1) if _lower_word(words[i])), index)
                first, last, junior = " ".join(words[:start]), " ".join(words[start:]), ""
        last_text = latex_to_text(last)
        full = " ".join(p for p in (latex_to_text(first), last_text) if p)
        shown.append(full + (", " + latex_to_text(junior) if junior else ""))
        sort.append(sort_text(_strip_von(last_text) or full))
    return tuple(shown), tuple(sort)


def _lower_word(word: str) -> bool:
    text = latex_to_text(word) if not word.startswith("{") else ""
    return bool(text) and text[0].islower()


def _strip_von(last: str) -> str:
    words = last.split()
    while len(words) > 1 and words[0][:1].islower():
        words.pop(0)
    return " ".join(words)


def sort_text(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def problems(entry: Entry) -> list[str]:
    """What keeps ``entry`` from being listed properly in a report (empty when nothing does)."""
    found = []
    fields = plain(entry)
    if not fields.title:
        found.append("it has no title; add title = {…}")
    if "date" in entry.fields and not _DATE.match(latex_to_text(entry.fields["date"]).strip()):
        found.append(f"its date = {{{entry.fields['date']}}} is not a BibLaTeX date; write YYYY, YYYY-MM or "
                     "YYYY-MM-DD (or a range: 2020/2021)")
    if "year" in entry.fields and not re.search(r"\d", latex_to_text(entry.fields["year"])):
        found.append(f"its year = {{{entry.fields['year']}}} has no year in it; write year = {{2024}}")
    return found


def cited_problems(bib: Bibliography, keys: Sequence[str]) -> dict[str, tuple[Location, list[str]]]:
    """For each cited key whose entry cannot be listed properly: where the entry is, and why."""
    found = {}
    for key in keys:
        entry = bib.get(key)
        if entry is not None:
            wrong = problems(entry)
            if wrong:
                found[key] = (entry.location, wrong)
    return found
