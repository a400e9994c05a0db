"""The shipped case, the 2025 test case and a generated 36-claim model → every figure in docs/img.

    scripts/setup.sh test                     # Graphviz, Chromium, pdftoppm (poppler-utils)
    .venv/bin/python scripts/docs_images.py   # rewrites docs/img/*.png and the tornado's SVG

Maps and plots are drawn at the width they are printed (3.5 and 7 in) and rasterised at 300 dpi;
the HTML report is photographed in headless Chromium at 1280 and 390 px; the LaTeX report's
evidence page is rasterised from the PDF that `argmap report` compiles. Run it after a change
that alters a figure, and look at what changed before committing.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
IMG = ROOT / "docs" / "img"
MODEL = ROOT / "models" / "russia_china.yaml"
CASE_2025 = ROOT / "tests" / "data" / "case_2025" / "models" / "russia_china.yaml"
sys.path.insert(0, str(ROOT / "tests"))  # the generated 36-claim model and the headless browser


def argmap(*args: str | Path) -> None:
    subprocess.run([sys.executable, "-m", "argmap", *map(str, args)], check=True, cwd=ROOT,
                   env=dict(os.environ, PYTHONPATH=str(ROOT)))


def png_of_pdf(pdf: Path, png: Path, *, page: int = 1) -> None:
    """One page of a PDF at 300 dpi: the size it is printed at."""
    stem = png.with_suffix("")
    subprocess.run(["pdftoppm", "-r", "300", "-png", "-singlefile", "-f", str(page), "-l", str(page),
                    str(pdf), str(stem)], check=True)


def maps(scratch: Path) -> None:
    from bigmodel import write_big_model

    for style, width in (("paper", "7in"), ("paper", "3.5in"), ("screen", "7in"), ("screen", "3.5in")):
        argmap("diagram", MODEL, "--style", style, "--width", width, "--format", "png",
               "-o", IMG / f"map-{style}-{width}.png")
    argmap("diagram", MODEL, "--width", "7in", "--evidence", "all", "--format", "png", "-o", IMG / "map-paper-all-7in.png")
    argmap("diagram", MODEL, "--width", "7in", "--as-of", "2016", "--format", "png",
           "-o", IMG / "map-paper-7in-2016.png")
    big = write_big_model(scratch / "big")
    argmap("diagram", big, "--width", "7in", "--format", "png", "-o", IMG / "map-36-claims-7in.png")


def plots(scratch: Path) -> None:
    for width in ("7in", "3.5in"):
        pdf = scratch / f"trajectory-{width}.pdf"
        pdf.write_bytes(trajectory_pdf(width))
        png_of_pdf(pdf, IMG / f"trajectory-{width}.png")
    tornado = scratch / "tornado-driver-7in.pdf"
    argmap("sensitivity", CASE_2025, "-t", "driver=threat_balancing", "--format", "pdf", "--width", "7in",
           "-o", tornado)
    png_of_pdf(tornado, IMG / "tornado-driver-7in.png")
    argmap("sensitivity", CASE_2025, "-t", "driver", "--format", "svg", "-o", IMG / "sensitivity-driver.svg")
    tornado = scratch / "tornado-cooperation-3.5in.pdf"
    argmap("sensitivity", MODEL, "-t", "cooperation", "--format", "pdf", "--width", "3.5in", "-o", tornado)
    png_of_pdf(tornado, IMG / "tornado-cooperation-3.5in.png")
    for width in ("7in", "3.5in"):
        plot = scratch / f"history-{width}.pdf"
        argmap("history", MODEL, "--git", "--plot", plot, "--width", width)
        png_of_pdf(plot, IMG / f"history-{width}.png")


def trajectory_pdf(width: str) -> bytes:
    import argmap as api
    from argmap.engine.infer import trajectory
    from argmap.output import plots as drawing
    from argmap.output.report.numbers import build

    model = api.load(MODEL)
    report = build(model)
    steps = trajectory(model, report.as_of, claims=sorted({s.claim for s in report.series}))
    return drawing.trajectory(steps, [(s.claim, s.state, s.label) for s in report.series], fmt="pdf",
                              title=None, width=width)


def report(scratch: Path) -> None:
    from browser import Browser

    out = scratch / "report"
    argmap("report", MODEL, "-o", out)
    for _ in range(2):  # twice: the second run resolves the references
        subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "report.tex"], cwd=out,
                       check=True, capture_output=True)
    html = (out / "report.html").as_uri()
    with Browser() as browser:
        page = browser.page(html, width=1280, height=970)
        page.screenshot(str(IMG / "report-html.png"))
        for section, name in (("ach", "report-html-ach.png"), ("evidence", "report-html-evidence.png")):
            page.evaluate(f"document.getElementById('{section}').scrollIntoView()")
            page.screenshot(str(IMG / name))
        phone = browser.page(html, width=390, height=844, mobile=True)
        phone.evaluate("document.getElementById('argument').scrollIntoView()")  # the map, 3.5 in layout
        phone.screenshot(str(IMG / "report-html-phone.png"))
        phone.evaluate("document.querySelector('#ach .table-wrap').scrollIntoView()")
        phone.screenshot(str(IMG / "report-html-phone-table.png"))
    pages = subprocess.run(["pdftotext", str(out / "report.pdf"), "-"], capture_output=True, text=True,
                           check=True).stdout.split("\f")
    evidence = next(k for k, text in enumerate(pages, 1)  # the first page of the evidence table
                    if "\nEvidence\n" in text and "\nStatement\n" in text)
    # the page after the table's first: a full page of it
    png_of_pdf(out / "report.pdf", IMG / "report-pdf-evidence.png", page=min(evidence + 1, len(pages) - 1))


def main() -> None:
    for tool in ("dot", "pdftoppm", "pdftotext"):
        if not shutil.which(tool):
            sys.exit(f"docs_images: {tool} not found; run scripts/setup.sh test first")
    with tempfile.TemporaryDirectory(prefix="argmap-docs-") as scratch:
        for stage in (maps, plots, report):
            stage(Path(scratch))
            print(f"docs_images: {stage.__name__} done", file=sys.stderr)


if __name__ == "__main__":
    main()
