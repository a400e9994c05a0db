"""Reports: the committed report of the shipped case is current; HTML in headless Chromium (no
console errors, SVGs drawn, sortable, a screenshot), Markdown through GitHub's renderer,
LaTeX through pdflatex; hostile text is inert and shown verbatim everywhere; random models give
a report; templates can be overridden."""

from __future__ import annotations

import html.parser
import json
import math
import os
import re
import shutil
import subprocess

import pytest
from click.testing import CliRunner
from clients import missing
from conftest import ROOT, SHIPPED_MODEL
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import cases, write_case

import argmap
from argmap.output import report as rep
from argmap.output.report import escape
from argmap.output.report import rendering as report_render
from argmap.cli import main

REPORT_DIR = os.path.join(ROOT, "reports", "russia_china")
OUTPUT = os.path.join(ROOT, "test-output", "report")
REGENERATE = "regenerate it: argmap report models/russia_china.yaml (from the repository's root)"


# ----------------------------------------------------------------------------- helpers


def tool(name: str) -> str:
    found = shutil.which(name)
    if not found:
        package = {"pdflatex": "texlive-latex-base texlive-latex-recommended texlive-fonts-recommended lmodern "
                               "texlive-lang-cyrillic cm-super-minimal",
                   "pdftotext": "poppler-utils"}[name]
        missing(name, f"run scripts/setup.sh test (apt-get install {package})")
    return found


def pdflatex(folder: str, name: str, runs: int = 2) -> str:
    """Compile ``name`` in ``folder`` (stopping at the first error); the log."""
    tool("pdflatex")
    if not shutil.which("kpsewhich") or not subprocess.run(["kpsewhich", "lmodern.sty"], capture_output=True,
                                                             text=True).stdout.strip():
        missing("the lmodern LaTeX fonts", "run scripts/setup.sh test (apt-get install lmodern)")
    for _ in range(runs):
        done = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "-no-shell-escape", name],
                              cwd=folder, capture_output=True, text=True, errors="replace", timeout=300)
        log = done.stdout
        assert done.returncode == 0, f"pdflatex {name} failed:\n" + "\n".join(log.splitlines()[-40:])
    return log


def pdf_text(path: str) -> str:
    done = subprocess.run([tool("pdftotext"), "-enc", "UTF-8", path, "-"], capture_output=True, check=True)
    return done.stdout.decode("utf-8")


def flat(text: str) -> str:
    """Whitespace collapsed, hyphenation at line ends undone, typographic quotes made plain."""
    text = re.sub(r"(\w)-\n(\w)", r"\1\2", text)
    text = text.replace("’", "'").replace("‘", "'").replace("“", '"').replace("”", '"')
    return " ".join(text.split())


class _Text(html.parser.HTMLParser):
    """The text of an HTML document and every tag with its attributes."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.tags: list[tuple[str, dict]] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag in ("style", "script"):
            self._skip += 1
        if tag == "br":
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag in ("style", "script"):
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def parse_html(text: str) -> _Text:
    parser = _Text()
    parser.feed(text)
    parser.close()
    return parser


def github_html(markdown: str) -> str:
    """report.md as GitHub renders it (cmark-gfm; raw HTML let through, so that escaping, not a
    sanitizer, is what keeps hostile text inert)."""
    try:
        import cmarkgfm
        from cmarkgfm.cmark import Options
    except ImportError:
        missing("cmarkgfm (GitHub's Markdown renderer)", "pip install cmarkgfm (it is in argmap's test extra)")
    return cmarkgfm.github_flavored_markdown_to_html(markdown, options=Options.CMARK_OPT_UNSAFE)


def numbers_close(expected, actual, path: str = "$") -> list[str]:
    """Differences between two JSON values: numbers within 1e-6, everything else equal."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        if set(expected) != set(actual):
            return [f"{path}: keys {sorted(set(expected) ^ set(actual))} differ"]
        return [d for k in expected for d in numbers_close(expected[k], actual[k], f"{path}.{k}")]
    if isinstance(expected, list) and isinstance(actual, list):
        if len(expected) != len(actual):
            return [f"{path}: {len(actual)} entries, expected {len(expected)}"]
        return [d for k, (a, b) in enumerate(zip(expected, actual)) for d in numbers_close(a, b, f"{path}[{k}]")]
    if isinstance(expected, float | int) and isinstance(actual, float | int) and not isinstance(expected, bool):
        return [] if math.isclose(expected, actual, rel_tol=1e-6, abs_tol=1e-9) else [f"{path}: {actual} != {expected}"]
    return [] if expected == actual else [f"{path}: {actual!r} != {expected!r}"]


@pytest.fixture(scope="module")
def shipped_files(tmp_path_factory) -> dict[str, bytes]:
    """The shipped case's report, made now the way the committed one was made."""
    old = os.getcwd()
    os.chdir(ROOT)
    try:
        model = argmap.load("models/russia_china.yaml")
        files = rep.render(rep.build(model))
    finally:
        os.chdir(old)
    out = tmp_path_factory.mktemp("shipped")
    rep.write(files, str(out))
    files["__dir__"] = str(out).encode()
    return files


# ----------------------------------------------------------------------------- the committed report


def test_committed_report_matches_the_model_and_evidence(shipped_files):
    """reports/russia_china/ holds every file of the report, and its numbers are today's."""
    for name in ("report.html", "report.md", "report.tex", "beliefs-table.tex", "report.json", "diagram.svg",
                 "diagram.pdf", "trajectory.svg", "trajectory.pdf"):
        assert os.path.exists(os.path.join(REPORT_DIR, name)), f"reports/russia_china/{name} is missing; {REGENERATE}"
    with open(os.path.join(REPORT_DIR, "report.json"), encoding="utf-8") as handle:
        committed = json.load(handle)
    fresh = json.loads(shipped_files["report.json"])
    for data in (committed, fresh):
        data.pop("versions")
    differences = numbers_close(fresh, committed)
    assert not differences, f"the committed report is out of date ({REGENERATE}):\n" + "\n".join(differences[:20])


def test_committed_markdown_is_what_the_templates_give(shipped_files):
    """Beyond the numbers: report.md is today's text (only the versions line may differ)."""
    with open(os.path.join(REPORT_DIR, "report.md"), encoding="utf-8") as handle:
        committed = handle.read()

    def masked(text: str) -> str:
        return re.sub(r"Made by argmap .*? The same inputs", "Made by … The same inputs", text)

    assert masked(committed) == masked(shipped_files["report.md"].decode()), f"report.md is out of date; {REGENERATE}"


def test_report_numbers_are_the_networks(shipped_files):
    data = json.loads(shipped_files["report.json"])
    model = argmap.load(SHIPPED_MODEL)
    beliefs = model.update()
    claims = {c["id"]: c for c in data["claims"]}
    for cid, b in beliefs.claims.items():
        for state in claims[cid]["states"]:
            assert state["posterior"] == pytest.approx(b.posterior[state["state"]], abs=1e-12)
            assert state["prior"] == pytest.approx(b.prior[state["state"]], abs=1e-12)
    assert data["counted"] == len(beliefs.counted) == 47
    # the trajectory ends where the beliefs are
    last = data["trajectory"][-1]["values"]
    for series, value in zip(data["series"], last):
        assert value == pytest.approx(beliefs.posterior(series["claim"], series["state"]), abs=1e-9)
    # an evidence row's weight is analyse.weight_of_evidence's
    from argmap.analysis.weights import leave_one_out, weight_of_evidence

    row = next(r for r in data["evidence"] if r["item"] == "s400_contract")
    weight = weight_of_evidence(model, model.item("s400_contract"), "cooperation")
    assert row["likelihood_ratio"] == pytest.approx(weight.likelihood_ratio)
    assert row["van_evera"] == weight.van_evera
    # leave-one-out in dB, like the weight beside it (the key says the unit)
    assert "leave_one_out" not in row
    assert row["leave_one_out_db"] == pytest.approx(
        10 / math.log(10) * leave_one_out(model, "cooperation")["s400_contract"], abs=1e-9)
    # the report's comparisons and accounts are update's; the ACH pairs are argmap weigh's
    from argmap.analysis.pairwise import comparisons, weigh

    assert [(c["of"], c["a"], c["b"]) for c in data["comparisons"]] == [(c.of, c.a, c.b) for c in comparisons(beliefs)]
    assert data["accounts"][0]["name"] == "paper"
    assert data["accounts"][0]["posterior"] == pytest.approx(beliefs.accounts["paper"].posterior, abs=1e-12)
    weighed = weigh(model, "russia_motive")
    driver = next(t for t in data["ach"] if t["claim"] == "russia_motive")
    for pair, total in zip(driver["pairs"], weighed.totals):
        assert (pair["a"], pair["b"]) == (total.a, total.b)
        assert pair["decibels"] == pytest.approx(total.decibels, abs=1e-9)
        assert pair["naive_db"] == pytest.approx(total.naive_db, abs=1e-9)
    by_item = {r.item: r for r in weighed.rows}
    for row in driver["rows"]:
        assert row["pair_decibels"] == pytest.approx([p.decibels for p in by_item[row["item"]].pairs], abs=1e-9)
    # the ACH view of driver: cells are LRs for each state, the least inconsistent is marked
    ach = next(t for t in data["ach"] if t["claim"] == "russia_motive")
    assert ach["states"] == ["balance_us", "strategic_alignment", "arms_revenue"]
    assert ach["least_inconsistent"] == "balance_us"
    first = ach["rows"][0]
    item = model.item(first["item"])
    for k, state in enumerate(ach["states"]):
        assert first["likelihood_ratios"][k] == pytest.approx(weight_of_evidence(model, item, "russia_motive", state).likelihood_ratio)
    assert first["diagnosticity"] == pytest.approx(10 * math.log10(max(first["likelihoods"]) / min(first["likelihoods"])))
    assert [r["diagnosticity"] for r in ach["rows"]] == sorted((r["diagnosticity"] for r in ach["rows"]), reverse=True)
    # reproducibility: every input file with its hash, the command, the versions
    paths = {f["path"] for f in data["inputs"]}
    assert "models/russia_china.yaml" in paths and "evidence/russia_china/references.bib" in paths
    assert len([f for f in data["inputs"] if f["role"] == "evidence"]) == 6
    assert all(re.fullmatch(r"[0-9a-f]{64}", f["sha256"]) for f in data["inputs"])
    assert data["command"] == "argmap report models/russia_china.yaml"
    assert set(data["versions"]) == {"argmap", "pgmpy", "numpy", "python"}


def test_committed_diagram_files_are_the_reports(shipped_files):
    with open(os.path.join(REPORT_DIR, "diagram.svg"), "rb") as handle:
        assert handle.read() == shipped_files["diagram.svg"], REGENERATE


# ----------------------------------------------------------------------------- HTML in Chromium


def test_html_is_self_contained_and_escaped(shipped_files):
    text = shipped_files["report.html"].decode()
    parsed = parse_html(text)
    for tag, attributes in parsed.tags:
        assert tag not in ("link", "iframe", "object", "embed", "img") or attributes.get("href", "").startswith("data:"), tag
        assert not (tag == "script" and "src" in attributes)
    csp = next(a["content"] for t, a in parsed.tags if t == "meta" and a.get("http-equiv") == "Content-Security-Policy")
    assert "default-src 'none'" in csp and "'unsafe-inline'" not in csp.split("script-src")[1]
    assert text.count("<svg") == 4 and "<?xml" not in text  # the map and the trajectory, each wide and for a phone


def test_html_in_chromium(shipped_files):
    from browser import Browser

    path = os.path.join(shipped_files["__dir__"].decode(), "report.html")
    with Browser() as browser:
        page = browser.page("file://" + path, width=1280, height=900)
        figures = page.evaluate("""Array.from(document.querySelectorAll('svg.figure-svg')).map(s => {
            const box = s.getBoundingClientRect();
            return {id: s.id, width: box.width, height: box.height, texts: s.querySelectorAll('text').length,
                    drawn: Array.from(s.querySelectorAll('text')).filter(t => t.getBBox().width > 0).length};
        })""")
        assert {f["id"] for f in figures} == {"diagram", "diagram-narrow", "trajectory", "trajectory-narrow"}
        figures = [f for f in figures if f["width"] > 0]  # the phone's figures are hidden on a desktop
        assert {f["id"] for f in figures} == {"diagram", "trajectory"}
        for figure in figures:
            assert figure["width"] > 300 and figure["height"] > 200, figure
            assert figure["texts"] > 20 and figure["drawn"] >= 0.9 * figure["texts"], figure
        body = page.evaluate("document.body.innerText")
        assert "Russia–China military cooperation after 2014" in body and "ACH view" in body
        steps = len(json.loads(shipped_files["report.json"])["trajectory"])
        assert report_render.trajectory_labels(steps) in body  # the caption of the figure shown…
        assert report_render.trajectory_labels(steps, report_render.NARROW_WIDTH) not in body  # …not the phone's
        # sorting: by LR, ascending then descending; rows without an LR (hard evidence) stay last
        lr_column = page.evaluate("Array.from(document.querySelector('table.evidence thead tr').cells)"
                                  ".findIndex(c => c.textContent.trim().startsWith('LR'))")
        values = "Array.from(document.querySelector('table.evidence tbody').rows).map(r => r.cells[%d].dataset.sort)"
        page.evaluate(f"document.querySelector('table.evidence thead tr').cells[{lr_column}].querySelector('button').click()")
        ascending = [float(v) for v in page.evaluate(values % lr_column) if v]
        assert ascending == sorted(ascending) and len(ascending) > 20
        page.evaluate(f"document.querySelector('table.evidence thead tr').cells[{lr_column}].querySelector('button').click()")
        descending = [float(v) for v in page.evaluate(values % lr_column) if v]
        assert descending == sorted(ascending, reverse=True)
        assert page.evaluate("document.querySelector('table.evidence tbody').rows.length") == len(
            json.loads(shipped_files["report.json"])["evidence"])
        shot = page.screenshot(os.path.join(OUTPUT, "report-desktop.png"))
        pdf = page.print_pdf()
        assert not page.problems(), page.problems()
        phone = browser.page("file://" + path, width=390, height=844, mobile=True)
        assert phone.evaluate("document.documentElement.scrollWidth") <= 390, "the page scrolls sideways on a phone"
        assert phone.evaluate("getComputedStyle(document.querySelector('table.evidence thead')).position") == "absolute"
        # on a phone the map and the trajectory are the ones laid out for 3.5 in: shown near their
        # size (7 pt × 343/252: over 9 CSS px), their text drawn, the caption's words for that figure
        shown = phone.evaluate("""Array.from(document.querySelectorAll('svg.figure-svg'))
            .filter(s => s.getBoundingClientRect().width > 0).map(s => ({id: s.id, width: s.getBoundingClientRect().width,
             drawn: Array.from(s.querySelectorAll('text')).filter(t => t.getBBox().width > 0).length}))""")
        assert [f["id"] for f in shown] == ["diagram-narrow", "trajectory-narrow"], shown
        assert all(300 < f["width"] <= 390 and f["drawn"] > 20 for f in shown), shown
        caption = phone.evaluate("document.querySelector('figure.trajectory figcaption').innerText")
        assert report_render.trajectory_labels(len(json.loads(shipped_files["report.json"])["trajectory"]),
                                               report_render.NARROW_WIDTH) in caption
        phone_shot = phone.screenshot(os.path.join(OUTPUT, "report-phone.png"))
        assert not phone.problems(), phone.problems()
    assert pdf.startswith(b"%PDF") and pdf.count(b"/Type /Page") > 5
    with open(os.path.join(OUTPUT, "report-print.pdf"), "wb") as out:
        out.write(pdf)
    for data in (shot, phone_shot):
        assert_shows_content(data)


def assert_shows_content(png: bytes) -> None:
    """A screenshot with text and figures on it, not a blank or an error page."""
    import io

    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("L")
    histogram = image.histogram()
    dark = sum(histogram[:128]) / (image.width * image.height)
    assert 0.01 < dark < 0.5, f"{dark:.3f} of the screenshot is dark"
    assert sum(1 for count in histogram if count) > 40  # text is anti-aliased: many grey levels


# ----------------------------------------------------------------------------- Markdown and LaTeX


def test_markdown_renders_on_github(shipped_files):
    rendered = github_html(shipped_files["report.md"].decode())
    parsed = parse_html(rendered)
    images = [a["src"] for t, a in parsed.tags if t == "img"]
    assert images == ["diagram.svg", "trajectory.svg"]
    for src in images:
        assert os.path.exists(os.path.join(shipped_files["__dir__"].decode(), src))
    assert sum(1 for t, _ in parsed.tags if t == "table") >= 6
    text = flat("".join(parsed.parts))
    assert "Russia–China military cooperation after 2014" in text and "0.96" in text
    assert "argmap report models/russia_china.yaml" in text


def overfull(folder: str, name: str) -> list[str]:
    """The overfull-box warnings in a compiled document's log, each with the lines it names."""
    with open(os.path.join(folder, name.removesuffix(".tex") + ".log"), encoding="utf-8", errors="replace") as handle:
        log = handle.read()
    return re.findall(r"^Overfull \\[hv]box .*$(?:\n.*$){0,2}", log, re.MULTILINE)


def test_latex_report_and_paper_pieces_compile(shipped_files, tmp_path):
    """The report compiles with no overfull box (long ids in \\texttt, a long domain in the
    evidence table's source column, bounds in the causal table); so does a two-column paper that
    sets beliefs-table-column.tex in a column and the full table and both figures across the page."""
    folder = shipped_files["__dir__"].decode()
    pdflatex(folder, "report.tex")
    assert not overfull(folder, "report.tex"), overfull(folder, "report.tex")
    text = flat(pdf_text(os.path.join(folder, "report.pdf")))
    for expected in ("Russia–China military cooperation after 2014", "0.96", "balance us", "ACH view",
                     "argmap report models/russia_china.yaml", "References"):
        assert expected in text, expected
    # a paper: its own preamble (default encodings), then argmap's pieces
    for name in ("beliefs-table.tex", "diagram.pdf", "trajectory.pdf"):
        shutil.copy(os.path.join(folder, name), tmp_path / name)
    (tmp_path / "paper.tex").write_text(
        "\\documentclass{article}\n\\usepackage{booktabs}\n\\usepackage{graphicx}\n\\begin{document}\n"
        "\\begin{table}\\centering\\small\\input{beliefs-table.tex}\\caption{Beliefs}\\end{table}\n"
        "\\begin{figure}\\includegraphics[width=\\textwidth]{diagram.pdf}\\caption{Map}\\end{figure}\n"
        "\\begin{figure}\\includegraphics[width=\\textwidth]{trajectory.pdf}\\caption{Trajectory}\\end{figure}\n"
        "\\end{document}\n", encoding="utf-8")
    pdflatex(str(tmp_path), "paper.tex", runs=1)
    assert "almost certain" in pdf_text(str(tmp_path / "paper.pdf"))
    two = tmp_path / "two-column"
    two.mkdir()
    for name in ("beliefs-table.tex", "beliefs-table-column.tex", "diagram.pdf", "trajectory.pdf"):
        shutil.copy(os.path.join(folder, name), two / name)
    shutil.copy(os.path.join(ROOT, "tests", "data", "two-column-paper.tex"), two / "paper.tex")
    pdflatex(str(two), "paper.tex")
    assert not overfull(str(two), "paper.tex"), overfull(str(two), "paper.tex")


def test_texttt_ids_break_after_their_separators():
    tex = report_render._tex_id("smoking_gun(russia_motive=balance_us, x/y)")
    assert tex == ("smoking\\_\\allowbreak{}gun(\\allowbreak{}russia\\_\\allowbreak{}motive=\\allowbreak{}"
                   "balance\\_\\allowbreak{}us,\\allowbreak{} x/\\allowbreak{}y)")
    assert report_render._tex_id("end_") == "end\\_"  # nothing to break before


def test_trajectory_caption_says_what_the_figure_labels(shipped_files):
    """The caption's rule for the x axis is the figure's: as many step labels in trajectory.svg
    as the caption promises; the figure has no title of its own (the section heading is its title)."""
    from argmap.output import plots

    data = json.loads(shipped_files["report.json"])
    steps = len(data["trajectory"])
    every = plots.trajectory_labels_every(steps, report_render.FIGURE_WIDTH)
    svg = shipped_files["trajectory.svg"]
    labels = re.findall(rb'<text[^>]*rotate\(-90\)"[^>]*>([^<]*)</text>', svg)
    assert len(labels) == len(range(0, steps, every))
    assert b"Belief trajectory" not in svg
    caption = report_render.trajectory_labels(steps)
    assert caption == ("every step is labelled by the item that caused it and its date" if every == 1 else caption)
    for name in ("report.html", "report.md", "report.tex"):
        assert caption in flat(shipped_files[name].decode()), name
    assert "every third one is labelled" in report_render.trajectory_labels(120)


# ----------------------------------------------------------------------------- hostile text

HOSTILE = {
    "script": "<script>window.__pwned = 1</script>",
    "img": '<img src=x onerror="window.__pwned=2">',
    "jinja": "{{ 7*7 }} {% if x %} {# c #}",
    "quotes": "say \"hi\" & 'bye'",
    "backslash": "C:\\new\\table \\\\ end\\",
    "latex": "50% & $5 #1 _x ~y ^z {a} \\textbf{b} \\end{document}",
    "markdown": "*not bold* _no_ [link](http://x) | pipe `code` # head <br>",
    "newline": "first line\nsecond line",
    "rtl": "\u200fعربي\u200f mark",
    "russian": "Россия и Китай",
    "chinese": "中俄军事合作",
    "latin": "Zürich Łódź Straße naïve “quoted” – € → ‰",
}
LATIN = ("script", "img", "jinja", "quotes", "backslash", "latex", "markdown", "newline", "latin")


def hostile_case(root: str) -> str:
    """A model whose every piece of free text (and a state name, a source, a citation, a URL and a
    bibliography entry) is hostile."""
    values = list(HOSTILE.values())
    claims = {f"c_{k}": {"text": f"{v} — text", "label": v, "role": "factor", "prior": 0.5} for k, v in HOSTILE.items()}
    claims["h"] = {"text": HOSTILE["latex"], "label": HOSTILE["script"], "role": "hypothesis",
                   "supported_by": {f"c_{k}": 0.3 for k in HOSTILE}}
    claims["rivals"] = {"text": HOSTILE["markdown"], "label": HOSTILE["quotes"], "role": "hypothesis",
                        "states": ["<b>one</b>", "{{two}}", "three\\"], "given": ["h"],
                        "table": {"true": {"<b>one</b>": 0.5, "{{two}}": 0.3, "three\\": 0.2},
                                  "false": {"<b>one</b>": 0.2, "{{two}}": 0.3, "three\\": 0.5}}}
    items = [{"id": f"e_{k}", "date": f"20{10 + n:02d}-01", "text": v, "bears_on": "h", "lr": 2 + n,
              "cite": "hostile", "quote": HOSTILE["quotes"], "page": "12–14"}
             for n, (k, v) in enumerate(HOSTILE.items())]
    items[0]["url"] = "javascript:window.__pwned=3"
    items[1]["url"] = "https://example.org/a b?q=1&r=%3C{x}#frag\"<>"
    del items[2]["lr"]  # an lr takes no source (DESIGN §4): this one states its levels
    items[2].update(source="src", likelihood={"true": 0.8, "false": 0.2})
    items[3]["date"], items[4]["date"] = "2013", "2014-03-05"  # dates of every precision
    items.append({"id": "e_rivals", "date": "2030-01", "text": HOSTILE["newline"], "bears_on": "rivals",
                  "likelihood": {"<b>one</b>": 0.8, "{{two}}": 0.2, "three\\": 0.3}, "source": "src"})
    path = write_case({"model": {
        "argmap": 1, "title": HOSTILE["script"] + " " + HOSTILE["russian"], "question": HOSTILE["latex"],
        "hypothesis": HOSTILE["newline"], "theory": HOSTILE["markdown"], "authors": [HOSTILE["quotes"], "Ann O'Neil"],
        "bibliography": "../evidence/case/refs.bib", "claims": claims, "evidence": ["../evidence/case/"],
        "sources": {"src": {"text": HOSTILE["img"] + " " + HOSTILE["chinese"], "reliability": "B"}},
    }, "evidence": items}, root)
    with open(os.path.join(root, "evidence", "case", "refs.bib"), "w", encoding="utf-8") as out:
        out.write("@misc{hostile,\n  author = {O'Brien, J. and Иванов, Иван},\n"
                  "  title = {<script>window.__pwned=4</script> A \\& B 50\\% {{ x }} 中俄},\n"
                  "  howpublished = {a \"quote\" and \\_under},\n  url = {javascript:window.__pwned=5},\n"
                  "  year = {2020}\n}\n")
    assert values
    return path


@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> tuple[str, dict[str, bytes]]:
    root = str(tmp_path_factory.mktemp("hostile"))
    model = argmap.load(hostile_case(root))
    files = rep.render(rep.build(model))
    out = os.path.join(root, "report")
    rep.write(files, out)
    return out, files


def test_hostile_text_is_inert_and_verbatim_in_html(hostile):
    from browser import Browser

    folder, files = hostile
    with Browser() as browser:
        page = browser.page("file://" + os.path.join(folder, "report.html"))
        assert page.evaluate("typeof window.__pwned") == "undefined"
        assert page.evaluate("document.querySelectorAll('img').length + document.querySelectorAll('script').length") == 1
        body = flat(page.evaluate("document.body.innerText"))
        title = page.evaluate("document.title")
        links = page.evaluate("Array.from(document.querySelectorAll('a[href]')).map(a => a.href)")
        assert not page.problems(), page.problems()
    for key, value in HOSTILE.items():
        assert flat(value) in body, key
    assert title.startswith(HOSTILE["script"])
    assert not [link for link in links if link.lower().startswith("javascript:")]
    assert "https://example.org/a%20b?q=1&r=%3C%7Bx%7D#frag%22%3C%3E" in links
    assert "<b>one</b>" in body and "{{two}}" in body


def test_hostile_text_is_inert_and_verbatim_in_markdown(hostile):
    _, files = hostile
    rendered = github_html(files["report.md"].decode())
    parsed = parse_html(rendered)
    assert [a["src"] for t, a in parsed.tags if t == "img"] == ["diagram.svg", "trajectory.svg"]
    assert not [a for t, a in parsed.tags if t == "script" or any(k.startswith("on") for k in a)]
    assert not [a for t, a in parsed.tags if t == "a" and a.get("href", "").lower().startswith("javascript")]
    text = flat("".join(parsed.parts))
    for key, value in HOSTILE.items():
        assert flat(value) in text, key


def test_hostile_text_compiles_and_shows_in_latex(hostile, tmp_path):
    folder, files = hostile
    pdflatex(folder, "report.tex")
    text = flat(pdf_text(os.path.join(folder, "report.pdf")))
    for key in LATIN:
        assert flat(HOSTILE[key]) in text, key
    assert "Россия и Китай" in text  # Cyrillic set in T2A (texlive-lang-cyrillic)
    assert "Rossiya" not in text
    assert "[U+4E2D U+4FC4 U+519B U+4E8B U+5408 U+4F5C]" in text  # other scripts as code points
    assert "Note on characters" in text
    for name in ("beliefs-table.tex", "diagram.pdf", "trajectory.pdf"):
        shutil.copy(os.path.join(folder, name), tmp_path / name)
    # beliefs-table.tex asks a paper for booktabs, and T1 for text beyond ASCII
    (tmp_path / "paper.tex").write_text("\\documentclass{article}\n\\usepackage[T1]{fontenc}\n\\usepackage{lmodern}\n"
                                        "\\usepackage{booktabs}\n\\begin{document}\n"
                                        "\\input{beliefs-table.tex}\n\\end{document}\n", encoding="utf-8")
    pdflatex(str(tmp_path), "paper.tex", runs=1)
    assert flat(HOSTILE["latex"]) in flat(pdf_text(str(tmp_path / "paper.pdf")))


def test_latex_escape_covers_every_special_character():
    escaped = rep.latex_escape("& % $ # _ { } ~ ^ \\ < > | \" -- '' ,,")
    assert escaped == ("\\& \\% \\$ \\# \\_ \\{ \\} \\textasciitilde{} \\textasciicircum{} \\textbackslash{} "
                       "\\textless{} \\textgreater{} \\textbar{} \\textquotedbl{} -{}- '{}' ,{},")
    fallbacks: set[str] = set()
    assert rep.latex_escape("Россия 中\u200f [x]", fallbacks) == "\\argmapcyr{Россия}{Rossiya} {[}U+4E2D{]} {[}x{]}"
    assert fallbacks == {"cyrillic", "codepoints"}
    assert rep.latex_escape("a\nb") == "a\\newline b" and rep.latex_escape("a\nb", newlines=False) == "a b"


def test_markdown_escape_keeps_text_verbatim():
    for key, value in HOSTILE.items():
        escaped = rep.markdown_escape(value)
        rendered = github_html(f"| x |\n|---|\n| {escaped} |\n\n{escaped}\n\n- {escaped}\n")
        parsed = parse_html(rendered)
        made = {t for t, a in parsed.tags if not (t == "a" and a["href"].startswith("http"))}  # GFM autolinks URLs
        assert made <= {"table", "thead", "tbody", "tr", "th", "td", "p", "br", "ul", "li"}, key
        assert flat("".join(parsed.parts)) == flat(f"x {value} {value} {value}"), key


def test_every_allowed_latin_character_compiles(tmp_path):
    """The characters latex_escape passes to pdfLaTeX as they are really are set with T1 + lmodern."""
    chars = "".join(chr(c) for low, high in escape._TEX_RANGES for c in range(low, high + 1))
    symbols = "".join(escape._TEX_SYMBOLS)
    (tmp_path / "chars.tex").write_text(
        "\\documentclass{article}\n\\usepackage[T1]{fontenc}\n\\usepackage[utf8]{inputenc}\n\\usepackage{lmodern}\n"
        "\\usepackage{textcomp}\n\\tracinglostchars=2\n\\begin{document}\n" + rep.latex_escape(chars + " " + symbols)
        + "\n\\end{document}\n", encoding="utf-8")
    pdflatex(str(tmp_path), "chars.tex", runs=1)
    log = (tmp_path / "chars.log").read_text(encoding="utf-8", errors="replace")
    assert "Missing character" not in log, [line for line in log.splitlines() if "Missing character" in line][:10]


def test_only_web_links_are_links():
    assert rep.safe_url("https://example.org/x") == "https://example.org/x"
    for bad in ("javascript:alert(1)", " JavaScript:alert(1)", "data:text/html,x", "vbscript:x", "file:///etc/passwd",
                "https://x.org/\x00", "relative/path"):
        assert rep.safe_url(bad) is None, bad


# ----------------------------------------------------------------------------- random models and the CLI


@settings(max_examples=12, deadline=None)
@given(cases())
def test_random_models_give_a_report(case):
    import tempfile

    with tempfile.TemporaryDirectory() as root:
        model = argmap.load(write_case(case, root))
        report = rep.build(model)
        files = rep.render(report)
        assert set(files) >= {"report.html", "report.md", "report.tex", "beliefs-table.tex", "report.json"}
        data = json.loads(files["report.json"])
        assert data["counted"] == len(model.update().counted)
        parse_html(files["report.html"].decode())
        github_html(files["report.md"].decode())
        for row in report.evidence:
            if not row.hard:
                assert row.likelihood_ratio is not None and row.van_evera


@settings(max_examples=15, deadline=None)
@given(cases(max_claims=4, max_items=6), st.data())
def test_as_of_split_agrees_with_pgmpy_at_every_milestone(case, data):
    """Each column of the as-of split holds the posteriors of the evidence dated up to its milestone
    (checked against pgmpy's VariableElimination), milestones at or after the report's own cut-off
    are left out, the last column is the report's beliefs, and each pair's dB is the column's
    own odds ratio."""
    import tempfile

    # milestones and cut-offs among the items' own years, so that the columns differ
    dated = sorted({int(str(item["date"])[:4]) for item in case["evidence"] if "date" in item} | {1989, 2031})
    years = data.draw(st.lists(st.sampled_from(dated), min_size=1, max_size=3, unique=True))
    as_of = data.draw(st.sampled_from([None, *map(str, dated)]))
    case["model"]["milestones"] = [{"date": str(y), "label": f"up to {y}"} for y in years]
    with tempfile.TemporaryDirectory() as root:
        model = argmap.load(write_case(case, root))
        report = rep.build(model, as_of, robustness=False)
    cutoff = model.update(as_of=as_of).as_of
    due = [str(y) for y in sorted(years) if cutoff is None or y < cutoff.year]
    assert model.milestones and all(str(m.date) in map(str, years) for m in model.milestones)
    split = report.as_of_split
    if not due:
        assert split is None
        return
    assert [c.date for c in split.columns] == [*due, None]
    assert split.columns[-1].counted == report.counted
    for k, date in enumerate([*due, as_of]):
        reference = model.update(as_of=date, engine="pgmpy")
        assert split.columns[k].counted == len(reference.counted)
        for row in split.beliefs:
            assert row.values[k] == pytest.approx(reference.posterior(row.of, row.a), abs=1e-9)
        for row in split.pairs:
            claim = reference[row.of]
            expected = 10 * math.log10(claim.posterior[row.a] / claim.posterior[row.b]
                                       / (claim.prior[row.a] / claim.prior[row.b]))
            assert row.values[k] == pytest.approx(expected, abs=1e-6)


def test_cli_writes_the_chosen_formats_to_the_default_folder(case_dir):
    path = hostile_case(case_dir)
    runner = CliRunner()
    done = runner.invoke(main, ["report", path, "--format", "md,html", "--as-of", "2015"])
    assert done.exit_code == 0, done.output
    folder = os.path.join(case_dir, "reports", "case")
    assert sorted(os.listdir(folder)) == ["diagram.svg", "report.html", "report.json", "report.md", "trajectory.svg"]
    data = json.loads(open(os.path.join(folder, "report.json"), encoding="utf-8").read())
    assert data["as_of"] == "2015" and data["counted"] == 6
    assert data["command"].endswith("--format md,html --as-of 2015")


def test_cli_rejects_bad_formats_and_template_folders(case_dir):
    path = hostile_case(case_dir)
    runner = CliRunner()
    done = runner.invoke(main, ["report", path, "--format", "htm", "-o", os.path.join(case_dir, "out")])
    assert done.exit_code == 2 and "unknown report format 'htm'; did you mean 'html'?" in done.output
    assert not os.path.exists(os.path.join(case_dir, "out"))
    done = runner.invoke(main, ["report", path, "--templates", os.path.join(case_dir, "nowhere")])
    assert done.exit_code == 2
    open(os.path.join(case_dir, "a_file"), "w").close()
    done = runner.invoke(main, ["report", path, "-o", os.path.join(case_dir, "a_file"), "--format", "md"])
    assert done.exit_code == 2 and "a_file is a file; -o names the folder" in done.output


def test_user_templates_override_and_extend_the_shipped_ones(case_dir):
    path = hostile_case(case_dir)
    templates = os.path.join(case_dir, "templates")
    os.makedirs(templates)
    with open(os.path.join(templates, "report.md.j2"), "w", encoding="utf-8") as out:
        out.write('{% extends "argmap/report.md.j2" %}\n{% block header %}# Our own header: {{ r.title }}\n\n'
                  '{% endblock %}\n')
    out_dir = os.path.join(case_dir, "out")
    done = CliRunner().invoke(main, ["report", path, "-o", out_dir, "--format", "md", "--templates", templates])
    assert done.exit_code == 0, done.output
    text = open(os.path.join(out_dir, "report.md"), encoding="utf-8").read()
    assert text.startswith("# Our own header: \\<script>") and "## Evidence" in text  # a tag's < escaped, > needs not
    assert "--templates" in text
    with open(os.path.join(templates, "report.md.j2"), "w", encoding="utf-8") as out:
        out.write("line one\n{% if %}\n")
    done = CliRunner().invoke(main, ["report", path, "-o", os.path.join(case_dir, "broken"), "--format", "md",
                                     "--templates", templates])
    assert done.exit_code == 2 and "report.md.j2:2" in done.output and "template" in done.output
    assert not os.path.exists(os.path.join(case_dir, "broken"))


def test_templates_kept_for_the_process_still_follow_the_users_edits(case_dir):
    """The compiled templates are kept between renders (watch); a template added to the user's
    folder, or edited there, is what the next render uses."""
    report = rep.build(argmap.load(hostile_case(case_dir)), robustness=False)
    templates = os.path.join(case_dir, "templates")
    os.makedirs(templates)
    shipped = rep.render(report, ["md"], templates=templates)["report.md"]
    override = os.path.join(templates, "report.md.j2")
    for text in ("first {{ r.counted }}\n", "second, longer {{ r.total }}\n"):
        with open(override, "w", encoding="utf-8") as out:
            out.write(text)
        expected = text.replace("{{ r.counted }}", str(report.counted)).replace("{{ r.total }}", str(report.total))
        assert rep.render(report, ["md"], templates=templates)["report.md"].decode() == expected
    os.remove(override)
    assert rep.render(report, ["md"], templates=templates)["report.md"] == shipped


def test_beliefs_first_writes_the_beliefs_then_the_whole_report_with_the_same_figures(case_dir, monkeypatch):
    """watch's two steps: the report without its slow sections (saying they are being computed),
    then the whole report, which is the one-step report byte for byte; figures drawn once."""
    model = argmap.load(hostile_case(case_dir))
    once = os.path.join(case_dir, "out_zq1")
    rep.make_report(model, once, ["html", "md"])
    drawn = []
    draw = report_render._Figures._draw
    monkeypatch.setattr(report_render._Figures, "_draw", lambda self, name: drawn.append(name) or draw(self, name))
    seen = {}

    def first(paths):
        for path in paths:
            with open(path, "rb") as handle:
                seen[os.path.basename(path)] = handle.read()

    twice = os.path.join(case_dir, "out_zq2")
    paths = rep.make_report(model, twice, ["html", "md"], beliefs_first=first)
    assert b"Being computed" in seen["report.md"] and b"Being computed" in seen["report.html"]
    assert b"## Robustness" in seen["report.md"] and b"Causal claims" not in seen["report.md"]
    assert len(drawn) == len(set(drawn))  # each figure drawn once for both steps
    for path in paths:
        with open(path, "rb") as handle, open(os.path.join(once, os.path.basename(path)), "rb") as other:
            assert handle.read().replace(b"out_zq2", b"out_zq1") == other.read(), path


def test_report_files_are_written_atomically(case_dir, monkeypatch):
    """Everything is rendered before anything is written, and each file replaces the old whole."""
    path = hostile_case(case_dir)
    out_dir = os.path.join(case_dir, "out")
    model = argmap.load(path)
    rep.make_report(model, out_dir, ["md"])
    before = open(os.path.join(out_dir, "report.md"), "rb").read()

    def broken(*args, **kwargs):
        raise RuntimeError("drawing failed")

    monkeypatch.setattr(report_render._Figures, "_draw", broken)
    with pytest.raises(RuntimeError):
        rep.make_report(model, out_dir, ["md"])
    assert open(os.path.join(out_dir, "report.md"), "rb").read() == before
    assert not [n for n in os.listdir(out_dir) if n.startswith(".argmap-")]


def test_same_input_same_report(case_dir):
    model = argmap.load(hostile_case(case_dir))
    first = rep.render(rep.build(model))
    second = rep.render(rep.build(argmap.load(model.path)))
    for name in ("report.html", "report.md", "report.tex", "beliefs-table.tex", "report.json", "trajectory.svg",
                 "trajectory.pdf"):
        assert first[name] == second[name], name
