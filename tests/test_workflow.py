"""The day-to-day loop, driven as a user drives it: `argmap add` (options, and the questions it
asks on a terminal, through a pseudo-terminal), `update --log` + `history`, and `diff` between
git revisions or evidence folders — on real files in temporary folders."""

from __future__ import annotations

import csv
import hashlib
import json
import os
import pty
import re
import select
import shutil
import subprocess
import sys
import time

import pytest
from click.testing import CliRunner
from conftest import ROOT
from test_load import case

import argmap
from argmap.cli import main
from argmap.errors import Location
from argmap.interop.export import item_document

ARGMAP = [sys.executable, "-m", "argmap"]

MODEL = """\
argmap: 1
title: Test case
bibliography: ../evidence/m/refs.bib
sources:
  press:
    text: The press
    reliability: 0.7
claims:
  h:
    text: The hypothesis
    role: hypothesis
    prior: 0.5
  d:
    text: Which driver
    role: hypothesis
    states: [x, y, z]
    prior: {x: 0.4, y: 0.3, z: 0.3}
  f:
    text: A factor
    role: factor
    prior: 0.3
"""

EVIDENCE = """\
- id: first
  date: 2015-03
  text: A first report
  cite: smith2020
  bears_on: h
  lr: 3
"""

BIB = "@article{smith2020, title={A}, author={Smith, A}, year={2020}}\n"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def snapshot(root: str) -> dict[str, str]:
    """Every file under root with its content hash: to show that inputs were not modified."""
    out = {}
    for folder, _, names in os.walk(root):
        for name in names:
            path = os.path.join(folder, name)
            with open(path, "rb") as handle:
                out[os.path.relpath(path, root)] = hashlib.sha256(handle.read()).hexdigest()
    return out


@pytest.fixture
def model_path(case_dir):
    return case(case_dir, MODEL, EVIDENCE, BIB)


# ----------------------------------------------------------------------------- add, with options


def test_add_writes_a_new_file_named_from_date_and_id_that_the_loader_reads(model_path, case_dir):
    before = snapshot(case_dir)
    code, out, err = run("add", model_path, "--bears-on", "h", "--text", "A second, stronger report.",
                         "--date", "2016-2-5", "--id", "second", "--likelihood", "true=0.8",
                         "--likelihood", "false=0.2", "--cite", "smith2020", "--url", "https://example.org/r",
                         "--source", "press")
    assert code == 0, err
    written = os.path.join(case_dir, "evidence", "m", "2016-02-05_second.yaml")
    assert f"wrote {Location(written)}" in err and "wrote" not in out  # status on stderr; relative to here, or absolute when far away
    after = snapshot(case_dir)
    assert {k: v for k, v in after.items() if k in before} == before  # nothing else touched
    assert set(after) - set(before) == {os.path.join("evidence", "m", "2016-02-05_second.yaml")}
    item = argmap.load(model_path).item("second")
    assert item_document(item) == {
        "id": "second", "date": "2016-02-05", "text": "A second, stronger report.", "cite": "smith2020",
        "url": "https://example.org/r", "source": "press", "bears_on": "h",
        "likelihood": {"true": 0.8, "false": 0.2},
    }
    with open(written, encoding="utf-8") as handle:
        text = handle.read()
    assert text.startswith("- id: second\n") and "likelihood: {true: 0.8, false: 0.2}" in text
    # how the target moved: before → after, and the weight in dB
    old = argmap.load(model_path, evidence=[os.path.join(case_dir, "evidence", "m", "items.yaml")]).update()
    new = argmap.load(model_path).update()
    assert f"P(h) {old.posterior('h'):.3f} → {new.posterior('h'):.3f}" in out
    assert re.search(r"the item alone weighs \+\d+\.\d dB", out)


def test_add_keeps_an_lr_as_written_and_derives_an_id(model_path, case_dir):
    code, out, err = run("add", model_path, "--bears-on", "h", "--text", "The ministry confirms the deal.",
                         "--lr", "8", "--date", "2017")
    assert code == 0, err
    path = os.path.join(case_dir, "evidence", "m", "2017_ministry_confirms_deal.yaml")
    with open(path, encoding="utf-8") as handle:
        text = handle.read()
    assert "lr: 8" in text and "likelihood" not in text and "date: 2017\n" in text
    assert argmap.load(model_path).item("ministry_confirms_deal").bearing.stated_as == "lr"


def test_add_test_for_a_state_absent_and_hard_evidence(model_path, case_dir):
    code, out, err = run("add", model_path, "--bears-on", "d", "--text", "No sign of y.", "--test", "hoop",
                         "--for", "y", "--absent", "--id", "no_y", "--reliability", "B")
    assert code == 0, err
    assert "P(d=y)" in out and "P(d=x)" in out
    item = argmap.load(model_path).item("no_y")
    assert item.observed is False and item.bearing.for_state == "y" and item.reliability.written == "B"
    assert os.path.exists(os.path.join(case_dir, "evidence", "m", "no_y.yaml"))  # undated: the id alone
    code, out, err = run("add", model_path, "--observe", "f=true", "--text", "The factor is known.",
                         "--id", "known_f", "--date", "2020-01-01")
    assert code == 0, err
    assert argmap.load(model_path).item("known_f").bearing.states == {"f": "true"}


def test_add_expected_item_is_written_but_not_counted(model_path):
    code, out, err = run("add", model_path, "--bears-on", "h", "--text", "A record we have not looked for.",
                         "--test", "smoking_gun", "--expected", "--id", "archive")
    assert code == 0, err
    assert "expected" in out and "does not count" in out
    assert "archive" not in argmap.load(model_path).update().counted


@pytest.mark.parametrize(("args", "where", "says"), [
    (["--bears-on", "hh", "--test", "hoop"], "--bears-on:", "did you mean 'h'?"),
    (["--bears-on", "d", "--likelihood", "x=0.5"], "--likelihood:", "no value for y, z"),
    (["--bears-on", "h", "--lr", "2", "--absent"], "--lr:", "says nothing about an absent item"),
    (["--bears-on", "h", "--test", "hopo"], "--test:", "did you mean 'hoop'?"),
    (["--bears-on", "h", "--test", "hoop", "--cite", "smith2021"], "--cite:", "did you mean 'smith2020'?"),
    (["--bears-on", "h", "--test", "hoop", "--source", "pres"], "--source:", "did you mean 'press'?"),
    (["--bears-on", "h", "--test", "hoop", "--date", "2014-13"], "--date:", "month must be in 1..12"),
    (["--bears-on", "h", "--test", "hoop", "--id", "first"], "--id:", "taken by an evidence item at"),
    (["--bears-on", "h", "--test", "hoop", "--id", "Bad-Id"], "--id:", "is not a valid id"),
    (["--bears-on", "h", "--test", "hoop", "--lr", "3"], "--test:", "found --lr and --test"),
    (["--bears-on", "h", "--likelihood", "true"], "--likelihood:", "not KEY=VALUE"),
    (["--bears-on", "h", "--test", "hoop", "--into", "/tmp"], "--into:", "does not read evidence from"),
])
def test_add_refuses_bad_input_at_the_option_and_writes_nothing(model_path, case_dir, args, where, says):
    before = snapshot(case_dir)
    code, out, err = run("add", model_path, "--text", "Something seen.", *args)
    assert code == 2
    assert where in err and says in err, err
    assert "Traceback" not in err
    assert snapshot(case_dir) == before


def test_add_refuses_evidence_that_cannot_hold_with_the_rest(model_path, case_dir):
    run("add", model_path, "--observe", "f=true", "--text", "f holds", "--id", "f_true")
    before = snapshot(case_dir)
    code, _, err = run("add", model_path, "--observe", "f=false", "--text", "f fails", "--id", "f_false")
    assert code == 2 and "f_true" in err
    assert snapshot(case_dir) == before


def test_add_without_a_terminal_names_what_is_missing(model_path):
    code, _, err = run("add", model_path)
    assert code == 2
    assert "missing --text" in err and "missing --bears-on" in err and "missing one of --likelihood" in err


def test_add_takes_a_case_name_and_dry_run_writes_nothing(model_path, case_dir, monkeypatch):
    monkeypatch.chdir(case_dir)
    before = snapshot(case_dir)
    code, out, err = run("add", "m", "--bears-on", "h", "--text", "Seen.", "--test", "hoop", "--dry-run")
    assert code == 0, err
    assert "- id: seen" in out and "P(h)" in out and "nothing written" in err
    assert snapshot(case_dir) == before
    code, _, err = run("add", "nosuchcase", "--bears-on", "h", "--text", "x", "--test", "hoop")
    assert code == 2 and "models/nosuchcase.yaml" in err


def test_add_refuses_a_model_that_does_not_check(case_dir):
    path = case(case_dir, MODEL.replace("prior: 0.3", "prior: 1.3"), EVIDENCE, BIB)
    code, _, err = run("add", path, "--bears-on", "h", "--text", "x", "--test", "hoop")
    assert code == 2 and "1.3 is not a probability" in err


# ----------------------------------------------------------------------------- add, on a terminal


class Terminal:
    """A command run on a pseudo-terminal: read what it shows, type answers."""

    def __init__(self, args: list[str], cwd: str):
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # the child: the command, with the terminal as stdin/stdout/stderr
            os.chdir(cwd)
            os.environ.update({"COLUMNS": "200", "TERM": "dumb", "PYTHONUNBUFFERED": "1"})
            os.execvp(args[0], args)
        self.seen = ""

    def expect(self, pattern: str, timeout: float = 20) -> str:
        deadline = time.monotonic() + timeout
        while not re.search(pattern, self.seen):
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no {pattern!r} within {timeout} s; the terminal shows:\n{self.seen}")
            ready, _, _ = select.select([self.fd], [], [], left)
            if ready:
                try:
                    chunk = os.read(self.fd, 4096)
                except OSError:  # the child closed the terminal
                    chunk = b""
                if not chunk:
                    raise AssertionError(f"the command ended before {pattern!r}:\n{self.seen}")
                self.seen += chunk.decode("utf-8", "replace").replace("\r\n", "\n")
        match = re.search(pattern, self.seen)
        shown, self.seen = self.seen[: match.end()], self.seen[match.end():]
        return shown

    def answer(self, prompt: str, text: str) -> str:
        shown = self.expect(prompt)
        os.write(self.fd, text.encode() + b"\r")
        return shown

    def finish(self, timeout: float = 20) -> tuple[int, str]:
        deadline = time.monotonic() + timeout
        rest = self.seen
        while time.monotonic() < deadline:
            ready, _, _ = select.select([self.fd], [], [], 0.1)
            if ready:
                try:
                    chunk = os.read(self.fd, 4096)
                except OSError:
                    chunk = b""
                if not chunk:
                    break
                rest += chunk.decode("utf-8", "replace").replace("\r\n", "\n")
        _, status = os.waitpid(self.pid, 0)
        os.close(self.fd)
        return os.waitstatus_to_exitcode(status), rest


def test_add_asks_for_each_field_on_a_terminal(model_path, case_dir):
    term = Terminal([*ARGMAP, "add", model_path], cwd=case_dir)
    term.answer(r"What was observed.*: $", "The envoy visits the capital twice.")
    term.answer(r"Date .*: $", "2014-13")  # a bad date is asked again
    term.answer(r"month must be in 1\.\.12.*\nDate .*: $", "2018-05")
    shown = term.answer(r"Which claim does it bear on.*\[h\]: $", "2")  # by number: d
    assert "1. h (hypothesis; P = " in shown and "2. d (hypothesis; most probable: x)" in shown
    term.answer(r"Found, looked for and absent, or expected.*\[found\]: $", "")
    shown = term.answer(r"Way.*\[test\]: $", "likelihood")
    assert "lr" not in shown.split("Way")[-1]  # no likelihood ratio for a three-state claim
    term.answer(r"P\(this observation \| d = x\): $", "0.7")
    term.answer(r"P\(this observation \| d = y\): $", "likely")  # a word of the scale
    term.answer(r"P\(this observation \| d = z\): $", "1.5")  # not a probability: asked again
    term.answer(r"not a probability.*\n.*d = z\): $", "0.1")
    term.answer(r"Shared source.*\[none\]: $", "press")
    term.answer(r"BibTeX key.*: $", "smith2021")
    term.answer(r"did you mean 'smith2020'.*\n.*BibTeX key.*: $", "smith2020")
    term.answer(r"URL.*: $", "")
    term.answer(r"Quote.*: $", "Twice in one month.")
    term.answer(r"Page.*: $", "12")
    term.answer(r"Id \[envoy_visits_capital\]: $", "first")  # taken: asked again
    term.answer(r"taken.*\n.*Id \[envoy_visits_capital\]: $", "")
    shown = term.answer(r"Write evidence.m.2018-05_envoy_visits_capital\.yaml\? \[Y/n\]: $", "y")
    assert "- id: envoy_visits_capital" in shown and "P(d=x)" in shown
    code, rest = term.finish()
    assert code == 0, rest
    item = argmap.load(model_path).item("envoy_visits_capital")
    assert item_document(item) == {
        "id": "envoy_visits_capital", "date": "2018-05", "text": "The envoy visits the capital twice.",
        "cite": "smith2020", "quote": "Twice in one month.", "page": "12", "source": "press", "bears_on": "d",
        "likelihood": {"x": 0.7, "y": "likely", "z": 0.1},
    }


def test_add_on_a_terminal_asks_only_for_what_the_options_left_out(model_path, case_dir):
    term = Terminal([*ARGMAP, "add", model_path, "--text", "A leak from the ministry.", "--date", "2019"],
                    cwd=case_dir)
    term.answer(r"Which claim does it bear on.*: $", "h")
    term.answer(r"Way \(test, likelihood, lr, observe\) \[test\]: $", "test")
    term.answer(r"Test.*\[straw_in_the_wind\]: $", "smoking_gun")
    term.answer(r"Id \[leak_ministry\]: $", "")
    term.answer(r"Write .*2019_leak_ministry\.yaml\? \[Y/n\]: $", "n")  # declined: nothing written
    code, rest = term.finish()
    assert code == 0 and "nothing written" in rest
    assert not os.path.exists(os.path.join(case_dir, "evidence", "m", "2019_leak_ministry.yaml"))


def test_add_on_a_terminal_takes_hard_evidence(model_path, case_dir):
    term = Terminal([*ARGMAP, "add", model_path, "--text", "The factor is on record.", "--id", "on_record"],
                    cwd=case_dir)
    term.answer(r"Which claim does it bear on.*: $", "f")
    term.answer(r"Way \(test, likelihood, lr, observe\) \[test\]: $", "observe")
    term.answer(r"Which state of f is known \(true, false\) \[true\]: $", "false")
    shown = term.answer(r"Write .*on_record\.yaml\? \[Y/n\]: $", "")
    assert "observe: {f: false}" in shown and "bears_on" not in shown
    code, rest = term.finish()
    assert code == 0, rest
    assert argmap.load(model_path).update()["f"].observed == "false"


# ----------------------------------------------------------------------------- the belief log


def test_update_log_appends_one_line_per_change_and_history_shows_it(model_path, case_dir):
    log = os.path.join(case_dir, "reports", "m", "beliefs.csv")
    code, _, err = run("update", model_path, "--log")
    assert code == 0 and f"logged to {Location(log)}" in err
    code, _, err = run("update", model_path, "--log")  # nothing changed: nothing appended
    assert code == 0 and "nothing logged" in err
    run("update", model_path, "--log", "--as-of", "2014")  # another cutoff is another line
    run("add", model_path, "--bears-on", "h", "--text", "Against h.", "--lr", "0.25", "--id", "against")
    run("update", model_path, "--log", "--format", "json")
    with open(log, encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["as_of"] for r in rows] == ["", "2014", ""]
    assert list(rows[0])[:6] == ["timestamp", "commit", "as_of", "model", "evidence", "items"]
    assert {"h", "d=x", "d=y", "d=z"} <= set(rows[0]) and "f" not in rows[0]  # the hypotheses only
    assert rows[0]["evidence"] != rows[2]["evidence"] and rows[0]["model"] == rows[2]["model"]
    assert float(rows[0]["h"]) == pytest.approx(0.75, abs=1e-4) and float(rows[1]["h"]) == 0.5
    assert float(rows[2]["h"]) == pytest.approx(3 * 0.25 / (3 * 0.25 + 1), abs=1e-4)
    code, out, _ = run("history", model_path)
    assert code == 0
    assert out.count("\n20") >= 3 and "0.750" in out and "0.429 ↓" in out
    assert re.search(r"\n  h +\S{3}  0\.750 → 0\.429", out)  # a sparkline per column
    code, out, _ = run("history", model_path, "--format", "json")
    assert [r["h"] for r in json.loads(out)["rows"]] == [r["h"] for r in rows]
    plot = os.path.join(case_dir, "history.svg")
    code, _, err = run("history", model_path, "--plot", plot, "--format", "csv")
    assert code == 0 and open(plot, encoding="utf-8").read().lstrip().startswith("<?xml")


def test_log_grows_a_column_when_a_hypothesis_is_added(model_path, case_dir):
    run("update", model_path, "--log")
    with open(model_path, "a", encoding="utf-8") as out:
        out.write("  g:\n    text: A rival\n    role: rival\n    prior: 0.2\n")
    run("update", model_path, "--log")
    with open(os.path.join(case_dir, "reports", "m", "beliefs.csv"), encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert rows[0]["g"] == "" and rows[1]["g"] == "0.2000"


def test_history_without_a_log_or_with_a_broken_one_says_what_to_do(model_path, case_dir):
    code, _, err = run("history", model_path)
    assert code == 2 and "argmap update" in err and "--log" in err
    log = os.path.join(case_dir, "reports", "m", "beliefs.csv")
    run("update", model_path, "--log")
    with open(log, "a", encoding="utf-8") as out:
        out.write("2020-01-01T00:00:00Z,,\n")
    code, _, err = run("history", model_path)
    assert code == 2 and f"{Location(log, 3)}:" in err
    code, _, err = run("history", model_path, "--plot", os.path.join(case_dir, "x.txt"))
    assert code == 2 and "--plot" in err


# ----------------------------------------------------------------------------- diff and git history


def git(folder: str, *args: str) -> str:
    done = subprocess.run(["git", "-c", "user.email=test@example.org", "-c", "user.name=Test", *args], cwd=folder,
                          capture_output=True, text=True, check=True)
    return done.stdout


@pytest.fixture
def repo(model_path, case_dir):
    """A git repository with two commits: the case, then a changed, an added and a removed item."""
    git(case_dir, "init", "-q")
    with open(os.path.join(case_dir, "evidence", "m", "more.yaml"), "w", encoding="utf-8") as out:
        out.write("- id: gone\n  date: 2016\n  text: Later withdrawn\n  bears_on: h\n  lr: 2\n"
                  "- id: on_d\n  text: About d\n  bears_on: d\n  likelihood: {x: 0.5, y: 0.2, z: 0.2}\n")
    git(case_dir, "add", ".")
    git(case_dir, "commit", "-qm", "first")
    items = os.path.join(case_dir, "evidence", "m", "items.yaml")
    with open(items, encoding="utf-8") as handle:
        text = handle.read()
    with open(items, "w", encoding="utf-8") as out:
        out.write(text.replace("lr: 3", "lr: 5") + "- id: fresh\n  date: 2019\n  text: New\n  bears_on: h\n"
                  "  likelihood: {true: 0.3, false: 0.6}\n")
    with open(os.path.join(case_dir, "evidence", "m", "more.yaml"), "w", encoding="utf-8") as out:
        out.write("- id: on_d\n  text: About d, moved\n  bears_on: d\n  likelihood: {x: 0.5, y: 0.2, z: 0.2}\n")
    git(case_dir, "add", ".")
    git(case_dir, "commit", "-qm", "second")
    return case_dir


def test_diff_between_revisions_lists_each_change_and_how_it_moved_the_hypotheses(repo, model_path):
    before = snapshot(repo)
    code, out, err = run("diff", model_path, "--from", "HEAD~1", "--to", "HEAD", "--format", "json")
    assert code == 0, err
    data = json.loads(out)
    kinds = [(c["kind"], c["id"], c["details"]) for c in data["changes"]]
    assert kinds == [("removed", "gone", []), ("changed", "on_d", ["text"]), ("changed", "first", ["lr"]),
                     ("added", "fresh", [])]  # by date, undated items first
    start, end = data["start"]["h"], data["end"]["h"]
    assert start == pytest.approx(3 * 2 / (3 * 2 + 1)) and end == pytest.approx(5 * 0.5 / (5 * 0.5 + 1))
    assert sum(c["delta"]["h"] for c in data["changes"]) == pytest.approx(end - start)  # the steps add up
    assert data["changes"][1]["delta"] == {"h": 0.0, "d=x": 0.0, "d=y": 0.0, "d=z": 0.0}  # text only
    code, out, _ = run("diff", model_path, "--from", "HEAD~1")  # to the working tree, as a table
    assert code == 0 and "from HEAD~1 to working tree: 4 changes" in out
    assert re.search(r"removed +gone +2016 .*−\d+\.\d", out)
    code, out, _ = run("diff", model_path, "--from", "HEAD~1", "--format", "markdown", "-t", "h")
    assert "| change | item | date | what changed | h |" in out and "d=x" not in out
    assert snapshot(repo) == before  # revisions are read into a temporary folder


def test_diff_of_the_model_file_itself_comes_first(repo, model_path):
    with open(model_path, encoding="utf-8") as handle:
        text = handle.read()
    with open(model_path, "w", encoding="utf-8") as out:
        out.write(text.replace("    prior: 0.5\n", "    prior: 0.6\n", 1))
    code, out, _ = run("diff", model_path, "--from", "HEAD", "--format", "json")
    data = json.loads(out)
    assert [c["kind"] for c in data["changes"]] == ["model"]
    assert data["changes"][0]["details"] == ["claim h changed"]
    assert data["changes"][0]["delta"]["h"] > 0


def test_diff_between_two_evidence_folders(model_path, case_dir):
    old = os.path.join(case_dir, "old")
    shutil.copytree(os.path.join(case_dir, "evidence", "m"), old)
    run("add", model_path, "--bears-on", "h", "--text", "New support.", "--lr", "4", "--id", "support")
    code, out, err = run("diff", model_path, "--from", old, "--format", "json")
    assert code == 0, err
    data = json.loads(out)
    assert [(c["kind"], c["id"]) for c in data["changes"]] == [("added", "support")]
    assert data["changes"][0]["delta"]["h"] == pytest.approx(data["end"]["h"] - data["start"]["h"])


def test_diff_with_bad_revisions_says_so(repo, model_path, case_dir, tmp_path):
    code, _, err = run("diff", model_path, "--from", "no_such_rev")
    assert code == 2 and "unknown git revision 'no_such_rev'" in err and "Traceback" not in err
    with open(os.path.join(case_dir, "evidence", "m", "bad.yaml"), "w", encoding="utf-8") as out:
        out.write("- id: broken\n  date: 2014-13\n  text: x\n  bears_on: h\n  lr: 2\n")
    git(case_dir, "add", ".")
    git(case_dir, "commit", "-qm", "broken")
    os.remove(os.path.join(case_dir, "evidence", "m", "bad.yaml"))
    code, _, err = run("diff", model_path, "--from", "HEAD")
    assert code == 2 and "HEAD:evidence/m/bad.yaml:2: bad date '2014-13'" in err
    elsewhere = case(str(tmp_path), MODEL, EVIDENCE, BIB)  # not in a git repository
    code, _, err = run("diff", elsewhere, "--from", "HEAD~1")
    assert code == 2 and "not in a git repository" in err


def test_history_from_git_recomputes_each_committed_revision(repo, model_path):
    code, out, err = run("history", model_path, "--git", "--format", "json")
    assert code == 0, err
    rows = json.loads(out)["rows"]
    assert len(rows) == 2
    assert float(rows[0]["h"]) == pytest.approx(6 / 7, abs=1e-4)
    assert float(rows[1]["h"]) == pytest.approx(2.5 / 3.5, abs=1e-4)
    code, out, _ = run("history", model_path, "--git")
    assert "date" in out.splitlines()[0] and "0.857" in out
    # the belief log names the commit, with + while the model or its evidence has uncommitted changes
    head = git(repo, "rev-parse", "--short", "HEAD").strip()
    run("update", model_path, "--log")
    run("add", model_path, "--bears-on", "h", "--text", "Uncommitted.", "--lr", "2", "--id", "uncommitted")
    run("update", model_path, "--log")
    with open(os.path.join(repo, "reports", "m", "beliefs.csv"), encoding="utf-8") as handle:
        assert [r["commit"] for r in csv.DictReader(handle)] == [head, head + "+"]


def test_shipped_case_add_and_diff_run_on_a_copy(tmp_path):
    shutil.copytree(os.path.join(ROOT, "models"), tmp_path / "models")
    shutil.copytree(os.path.join(ROOT, "evidence"), tmp_path / "evidence")
    model = str(tmp_path / "models" / "russia_china.yaml")
    old = str(tmp_path / "old_evidence")
    shutil.copytree(tmp_path / "evidence" / "russia_china", old)
    code, out, err = run("add", model, "--bears-on", "defence_alliance", "--text", "A mutual-defence treaty is signed.",
                         "--date", "2025-06", "--test", "smoking_gun", "--cite", "sipri_at_db")
    assert code == 0, err
    assert "P(defence_alliance)" in out and "hypotheses it moved:" in out
    code, out, err = run("diff", model, "--from", old)
    assert code == 0, err
    assert re.search(r"\nadded +mutual_defence_treaty\S* +2025-06 .* \+\d+\.\d\n", out)


# ----------------------------------------------------------------------------- any text survives


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from argmap.workflow.journal import ItemFields, build_document, prepare_item  # noqa: E402

_TEXT = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=80).filter(lambda t: t.strip())


@settings(max_examples=40, deadline=None)
@given(text=_TEXT, quote=_TEXT, url=_TEXT, page=_TEXT)
def test_any_text_is_written_so_that_the_loader_reads_it_back(text, quote, url, page):
    import tempfile

    with tempfile.TemporaryDirectory() as root:
        path = case(root, MODEL, EVIDENCE, BIB)
        model = argmap.load(path)
        fields = ItemFields(id="item", text=text, quote=quote, url=url, page=page, bears_on="h", test="hoop")
        try:
            added = prepare_item(path, build_document(model, fields), model=model)
        except argmap.ArgmapError as exc:  # only a text YAML cannot hold at all may be refused, and clearly
            assert all("control character" in p.message or "not UTF-8" in p.message for p in exc.problems), exc
            return
        item = added.item
        assert item.text == " ".join(text.split())
        assert (item.quote, item.url, item.page) == (quote.strip(), url.strip(), page.strip())
