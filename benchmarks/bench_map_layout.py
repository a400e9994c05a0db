"""The eight fitted maps (shipped case and the 36-claim model × 3.5/7 in × paper/screen) → their
crossings, labels on a label or box, height and Graphviz runs, measured from Graphviz's output
(tests/mapgeometry.py). Run: PYTHONPATH=$PWD python benchmarks/bench_map_layout.py [--out DIR]"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from bigmodel import write_big_model  # noqa: E402
from mapgeometry import crossings, label_overlaps, laid_out, size_inches  # noqa: E402

import argmap  # noqa: E402
from argmap.output import diagram as render  # noqa: E402
from argmap.output import figure, fit  # noqa: E402

_run = subprocess.run
runs = 0


def counting(*args, **kwargs):
    global runs
    cmd = args[0] if args else kwargs.get("args")
    if cmd and Path(str(cmd[0])).name in ("dot", "neato"):
        runs += 1
    return _run(*args, **kwargs)


def main() -> None:
    global runs
    out = Path(sys.argv[sys.argv.index("--out") + 1]) if "--out" in sys.argv else None
    big = write_big_model(Path(tempfile.mkdtemp()))
    cases = {"shipped": argmap.load(ROOT / "models" / "russia_china.yaml"), "36 claims": argmap.load(big)}
    for setting in [a for a in sys.argv[1:] if "=" in a]:  # e.g. fit._PACKINGS=5, to explore
        module, _, rest = setting.partition(".")
        name, _, value = rest.partition("=")
        setattr({"fit": fit, "render": render, "figure": figure}[module], name, value if value.isalpha() else float(value) if "." in value else int(value))
    only = [a for a in sys.argv[1:] if a in ("shipped", "36")]
    subprocess.run = counting
    print("| map | crossings | labels on label/box | height in | runs |")
    for case, model in cases.items():
        if only and not case.startswith(only[0]):
            continue
        for width in ("3.5in", "7in"):
            for style in ("paper", "screen"):
                fit._dot.cache_clear()
                runs = 0
                source = render.diagram(model, format="dot", width=width, style=style).decode()
                runs += 1  # the drawing itself
                layout = laid_out(source)
                overlaps = label_overlaps(layout)
                print(f"| {case} {width} {style} | {crossings(layout)} | {len(overlaps)} | "
                      f"{size_inches(layout)[1]:.2f} | {runs} |", flush=True)
                if out and case == "shipped":
                    out.mkdir(parents=True, exist_ok=True)
                    png = _run(["dot", "-Tpng", "-Gdpi=300"], input=source.encode(), capture_output=True).stdout
                    (out / f"{case.replace(' ', '')}-{width}-{style}.png").write_bytes(png)


if __name__ == "__main__":
    main()
