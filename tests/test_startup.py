"""What `import argmap` and a command's start import → the boundary that keeps start-up short:
heavy packages and stages a command does not use stay unimported (structure, never timing)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from conftest import CASE_2025, ROOT

import argmap

ASIA = os.path.join(ROOT, "tests", "data", "asia.yaml")
#: what no command below needs: imported only by the commands (and API calls) that draw, report,
#: cross-check with pgmpy or run on Dask
HEAVY = ("matplotlib", "jinja2", "pgmpy", "graphviz", "networkx", "scipy", "pandas", "dask", "distributed",
         "hypothesis", "IPython")


def loaded(code: str) -> list[str]:
    """The modules a fresh interpreter holds after running ``code`` (a command's SystemExit is its end)."""
    probe = ("import json, sys\n"
             f"try:\n    exec({code!r})\nexcept SystemExit:\n    pass\n"
             "sys.stdout.flush()\nsys.__stdout__.write('\\n' + json.dumps(sorted(sys.modules)) + '\\n')\n")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.splitlines()[-1])


def command(*args: str) -> str:
    return f"import runpy, sys; sys.argv = ['argmap', *{list(args)!r}]; runpy.run_module('argmap', run_name='__main__')"


def imported(modules: list[str], prefixes: tuple[str, ...]) -> list[str]:
    return [m for m in modules if any(m == p or m.startswith(p + ".") for p in prefixes)]


def test_import_argmap_imports_the_data_model_only():
    modules = loaded("import argmap")
    assert "argmap.model" in modules
    assert imported(modules, HEAVY + ("numpy", "click")) == []
    assert imported(modules, ("argmap.loader", "argmap.engine", "argmap.analysis", "argmap.output",
                              "argmap.interop", "argmap.verify", "argmap.workflow", "argmap.api",
                              "argmap.cli")) == []


def test_every_public_name_is_there_when_asked_for():
    modules = loaded("import argmap\nfrom argmap import *\nnames = [argmap.load, argmap.update, argmap.Beliefs]")
    assert "argmap.loader.validate" in modules and "argmap.engine.infer" in modules
    from argmap.engine.infer import Beliefs, update
    from argmap.loader.validate import load

    assert argmap.update is update and argmap.load is load and argmap.Beliefs is Beliefs
    for name in argmap.__all__:
        assert getattr(argmap, name) is not None, name
    assert set(argmap.__all__) <= set(dir(argmap))
    with pytest.raises(AttributeError, match="no attribute 'no_such_name'"):
        argmap.no_such_name  # noqa: B018


def test_help_and_version_import_no_stage():
    for args in (["--help"], ["--version"], ["update", "--help"]):
        modules = loaded(command(*args))
        assert imported(modules, HEAVY + ("numpy", "argmap.loader", "argmap.engine", "argmap.analysis",
                                          "argmap.output")) == [], args


@pytest.mark.parametrize("fmt", ["table", "json", "csv"])
def test_update_imports_the_loader_and_engine_only(fmt):
    modules = loaded(command("update", ASIA, "--format", fmt))
    assert "argmap.engine.infer" in modules and "argmap.loader.validate" in modules
    assert imported(modules, HEAVY) == []
    # asia has no rivals to compare: nothing of the analyses, only the text of the table (JSON
    # states the empty comparisons, with the pairwise analysis)
    analyses = ["argmap.analysis", "argmap.analysis.pairwise", "argmap.analysis.weights"] if fmt == "json" else []
    assert imported(modules, ("argmap.analysis", "argmap.interop", "argmap.verify", "argmap.workflow",
                              "argmap.api")) == analyses
    assert [m for m in imported(modules, ("argmap.output",)) if m != "argmap.output"] == (
        ["argmap.output.pairwise_text"] if fmt == "table" else [])


def test_update_of_a_case_with_rivals_still_compares_them():
    modules = loaded(command("update", CASE_2025))
    assert "argmap.analysis.pairwise" in modules
    assert imported(modules, HEAVY) == []
