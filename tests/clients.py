"""The real outside programs the export tests run: the Argdown CLI and pyAgrum.

`scripts/setup.sh test` installs both (the Argdown CLI into .tools/, git-ignored). A test that
needs one fails when it is missing, so that CI cannot pass by skipping; set
ARGMAP_ALLOW_MISSING_CLIENTS=1 to skip instead on a machine without them."""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import pytest
from conftest import ROOT

ALLOW_MISSING = os.environ.get("ARGMAP_ALLOW_MISSING_CLIENTS") == "1"


def missing(what: str, how: str):
    message = f"{what} is not installed: {how} (or set ARGMAP_ALLOW_MISSING_CLIENTS=1 to skip these tests)"
    if ALLOW_MISSING:
        pytest.skip(message)
    pytest.fail(message, pytrace=False)


def argdown_cli() -> str:
    """Path of the official Argdown CLI (@argdown/cli)."""
    for candidate in (os.environ.get("ARGMAP_ARGDOWN"), os.path.join(ROOT, ".tools", "node_modules", ".bin", "argdown"),
                      shutil.which("argdown")):
        if candidate and os.path.exists(candidate):
            return candidate
    missing("the Argdown CLI", "run scripts/setup.sh test (npm install --prefix .tools @argdown/cli)")
    raise AssertionError  # unreachable


def argdown_json(files: list[str], out_dir: str) -> dict[str, dict]:
    """Parse Argdown files with the real parser, all in one run (its start-up is slow); the
    parsed JSON of each file by its path. Fails on any syntax error."""
    cli = argdown_cli()
    folder = os.path.dirname(files[0])
    assert all(os.path.dirname(f) == folder for f in files)
    done = subprocess.run([cli, "json", os.path.join(folder, "*.argdown"), out_dir], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, f"argdown json failed:\n{done.stdout}\n{done.stderr}"
    assert "syntax error" not in (done.stdout + done.stderr).lower(), done.stdout + done.stderr
    parsed = {}
    for path in files:
        stem = os.path.splitext(os.path.basename(path))[0]
        with open(os.path.join(out_dir, stem + ".json"), encoding="utf-8") as handle:
            parsed[path] = json.load(handle)
    return parsed


def pyagrum():
    try:
        import pyagrum as gum
    except ImportError:
        missing("pyAgrum", "pip install pyagrum (it is in argmap's test extra)")
    return gum
