"""Output conventions of every command: data on stdout and status on stderr, `-o -` is stdout,
JSON is UTF-8 bytes under any terminal encoding and text degrades instead of crashing, library
warnings never reach the user, shell completion works as documented, and counts agree with
their nouns ("1 claim")."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from click.testing import CliRunner
from conftest import ROOT, SHIPPED_MODEL
from test_load import MINIMAL, case

from argmap.cli import main

ONE_ITEM = "- id: only\n  text: The one report\n  bears_on: h\n  lr: 3\n"


def invoke(*args: str):
    result = CliRunner().invoke(main, list(args))
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result


def argmap_process(*args: str, encoding: str | None = None, cwd: str | None = None, warnings: bool = False):
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONWARNINGS", "PYTHONIOENCODING", "PYTHONUTF8")}
    if encoding:
        env["PYTHONIOENCODING"] = encoding
    command = [sys.executable, *(["-W", "default"] if warnings else []), "-m", "argmap", *args]
    return subprocess.run(command, check=False, capture_output=True, env=env, cwd=cwd, timeout=600)


# ----------------------------------------------------------------------------- -o - and MODEL -


@pytest.mark.parametrize("fmt, magic", [("svg", b"<?xml"), ("pdf", b"%PDF-"), ("png", b"\x89PNG"), ("dot", b"digraph")])
def test_diagram_to_stdout(tmp_path, monkeypatch, fmt, magic):
    monkeypatch.chdir(tmp_path)
    result = invoke("diagram", SHIPPED_MODEL, "-o", "-", "--format", fmt)
    assert result.exit_code == 0, result.output
    assert result.stdout_bytes.startswith(magic) and not result.stderr
    assert not os.listdir(tmp_path)  # no file named '-'


def test_export_and_sensitivity_to_stdout(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    exported = invoke("export", SHIPPED_MODEL, "--to", "json", "-o", "-")
    assert exported.exit_code == 0 and json.loads(exported.stdout_bytes)["argmap_export"] == 1
    bif = invoke("export", SHIPPED_MODEL, "--to", "bif", "-o", "-")
    assert bif.stdout.startswith("network") and "only with -o FILE" in bif.stderr
    table = invoke("sensitivity", SHIPPED_MODEL, "-t", "cooperation", "--draws", "0", "-o", "-")
    assert table.exit_code == 0 and table.stdout.startswith("Sensitivity of cooperation") and not table.stderr
    plot = invoke("sensitivity", SHIPPED_MODEL, "-t", "cooperation", "--format", "png", "-o", "-")
    assert plot.exit_code == 0 and plot.stdout_bytes.startswith(b"\x89PNG")
    assert not os.listdir(tmp_path)


@pytest.mark.parametrize("args, words", [
    (["report", SHIPPED_MODEL, "-o", "-"], "a report is several files"),
    (["watch", SHIPPED_MODEL, "-o", "-"], "give -o DIR"),
    (["import", os.path.join(ROOT, "tests", "data", "asia.bif"), "-o", "-"], "give -o NAME.yaml"),
])
def test_several_files_cannot_go_to_stdout_and_say_so(tmp_path, monkeypatch, args, words):
    monkeypatch.chdir(tmp_path)
    result = invoke(*args)
    assert result.exit_code == 2 and "-o - (standard output) cannot be used here" in result.stderr
    assert words in result.stderr and "Traceback" not in result.output and not os.listdir(tmp_path)


@pytest.mark.parametrize("command", ["check", "update", "diagram"])
def test_a_model_is_not_read_from_stdin_and_that_is_said(command):
    args = [command, "-"] + (["-o", "x.svg"] if command == "diagram" else [])
    result = CliRunner().invoke(main, args, input="argmap: 1\nclaims: {}\n")
    assert result.exit_code == 2
    assert "argmap reads a model from its file, not from standard input" in result.stderr
    assert "give that path" in result.stderr


# ----------------------------------------------------------------------------- stdout: data, stderr: status


def test_status_goes_to_stderr_and_data_to_stdout(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for args in (["new", "demo", "."],
                 ["diagram", SHIPPED_MODEL, "-o", "map.svg"],
                 ["export", SHIPPED_MODEL, "--to", "bif", "-o", "net.bif"],
                 ["sensitivity", SHIPPED_MODEL, "-t", "cooperation", "--format", "svg", "-o", "tornado.svg"],
                 ["report", SHIPPED_MODEL, "-o", "out", "--format", "md"],
                 ["add", "models/demo.yaml", "--bears-on", "scores_rose", "--text", "A new count.", "--lr", "2",
                  "--id", "count"]):
        result = invoke(*args)
        assert result.exit_code == 0, (args, result.output)
        assert "wrote " in result.stderr and "wrote" not in result.stdout, (args, result.stdout)
    for args in (["update", SHIPPED_MODEL], ["check", SHIPPED_MODEL], ["schema"]):
        result = invoke(*args)
        assert result.exit_code == 0 and result.stdout and not result.stderr, args


# ----------------------------------------------------------------------------- encodings


@pytest.mark.parametrize("args", [
    ["update"], ["update", "--format", "csv"], ["check"], ["next", "-t", "cooperation"],
    ["sensitivity", "-t", "cooperation", "--draws", "0"],
])
def test_tables_degrade_under_a_legacy_encoding(args):
    done = argmap_process(args[0], SHIPPED_MODEL, *args[1:], encoding="cp1252")
    assert done.returncode == 0, done.stderr.decode("cp1252", "replace")
    assert not done.stderr
    text = done.stdout.decode("cp1252")  # every byte is cp1252
    utf8 = argmap_process(args[0], SHIPPED_MODEL, *args[1:], encoding="utf-8").stdout.decode("utf-8")
    assert len(text.splitlines()) == len(utf8.splitlines())
    if "→" in utf8:
        assert "->" in text and "→" not in text


@pytest.mark.parametrize("args", [
    ["update", SHIPPED_MODEL, "--format", "json"], ["next", SHIPPED_MODEL, "-t", "cooperation", "--format", "json"],
    ["sensitivity", SHIPPED_MODEL, "-t", "cooperation", "--draws", "0", "--format", "json"],
    ["export", SHIPPED_MODEL, "--to", "json"], ["schema"],
])
def test_json_is_utf8_under_any_encoding(args):
    legacy = argmap_process(*args, encoding="cp1252")
    assert legacy.returncode == 0 and not legacy.stderr, legacy.stderr
    assert legacy.stdout == argmap_process(*args, encoding="utf-8").stdout
    json.loads(legacy.stdout.decode("utf-8"))


def test_non_latin_text_degrades_to_question_marks(case_dir):
    model = case(case_dir, "argmap: 1\ntitle: Россия и Китай → 中俄\nclaims:\n  h:\n    text: Гипотеза\n    prior: 0.5\n",
                 ONE_ITEM)
    done = argmap_process("update", model, encoding="cp1252")
    assert done.returncode == 0 and not done.stderr, done.stderr
    assert done.stdout.decode("cp1252").splitlines()[0] == "?????? ? ????? -> ??"
    problems = argmap_process("update", model, "--as-of", "2014-13", encoding="cp1252")
    assert problems.returncode == 2 and b"Traceback" not in problems.stderr


# ----------------------------------------------------------------------------- warnings, completion, grammar


def test_library_warnings_never_reach_the_user():
    quiet = argmap_process("update", SHIPPED_MODEL, "--engine", "pgmpy")
    assert quiet.returncode == 0 and not quiet.stderr, quiet.stderr.decode()
    asked = argmap_process("update", SHIPPED_MODEL, "--engine", "pgmpy", warnings=True)
    assert asked.returncode == 0  # a developer who asks with -W still sees them (if pgmpy warns)


def test_shell_completion_as_documented():
    env = {**os.environ, "_ARGMAP_COMPLETE": "bash_source"}
    script = subprocess.run([sys.executable, "-c", "from argmap.cli import main; main(prog_name='argmap')"],
                            check=False, capture_output=True, text=True, env=env, timeout=120)
    assert "_argmap_completion()" in script.stdout and "complete -o nosort -F _argmap_completion argmap" in script.stdout
    env = {**os.environ, "_ARGMAP_COMPLETE": "bash_complete", "COMP_WORDS": "argmap rep", "COMP_CWORD": "1"}
    words = subprocess.run([sys.executable, "-c", "from argmap.cli import main; main(prog_name='argmap')"],
                           check=False, capture_output=True, text=True, env=env, timeout=120)
    assert words.stdout.split() == ["plain,report"]
    with open(os.path.join(ROOT, "docs", "cli.md"), encoding="utf-8") as handle:
        docs = handle.read()
    assert 'eval "$(_ARGMAP_COMPLETE=bash_source argmap)"' in docs and "zsh_source" in docs


def test_one_claim_one_item_one_file(case_dir):
    model = case(case_dir, MINIMAL, ONE_ITEM)
    checked = invoke("check", model)
    assert "ok — 1 claim, 1 evidence item in 1 file" in checked.stdout
    updated = invoke("update", model)
    assert "1 of 1 item counted" in updated.stdout
    out = os.path.join(case_dir, "out")
    assert invoke("report", model, "-o", out, "--format", "md,html").exit_code == 0
    with open(os.path.join(out, "report.md"), encoding="utf-8") as handle:
        text = handle.read()
    assert "1 of 1 item counts" in text and "The 1 item that counts" in text
    assert "1 items" not in text and "1 claims" not in text
