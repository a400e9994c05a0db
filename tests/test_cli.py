"""The command line: output formats, the JSON contract, exit codes, no tracebacks."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys

import pytest
from click.testing import CliRunner
from test_load import MINIMAL, case

from argmap.cli import main

EVIDENCE = """\
- id: early
  date: 2014-11
  text: An early report
  bears_on: h
  lr: 4
- id: later
  date: 2019-03-02
  text: A later report
  bears_on: h
  likelihood: {true: 0.2, false: 0.6}
  observed: false
"""


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def test_update_json_follows_the_stable_contract(case_dir):
    code, out, _ = run("update", case(case_dir, MINIMAL, EVIDENCE), "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert {"model", "as_of", "claims", "evidence"} <= set(data)
    assert data["model"] == "m" and data["as_of"] is None
    h = data["claims"]["h"]
    assert {"states", "prior", "posterior", "verbal"} <= set(h)
    assert h["states"] == ["true", "false"]
    assert h["prior"] == {"true": 0.5, "false": 0.5}
    # lr 4, then an absent item with P(absent | h) 0.8 and P(absent | ¬h) 0.4
    assert h["posterior"]["true"] == pytest.approx(4 * 0.8 / (4 * 0.8 + 0.4))
    assert h["verbal"] == "very likely"
    assert [e["id"] for e in data["evidence"]] == ["early", "later"]
    assert data["evidence"][0]["date"] == "2014-11" and data["evidence"][0]["counted"] is True


def test_as_of_leaves_out_later_evidence(case_dir):
    code, out, _ = run("update", case(case_dir, MINIMAL, EVIDENCE), "--format", "json", "--as-of", "2018")
    data = json.loads(out)
    assert data["as_of"] == "2018"
    assert data["claims"]["h"]["posterior"]["true"] == pytest.approx(0.8)
    assert [e["counted"] for e in data["evidence"]] == [True, False]


def test_csv_has_one_row_per_binary_claim_and_per_state_otherwise(case_dir):
    model = MINIMAL + "  d:\n    text: d\n    states: [x, y, z]\n    prior: {x: 0.2, y: 0.3, z: 0.5}\n"
    code, out, _ = run("update", case(case_dir, model), "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [(r["claim"], r["state"]) for r in rows] == [("h", "true"), ("d", "x"), ("d", "y"), ("d", "z")]
    assert rows[1]["verbal"] == "unlikely"


def test_table_shows_prior_posterior_and_verbal_word(case_dir):
    code, out, _ = run("update", case(case_dir, MINIMAL, EVIDENCE))
    assert code == 0
    assert "2 of 2 items counted" in out
    line = next(line for line in out.splitlines() if line.startswith("h "))
    assert "0.500" in line and "0.889" in line and "very likely" in line


def test_evidence_option_replaces_the_models_evidence(case_dir):
    path = case(case_dir, MINIMAL, EVIDENCE)
    other = os.path.join(case_dir, "other.yaml")
    with open(other, "w") as out:
        out.write("id: single\ntext: s\nbears_on: h\nlr: 0.25\n")
    code, out, _ = run("update", path, "--evidence", other, "--format", "json")
    data = json.loads(out)
    assert [e["id"] for e in data["evidence"]] == ["single"]
    assert data["claims"]["h"]["posterior"]["true"] == pytest.approx(0.2)


def test_check_ok_and_broken(case_dir):
    path = case(case_dir, MINIMAL, EVIDENCE)
    code, out, _ = run("check", path)
    assert code == 0 and "ok — 1 claim, 2 evidence items in 1 file" in out
    with open(path, "a") as handle:
        handle.write("    leak: 0.1\n  c:\n    text: c\n    attacked_by: {hx: 0.3}\n")
    code, out, err = run("check", path)
    assert code == 2
    lines = err.splitlines()
    assert lines[0].endswith("m.yaml:6: claim 'h': 'leak' belongs with supported_by/attacked_by")
    assert lines[1].endswith("m.yaml:9: claim 'c': attacked_by: unknown claim 'hx'; did you mean 'h'?")
    assert lines[-1] == "argmap: 2 problems found"
    assert "Traceback" not in err


def test_usage_errors_exit_2(case_dir):
    path = case(case_dir, MINIMAL)
    assert run("update", path, "--format", "xml")[0] == 2
    code, _, err = run("update", path, "--as-of", "yesterday")
    assert code == 2 and "bad date 'yesterday'" in err
    code, _, err = run("check", os.path.join(case_dir, "missing.yaml"))
    assert code == 2 and "no such file" in err


def test_python_dash_m_and_the_common_path_does_not_import_pgmpy(case_dir):
    path = case(case_dir, MINIMAL, EVIDENCE)
    probe = ("import sys, runpy; sys.argv = ['argmap', 'update', %r];\n"
             "try: runpy.run_module('argmap', run_name='__main__')\n"
             "except SystemExit: pass\n"
             "print('pgmpy' in sys.modules, 'pandas' in sys.modules)" % path)
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert out.strip().endswith("False False")


def test_engine_pgmpy_gives_the_same_numbers(case_dir):
    path = case(case_dir, MINIMAL + "  c:\n    text: c\n    supported_by: {h: 0.7}\n", EVIDENCE)
    ours = json.loads(run("update", path, "--format", "json")[1])
    theirs = json.loads(run("update", path, "--format", "json", "--engine", "pgmpy")[1])
    for cid, claim in ours["claims"].items():
        for state, p in claim["posterior"].items():
            assert theirs["claims"][cid]["posterior"][state] == pytest.approx(p, abs=1e-9)


def test_sensitivity_json_table_and_deterministic_plot(case_dir):
    path = case(case_dir, MINIMAL.replace("0.5", "likely") + "  c:\n    text: c\n    supported_by: {h: 0.7}\n", EVIDENCE)
    code, out, _ = run("sensitivity", path, "--target", "c", "--format", "json", "--draws", "500")
    assert code == 0
    data = json.loads(out)
    assert data["target"]["claim"] == "c" and data["target"]["state"] == "true"
    keys = {i["input"] for i in data["inputs"]}
    assert {"claim/h/prior/true", "claim/c/supported_by/h", "claim/c/leak", "item/later/likelihood/true"} <= keys
    prior = next(i for i in data["inputs"] if i["input"] == "claim/h/prior/true")
    assert prior["range"] == [0.55, 0.8] and prior["range_from"] == "word 'likely'"
    assert data["monte_carlo"]["draws"] == 500
    code, out, _ = run("sensitivity", path, "--target", "c", "--draws", "0")
    assert code == 0 and "swing" in out and "written at" in out  # the title may be over several lines
    svg = os.path.join(case_dir, "t.svg")
    run("sensitivity", path, "--target", "c", "--format", "svg", "-o", svg)
    first = open(svg, "rb").read()
    run("sensitivity", path, "--target", "c", "--format", "svg", "-o", svg)
    assert open(svg, "rb").read() == first and first.startswith(b"<?xml")
    code, _, err = run("sensitivity", path, "--target", "cc")
    assert code == 2 and "unknown claim 'cc'; did you mean 'c'?" in err


def test_next_ranks_candidates(case_dir):
    evidence = EVIDENCE + "- id: maybe\n  text: m\n  bears_on: h\n  likelihood: {true: 0.9, false: 0.1}\n  expected: true\n"
    path = case(case_dir, MINIMAL + "  c:\n    text: c\n    supported_by: {h: 0.7}\n", evidence)
    code, out, _ = run("next", path, "--target", "c", "--format", "json")
    data = json.loads(out)
    assert [c["id"] for c in data["candidates"] if c["kind"] != "hypothetical"] == ["h", "maybe"]
    assert {c["kind"] for c in data["candidates"]} == {"claim", "declared", "hypothetical"}
    assert data["candidates"][1]["outcomes"]["found"] + data["candidates"][1]["outcomes"]["not found"] == pytest.approx(1)
    code, out, _ = run("next", path, "--target", "c")
    assert code == 0 and "maybe" in out


def test_export_refuses_to_overwrite_without_force(case_dir):
    path = case(case_dir, MINIMAL, EVIDENCE)
    target = os.path.join(case_dir, "out.json")
    with open(target, "w") as out:
        out.write("precious")
    code, _, err = run("export", path, "--to", "json", "-o", target)
    assert code == 2 and "exists" in err and "--force" in err
    assert open(target).read() == "precious"
    assert run("export", path, "--to", "json", "-o", target, "--force")[0] == 0
    assert json.loads(open(target).read())


@pytest.mark.parametrize("columns", [80, 200])
def test_update_table_fits_the_terminal_and_keeps_every_state(monkeypatch, columns):
    """On an 80-column terminal the shipped case's table (multi-state claims) puts each state
    under its claim instead of in a column of its own; every line fits, every number is there."""
    monkeypatch.setenv("COLUMNS", str(columns))
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    code, out, _ = run("update", os.path.join(root, "models", "russia_china.yaml"))
    assert code == 0
    lines = out.splitlines()
    assert max(len(line) for line in lines) <= columns
    code, shown, _ = run("update", os.path.join(root, "models", "russia_china.yaml"), "--format", "json")
    beliefs = json.loads(shown)
    for cid, belief in beliefs["claims"].items():
        posterior = belief["posterior"]
        binary = set(posterior) == {"true", "false"}
        for state in ["true"] if binary else posterior:  # a binary claim shows P(true) on its own line
            name = cid if binary else state
            assert [line for line in lines if name in line.split() and f"{posterior[state]:.3f}" in line], (cid, state)
