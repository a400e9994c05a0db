"""The notebook in docs/ runs headlessly (nbclient) and shows what a notebook user expects: the
map as SVG, the beliefs and comparisons as HTML tables, a sensitivity plot and table, the tipping
points."""

from __future__ import annotations

import os

import nbformat
from conftest import ROOT
from nbclient import NotebookClient


def test_the_notebook_runs_and_shows_the_map_the_tables_and_a_plot():
    notebook = nbformat.read(os.path.join(ROOT, "docs", "russia-china.ipynb"), as_version=4)
    NotebookClient(notebook, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": os.path.join(ROOT, "docs")}}).execute()
    outputs = [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    kinds = [set(o.get("data", {})) for o in outputs]
    assert any("image/svg+xml" in k for k in kinds[:1]), "the model shows as its argument map"
    html = [o["data"]["text/html"] for o in outputs if "text/html" in o.get("data", {})]
    assert any("rivals compared in pairs" in h and "accounts" in h for h in html), "beliefs as HTML tables"
    assert any("dataframe" in h for h in html), "to_pandas() as a table"
    assert sum("image/svg+xml" in k for k in kinds) >= 2, "the tornado as SVG"

    def shown(start: str) -> str:
        """The text/html output of the code cell whose source starts with ``start``."""
        cell = next(c for c in notebook.cells if c.cell_type == "code" and c.source.startswith(start))
        return next(o["data"]["text/html"] for o in cell.outputs if "text/html" in o.get("data", {}))

    pairs = shown("pairs = argmap.pairwise")
    assert "<caption>accounts" in pairs and "<caption>rivals compared in pairs" in pairs and "paper" in pairs
    table = shown("argmap.sensitivity(")
    assert "<caption>Sensitivity of russia_motive = balance_us: posterior" in table
    assert table.count("<tr>") == 1 + 20 and "to_pandas()" in table  # the header and the 20 largest swings
    assert "<caption>Tipping points of cooperation" in shown("argmap.tipping_points(")
