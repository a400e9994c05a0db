"""Bibliographies: BibTeX and BibLaTeX as Zotero and JabRef write them, read (pybtex as a second
reader) and rendered through HTML (parsed), Markdown (GitHub's renderer) and LaTeX (pdflatex,
read back with pdftotext); hostile fields stay text and run nothing; @string bombs and other
size attacks are refused quickly under a memory limit; `check` names entries a report cannot list."""

from __future__ import annotations

import hashlib
import os
import re
import resource
import subprocess
import sys
import time
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import write_case
from test_report import flat, github_html, parse_html, pdf_text, pdflatex

import argmap
from argmap.loader import bibliography as bib
from argmap.output import report as rep
from argmap.output.report import escape
from argmap.errors import ArgmapError

ZOTERO = r"""
@online{kremlin_2023,
	title = {Совместное заявление Российской Федерации и Китайской Народной Республики},
	url = {http://kremlin.ru/supplement/5920},
	author = {{Президент России}},
	urldate = {2024-02-03},
	date = {2023-03-21},
	langid = {russian},
	organization = {Kremlin},
}

@report{sipri_2024,
	location = {Stockholm},
	title = {Trends in International Arms Transfers, 2023},
	url = {https://www.sipri.org/publications/2024/sipri-fact-sheets/trends-international-arms-transfers-2023},
	number = {2024/03},
	institution = {Stockholm International Peace Research Institute},
	type = {{SIPRI} Fact Sheet},
	author = {Wezeman, Pieter D. and Djokic, Katarina and George, Mathew},
	urldate = {2024-05-01},
	date = {2024-03},
	langid = {english},
}

@article{kofman_2020,
	title = {Russia's {C-400} Gambit and the {Sino-Russian} Air Defence Market},
	volume = {62},
	issn = {0039-6338},
	url = {https://www.example.org/survival/62/3},
	doi = {10.1080/00396338.2020.1763610},
	pages = {55--78},
	number = {3},
	journaltitle = {Survival},
	author = {Kofman, Michael and M{\"u}ller, J{\"o}rg},
	urldate = {2024-01-15},
	date = {2020-05-03},
	keywords = {air defence, arms trade},
	file = {Full Text:/home/me/Zotero/storage/ABCD1234/kofman.pdf:application/pdf},
}
"""

JABREF = r"""% Encoding: UTF-8

@Book{Gaddis2005,
  author    = {John Lewis Gaddis},
  title     = {The Cold War: A New History},
  publisher = {Penguin Press},
  year      = {2005},
  address   = {New York},
}

@InCollection{Lukin2019,
  author    = {Lukin, Alexander},
  title     = {The {Russia--China} Entente},
  booktitle = {Russia and {China}: Partners?},
  editor    = {Bellacqua, James},
  publisher = {University Press of Kentucky},
  year      = 2019,
  pages     = {17--39},
}

@TechReport{Rand2017,
  author      = {Charap, Samuel and Drennan, John and No{\"e}l, Pierre},
  title       = {Russia and {China}: A New Model of Great-Power Relations},
  institution = {{RAND} Corporation},
  year        = {2017},
  month       = may,
  number      = {RR-1234},
}

@Misc{Tass2019,
  author       = {{TASS}},
  title        = "Russian, Chinese bombers carry out first joint patrol",
  howpublished = {TASS},
  month        = jul,
  year         = {2019},
  url          = {https://tass.com/defense/1069966},
  note         = {Accents: {\'E}tienne, Fran{\c{c}}ois, Dvo{\v r}{\'a}k, {\AA}ngstr{\"o}m, Stra{\ss}e, \L{}{\'o}d{\'z}},
}

@Comment{jabref-meta: databaseType:bibtex;}
"""

KEYS = ["kremlin_2023", "sipri_2024", "kofman_2020", "Gaddis2005", "Lukin2019", "Rand2017", "Tass2019"]

# what each entry must show, in every format
EXPECTED = {
    "kremlin_2023": ["Президент России", "Совместное заявление Российской Федерации и Китайской Народной Республики",
                     "Kremlin", "March 2023", "accessed 2024-02-03", "http://kremlin.ru/supplement/5920"],
    "sipri_2024": ["Pieter D. Wezeman, Katarina Djokic, and Mathew George", "Trends in International Arms Transfers, 2023",
                   "Stockholm International Peace Research Institute", "SIPRI Fact Sheet 2024/03", "Stockholm",
                   "March 2024", "accessed 2024-05-01"],
    "kofman_2020": ["Michael Kofman and Jörg Müller", "Russia's C-400 Gambit and the Sino-Russian Air Defence Market",
                    "Survival", "62(3):55–78", "May 2020", "10.1080/00396338.2020.1763610", "accessed 2024-01-15"],
    "Gaddis2005": ["John Lewis Gaddis", "The Cold War: A New History", "Penguin Press", "New York", "2005"],
    "Lukin2019": ["Alexander Lukin", "The Russia–China Entente", "In Russia and China: Partners?", "pages 17–39",
                  "University Press of Kentucky", "2019"],
    "Rand2017": ["Samuel Charap, John Drennan, and Pierre Noël", "Russia and China: A New Model of Great-Power Relations",
                 "RAND Corporation", "RR-1234", "May 2017"],
    "Tass2019": ["TASS", "Russian, Chinese bombers carry out first joint patrol", "July 2019",
                 "Étienne, François, Dvořák, Ångström, Straße, Łódź"],
}


def case_with(bibtex: str, keys: list[str], root: str) -> str:
    items = [{"id": f"e{n}", "date": "2020-01", "text": f"item {n}", "bears_on": "h", "lr": 2, "cite": key}
             for n, key in enumerate(keys)]
    model = {"argmap": 1, "title": "Bibliography case", "bibliography": "../evidence/case/references.bib",
             "claims": {"h": {"text": "H", "role": "hypothesis", "prior": 0.5}}, "evidence": ["../evidence/case/"]}
    return write_case({"model": model, "evidence": items, "bibliography": bibtex}, root)


def run_cli(*args: str, cwd: str, timeout: float = 60, memory: int = 1 << 30) -> subprocess.CompletedProcess:
    """``argmap ARGS`` in a child limited to ``memory`` bytes of address space and ``timeout`` s."""
    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (memory + (600 << 20), memory + (600 << 20)))  # + the interpreter

    return subprocess.run([sys.executable, "-m", "argmap", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout, preexec_fn=limit)


# ----------------------------------------------------------------------------- reading


def test_zotero_and_jabref_files_parse_as_pybtex_reads_them():
    """pybtex, a second reader, finds the same entries, types and field texts."""
    from pybtex.database import parse_string

    for text in (ZOTERO, JABREF):
        ours = bib.parse(text, "refs.bib")
        theirs = parse_string(text, "bibtex")
        assert sorted(ours.keys) == sorted(theirs.entries.keys())
        for key, entry in theirs.entries.items():
            mine = ours.get(key)
            assert mine is not None and mine.type == entry.type.lower()
            for name, value in entry.fields.items():
                assert mine.fields[name.lower()] == value, (key, name)
            for role, people in entry.persons.items():
                assert len(bib.names(mine.fields[role.lower()])[0]) == len(people), (key, role)


def test_entry_locations_are_their_lines():
    parsed = bib.parse(ZOTERO, "refs.bib")
    lines = ZOTERO.split("\n")
    for entry in parsed.entries.values():
        assert lines[entry.location.line - 1].startswith("@") and entry.key in lines[entry.location.line - 1]


def test_plain_fields_from_biblatex():
    parsed = bib.parse(ZOTERO + JABREF)
    report = bib.plain(parsed.get("sipri_2024"))
    assert (report.year, report.month, report.container, report.kind, report.number) == (
        "2024", "March", "Stockholm International Peace Research Institute", "SIPRI Fact Sheet", "2024/03")
    article = bib.plain(parsed.get("kofman_2020"))
    assert (article.year, article.container, article.pages, article.urldate, article.doi) == (
        "2020", "Survival", "55–78", "2024-01-15", "10.1080/00396338.2020.1763610")
    assert article.title == "Russia's C-400 Gambit and the Sino-Russian Air Defence Market"
    assert article.authors == ("Michael Kofman", "Jörg Müller")
    online = bib.plain(parsed.get("KREMLIN_2023"))  # keys match case-insensitively
    assert (online.authors, online.container, online.year) == (("Президент России",), "Kremlin", "2023")
    assert bib.plain(parsed.get("rand2017")).month == "May"


@pytest.mark.parametrize("written, text", [
    ("{C-400}", "C-400"), (r"{\"o}", "ö"), (r"\"{o}", "ö"), (r"\"o", "ö"), (r"\'{\i}", "í"), (r"\v{S}koda", "Škoda"),
    (r"\c{c}", "ç"), (r"\k{a}", "ą"), (r"\H{o}", "ő"), (r"\ss{}", "ß"), (r"\o", "ø"), ("a--b---c", "a–b—c"),
    ("a~b", "a\u00a0b"), (r"\& \% \$ \# \_", "& % $ # _"), (r"$\rightarrow$", "→"), (r"\emph{x} \textbf{{B}}", "x B"),
    (r"``q'' `s'", "“q” ‘s'"), (r"\url{https://x.org/a_b}", "https://x.org/a_b"), (r"\enquote{q}", "“q”"),
    (r"\input{/etc/passwd}", r"\input{/etc/passwd}"), (r"\write18{rm -rf x}", r"\write18{rm -rf x}"),
    (r"\immediate\openout5=x", r"\immediate\openout5=x"), ("^^5cinput", "^^5cinput"),
    ("{\\foreignlanguage{russian}{Россия}}", "Россия"), ("  many\n  spaces ", "many spaces"),
])
def test_latex_markup_to_text(written, text):
    assert bib.latex_to_text(written) == text


def test_every_accent_command_gives_the_unicode_letter():
    """Each accent command on each letter that has a precomposed form is that character (by its
    Unicode name: an independent table)."""
    names = {"'": "ACUTE", "`": "GRAVE", "^": "CIRCUMFLEX", '"': "DIAERESIS", "~": "TILDE", "=": "MACRON",
             ".": "DOT ABOVE", "u": "BREVE", "v": "CARON", "H": "DOUBLE ACUTE", "c": "CEDILLA", "d": "DOT BELOW",
             "r": "RING ABOVE", "k": "OGONEK"}
    checked = 0
    for command, name in names.items():
        for letter in "abcdeghijklmnorstuwyzABCDEGHIJKLMNORSTUWYZ":
            case = "CAPITAL" if letter.isupper() else "SMALL"
            try:
                expected = unicodedata.lookup(f"LATIN {case} LETTER {letter.upper()} WITH {name}")
            except KeyError:
                continue
            sep = " " if command.isalpha() else ""
            for written in (f"{{\\{command}{{{letter}}}}}", f"\\{command}{sep}{letter}"):
                assert bib.latex_to_text(written) == expected, written
            checked += 1
    assert checked > 150


@pytest.mark.parametrize("name, shown, sort", [
    ("Kofman, Michael", "Michael Kofman", "kofman"), ("John Lewis Gaddis", "John Lewis Gaddis", "gaddis"),
    ("Ludwig van Beethoven", "Ludwig van Beethoven", "beethoven"), ("van Beethoven, Ludwig", "Ludwig van Beethoven",
                                                                    "beethoven"),
    ("Doe, Jr., John", "John Doe, Jr.", "doe"), ("{Президент России}", "Президент России", "президент россии"),
    ("{Barnes and Noble}", "Barnes and Noble", "barnes and noble"), ("M{\\\"u}ller, J.", "J. Müller", "muller"),
])
def test_names(name, shown, sort):
    assert bib.names(name) == ((shown,), (sort,))


def test_and_others_is_et_al():
    entry = bib.parse("@misc{k, author = {Wezeman, Pieter D. and others}, title = {T}, year = 2024}").get("k")
    assert rep.references(bib.Bibliography("x", {"k": entry}), ["k"])[0].text.startswith("Pieter D. Wezeman et al. T.")


# ----------------------------------------------------------------------------- bad files


@pytest.mark.parametrize("text, line, words", [
    ("@misc{a,\n  title = {never closed,\n  year = 2020\n}\n\n@misc{b, title = {B}}\n", 2, "not closed"),
    ("@misc{a,\n  title = {never closed,\n  year = 2020\n\n@misc{b, title = {B}}\n", 2, "never closed"),
    ("@misc{a, title = {A}}\n@MISC{A, title = {B}}\n", 2, "used twice (first on line 1)"),
    ("@misc{a,\n title = {A},\n title = {B}}\n", 3, "written twice"),
    ("@misc{a,\n title = undefinedmacro}\n", 2, "not an @string defined above"),
    ("@misc{a,\n title = {A}\n year = 2020}\n", 3, "expected ',' or '}'"),
    ("@misc{, title = {A}}\n", 1, "has no key"),
    ("@misc{a, title = \"x {y\"}\n", 1, "never closed"),
    ("@misc{a, title = {" + "{" * 10_000 + "}" * 10_000 + "}}\n", 1, "nested more than"),
])
def test_syntax_errors_name_the_line(text, line, words):
    with pytest.raises(ArgmapError) as caught:
        bib.parse(text, "refs.bib")
    problem = caught.value.problems[0]
    assert (problem.location.file, problem.location.line) == ("refs.bib", line)
    assert words in problem.message


def test_entry_count_and_file_size_are_bounded(tmp_path, monkeypatch):
    path = tmp_path / "refs.bib"
    path.write_text("".join(f"@misc{{k{n}, title = {{T}}}}\n" for n in range(20)), encoding="utf-8")
    monkeypatch.setattr(bib, "MAX_ENTRIES", 10)
    with pytest.raises(ArgmapError, match="more than 10 entries") as caught:
        bib.read(str(path))
    assert caught.value.problems[0].location.line == 11
    monkeypatch.setattr(bib, "MAX_BIB_BYTES", 100)
    with pytest.raises(ArgmapError, match="argmap reads bibliographies up to"):
        bib.read(str(path))


def chain(levels: int, base: str = "0123456789") -> str:
    """@string s1 = s0 # s0, s2 = s1 # s1, …: 2^levels copies of ``base`` from a few hundred bytes."""
    lines = [f'@string{{s0 = "{base}"}}'] + [f"@string{{s{i} = s{i - 1} # s{i - 1}}}" for i in range(1, levels + 1)]
    return "\n".join(lines + [f"@misc{{bomb, title = s{levels}, year = 2020}}"]) + "\n"


@pytest.mark.parametrize("text, size", [
    (chain(25), 700),  # 645 bytes: pybtex took 10 s and 670 MB
    (chain(40), 1100),  # pybtex: MemoryError
    ('@string{big = "' + "x" * 99_000 + '"}\n' + "".join(f"@misc{{k{n}, title = big}}\n" for n in range(1000)), None),
    ("@string{a = {x}}\n" + "".join(f"@string{{a = a # a # a}}\n" for _ in range(30)) + "@misc{k, title = a}\n",
     None),
])
def test_string_bombs_are_refused_quickly_under_a_memory_limit(tmp_path, text, size):
    if size is not None:
        assert len(text.encode()) <= size
    model = case_with(text, ["bomb"] if "bomb" in text else ["k0"] if "k0" in text else ["k"], str(tmp_path))
    start = time.perf_counter()
    done = run_cli("check", model, cwd=str(tmp_path), timeout=60, memory=512 << 20)
    elapsed = time.perf_counter() - start
    assert done.returncode == 2, done.stderr
    assert elapsed < 15
    assert "Traceback" not in done.stderr and "MemoryError" not in done.stderr
    assert re.search(r"references\.bib:\d+: .*(expands? to more than|nested more than)", done.stderr), done.stderr


def test_bomb_message_names_the_line_of_the_value():
    with pytest.raises(ArgmapError) as caught:
        bib.parse(chain(40), "refs.bib")
    problem = caught.value.problems[0]
    assert problem.location.line == 15  # s14 = s13 # s13: 163,840 characters, the first value over the limit
    assert "more than 100,000 characters" in problem.message


# ----------------------------------------------------------------------------- check


def test_check_names_cited_entries_a_report_cannot_list(tmp_path):
    text = ("@report{untitled,\n  institution = {SIPRI},\n  date = {2024-03},\n}\n\n"
            "@online{baddate,\n  title = {T},\n  date = {sometime in 2020},\n}\n\n"
            "@unknowntype{odd, title = {Odd type, listed as misc}, year = 2020}\n"
            "@misc{uncited}\n")
    model = case_with(text, ["untitled", "baddate", "odd"], str(tmp_path))
    done = run_cli("check", model, cwd=str(tmp_path))
    assert done.returncode == 2
    lines = [line for line in done.stderr.splitlines() if "references.bib" in line]
    assert len(lines) == 2, done.stderr
    assert re.search(r"references\.bib:1: 'untitled' is cited but a report cannot list it: it has no title; add title",
                     done.stderr)
    assert re.search(r"references\.bib:6: 'baddate' is cited .*not a BibLaTeX date; write YYYY", done.stderr)
    assert "Traceback" not in done.stderr


def test_check_and_report_accept_zotero_and_jabref(tmp_path):
    model = case_with(ZOTERO + JABREF, KEYS, str(tmp_path))
    done = run_cli("check", model, cwd=str(tmp_path))
    assert done.returncode == 0, done.stderr


# ----------------------------------------------------------------------------- rendering


@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> tuple[str, dict[str, bytes]]:
    root = str(tmp_path_factory.mktemp("bib"))
    model = argmap.load(case_with(ZOTERO + JABREF, KEYS, root))
    files = rep.render(rep.build(model))
    folder = os.path.join(root, "report")
    rep.write(files, folder)
    return folder, files


def section(text: str) -> str:
    start = text.rindex("References", 0, text.rindex("Reproduce"))  # the last: after the table of contents
    return text[start:text.index("Reproduce", start)]


def assert_references(text: str) -> None:
    text = flat(text.replace("\u00a0", " "))
    for key, shown in EXPECTED.items():
        for part in shown:
            assert flat(part) in text, (key, part)
    for leak in ("{", "}", "\\", "Style", "format_", "missing", "object has no attribute"):
        assert leak not in text, leak


def test_references_in_html(rendered):
    folder, files = rendered
    parsed = parse_html(files["report.html"].decode())
    assert_references(section("".join(parsed.parts)))
    links = [a.get("href") for t, a in parsed.tags if t == "a"]
    assert "https://doi.org/10.1080/00396338.2020.1763610" in links and "http://kremlin.ru/supplement/5920" in links


def test_references_in_markdown_on_github(rendered):
    folder, files = rendered
    parsed = parse_html(github_html(files["report.md"].decode()))
    assert_references(section("".join(parsed.parts)))
    assert "https://tass.com/defense/1069966" in [a.get("href") for t, a in parsed.tags if t == "a"]


def test_references_in_latex_compiled_with_cyrillic(rendered):
    folder, files = rendered
    pdflatex(folder, "report.tex")
    text = pdf_text(os.path.join(folder, "report.pdf"))
    assert_references(section(text).replace("-\n", "-"))  # URLs break after hyphens
    assert "Sovmestnoe" not in text  # Cyrillic set as Cyrillic, not transliterated
    log = open(os.path.join(folder, "report.log"), encoding="utf-8", errors="replace").read()
    assert "Missing character" not in log


def test_references_are_numbered_in_author_order(rendered):
    folder, files = rendered
    import json

    refs = json.loads(files["report.json"])["references"]
    assert [r["key"] for r in refs] == ["Rand2017", "Gaddis2005", "kofman_2020", "Lukin2019", "Tass2019",
                                        "sipri_2024", "kremlin_2023"]
    assert [r["label"] for r in refs] == [str(n) for n in range(1, 8)]


# ----------------------------------------------------------------------------- hostile fields


def hostile_bib(secret: str, outside: str) -> str:
    return (
        f"@misc{{evil_input,\n  title = {{Leaked: \\input{{{secret}}} end}},\n  year = 2020\n}}\n"
        "@article{evil_openout,\n  title = {Openout},\n"
        "  journal = {\\immediate\\openout5=report.html \\immediate\\write5{<script>alert(1)</script>}"
        "\\immediate\\closeout5},\n"
        f"  note = {{\\immediate\\openout6={outside} \\immediate\\write6{{x}}\\immediate\\closeout6}},\n  year = 2020\n}}\n"
        "@misc{evil_shell,\n  title = {\\write18{touch pwned-by-bib} shell},\n  year = 2020\n}\n"
        f"@misc{{evil_catcode,\n  title = {{^^5cinput^^7b{secret}^^7d and \\catcode`\\^^5c=0 \\csname input\\endcsname{{{secret}}}}},\n"
        "  year = 2020\n}\n"
        f"@misc{{evil_def,\n  title = {{\\def\\x{{\\input{{{secret}}}}}\\x \\makeatletter\\@@input {secret} "
        f"\\expandafter\\input\\string{{{secret}}}}},\n  url = {{javascript:alert(1)}},\n  year = 2020\n}}\n"
        "@string{evil = {\\input{" + secret + "}}}\n"
        "@misc{evil_macro,\n  title = evil # { via @string},\n  author = {\\input{" + secret + "} and {\\write18{x}}},\n"
        "  year = 2020\n}\n"
    )


HOSTILE_KEYS = ["evil_input", "evil_openout", "evil_shell", "evil_catcode", "evil_def", "evil_macro"]


def test_hostile_fields_are_text_in_latex_and_run_nothing(tmp_path):
    secret = tmp_path / "secret.tex"
    secret.write_text("SECRETMARKER42\n", encoding="utf-8")
    outside = tmp_path / "outside.txt"
    root = tmp_path / "case"
    model = argmap.load(case_with(hostile_bib(str(secret), str(outside)), HOSTILE_KEYS, str(root)))
    files = rep.render(rep.build(model))
    folder = str(tmp_path / "report")
    rep.write(files, folder)
    html_before = hashlib.sha256(open(os.path.join(folder, "report.html"), "rb").read()).hexdigest()
    tex = files["report.tex"].decode()
    refs = tex[tex.index("\\begin{thebibliography}"):tex.index("\\end{thebibliography}")]
    # no command of the .bib's reaches report.tex: every backslash starts one of argmap's own
    own = re.compile(r"\\(textbackslash|textasciicircum|textasciigrave|textasciitilde|textless|textgreater|textbar|"
                     r"textquotedbl)\{\}|\\[{}$&%#_]|\\(begin|end|bibitem|emph|url|argmapcyr)[{[]")
    assert not [m.group() for m in re.finditer(r"\\[A-Za-z@]+|\\.", refs) if not own.match(refs, m.start())]
    before = set(os.listdir(folder))
    pdflatex(folder, "report.tex")
    text = flat(pdf_text(os.path.join(folder, "report.pdf")))
    assert "SECRETMARKER42" not in text
    assert flat(f"Leaked: \\input{{{secret}}} end") in text.replace("- ", "-")
    assert "\\immediate\\openout5=report.html" in text and "\\write18{touch pwned-by-bib}" in text
    assert hashlib.sha256(open(os.path.join(folder, "report.html"), "rb").read()).hexdigest() == html_before
    assert not outside.exists() and not os.path.exists(os.path.join(folder, "pwned-by-bib"))
    made = set(os.listdir(folder)) - before
    assert made <= {"report.aux", "report.log", "report.out", "report.pdf"}, made
    log = open(os.path.join(folder, "report.log"), encoding="utf-8", errors="replace").read()
    assert "runsystem" not in log  # TeX logs every shell command it runs, and every file it opens:
    assert re.findall(r"\\openout\d+ = `([^']*)'", log) == ["report.aux"]


def test_hostile_fields_are_inert_in_html_and_markdown(tmp_path):
    root = tmp_path / "case"
    model = argmap.load(case_with(hostile_bib("/x/secret.tex", "/x/out.txt")
                                  + "@misc{evil_html, title = {<script>alert(1)</script> <img src=x onerror=alert(2)>"
                                    " [a](javascript:x) *b*}, year = 2020}\n", [*HOSTILE_KEYS, "evil_html"], str(root)))
    files = rep.render(rep.build(model), ["html", "md"])
    for rendered in (files["report.html"].decode(), github_html(files["report.md"].decode())):
        parsed = parse_html(rendered)
        refs = section("".join(parsed.parts))
        assert "<script>alert(1)</script> <img src=x onerror=alert(2)> [a](javascript:x) *b*" in refs
        assert "\\input{/x/secret.tex}" in refs
        assert not [a for t, a in parsed.tags if t == "a" and a.get("href", "").startswith("javascript")]
        assert not [a for t, a in parsed.tags if any(k.startswith("on") for k in a)]


# ----------------------------------------------------------------------------- properties

_TEXT = st.text(st.sampled_from(list("abcXYZ 019-.,:;'`\"\\{}$&%#_^~<>|/@*[]()!?") + ["Ж", "ё", "中", "é", "\u00a0"]),
                max_size=40)


def _balanced(text: str) -> str:
    """``text`` with unmatched braces dropped (BibTeX values must balance)."""
    out, depth = [], 0
    for char in text:
        if char == "}" and depth == 0:
            continue
        depth += char == "{"
        depth -= char == "}"
        out.append(char)
    return "".join(out) + "}" * depth


@settings(max_examples=300, deadline=None)
@given(_TEXT)
def test_any_field_value_reads_back_as_pybtex_reads_it(raw):
    from pybtex.database import parse_string

    value = _balanced(raw)
    text = f"@misc{{k,\n  title = {{{value}}},\n  year = 2020\n}}\n"
    assert bib.parse(text).get("k").fields["title"] == value
    # pybtex, like BibTeX, collapses white space; argmap does that when it turns the text into plain text
    assert parse_string(text, "bibtex").entries["k"].fields["title"] == " ".join(value.split())


@settings(max_examples=300, deadline=None)
@given(_TEXT, _TEXT)
def test_no_bib_text_becomes_a_tex_command(title, note):
    """Whatever a field holds, the LaTeX of its reference holds only argmap's own commands."""
    text = f"@misc{{k, title = {{{_balanced(title)}}}, note = {{{_balanced(note)}}}, year = 2020}}\n"
    latex = rep.references(bib.parse(text), ["k"])[0].latex
    own = re.compile(r"\\(textbackslash|textasciicircum|textasciigrave|textasciitilde|textless|textgreater|textbar|"
                     r"textquotedbl)\{\}|\\[{}$&%#_]|\\(emph|url)\{")
    assert not [m.group() for m in re.finditer(r"\\[A-Za-z@]+|\\.", latex) if not own.match(latex, m.start())]
    assert latex.count("{") - latex.count("\\{") == latex.count("}") - latex.count("\\}")


def test_latex_without_cyrillic_fonts_compiles_with_the_transliteration(rendered, tmp_path):
    """Where texlive-lang-cyrillic is missing, report.tex still compiles: the words are
    transliterated and a note says why (simulated by asking for a file that does not exist)."""
    folder, files = rendered
    tex = files["report.tex"].decode().replace("\\IfFileExists{t2aenc.def}", "\\IfFileExists{no-such-t2aenc.def}")
    assert tex != files["report.tex"].decode()
    for name in ("diagram.pdf", "trajectory.pdf", "beliefs-table.tex"):
        (tmp_path / name).write_bytes(files[name])
    (tmp_path / "report.tex").write_text(tex, encoding="utf-8")
    pdflatex(str(tmp_path), "report.tex", runs=1)
    text = flat(pdf_text(str(tmp_path / "report.pdf")))
    assert "Prezident Rossii. Sovmestnoe zayavlenie" in text and "Президент" not in text
    assert "Cyrillic is transliterated into Latin letters" in text


@settings(max_examples=300, deadline=None)
@given(st.text(st.sampled_from(list("ab {}\\$Ж中ёЯ é") + ["\u200f", "\u2212"]), max_size=30))
def test_latex_conversion_of_unicode_is_idempotent(text):
    """A reference's LaTeX goes through the report's Unicode step once as a field and again as a
    |raw value: the second pass changes nothing (Cyrillic words are not wrapped twice)."""
    once = rep.latex_escape(text)
    fallbacks: set[str] = set()
    assert escape.tex_unicode(once, fallbacks) == once
    assert ("cyrillic" in fallbacks) == bool(re.search("[ЖёЯ]", text))
