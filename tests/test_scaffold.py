"""argmap new: the scaffolded case checks clean, uses every construct of the language, explains
every key, and never overwrites anything."""

from __future__ import annotations

import json
import os
import re

import pytest
from click.testing import CliRunner

import argmap
from argmap.cli import main
from argmap.errors import ArgmapError
from argmap.loader.reader import CLAIM_KEYS, ITEM_KEYS, MODEL_KEYS, SOURCE_KEYS
from argmap.model import Likelihood, NoisyOr, Observation, PriorDist, Table, VanEveraTest
from argmap.workflow.scaffold import scaffold


def run(*args: str):
    return CliRunner().invoke(main, list(args))


@pytest.fixture
def case(tmp_path) -> dict[str, str]:
    paths = scaffold("demo", str(tmp_path))
    return {
        "root": str(tmp_path),
        "model": paths[0],
        "evidence": paths[1],
        "bib": paths[2],
    }


def read(path: str) -> str:
    with open(path, encoding="utf-8") as handle:
        return handle.read()


def test_new_writes_three_files_that_check_clean(tmp_path):
    result = run("new", "demo", str(tmp_path))
    assert result.exit_code == 0, result.output
    model = os.path.join(str(tmp_path), "models", "demo.yaml")
    expected = [model, os.path.join(str(tmp_path), "evidence", "demo", "examples.yaml"),
                os.path.join(str(tmp_path), "evidence", "demo", "references.bib")]
    assert result.stderr.splitlines() == [f"wrote {p}" for p in expected] and not result.stdout  # status: stderr
    assert all(os.path.isfile(p) for p in expected)
    checked = run("check", model)
    assert checked.exit_code == 0, checked.output
    assert "ok — 7 claims, 9 evidence items in 1 file (1 expected, not yet observed)" in checked.stdout


def test_scaffold_returns_the_paths_written(tmp_path):
    paths = scaffold("my_case_2", str(tmp_path))
    assert [os.path.relpath(p, tmp_path) for p in paths] == [
        os.path.join("models", "my_case_2.yaml"),
        os.path.join("evidence", "my_case_2", "examples.yaml"),
        os.path.join("evidence", "my_case_2", "references.bib"),
    ]
    assert "my_case_2" in read(paths[0]) and "@NAME@" not in read(paths[0]) + read(paths[1]) + read(paths[2])


def test_update_runs_and_respects_dates(case):
    result = run("update", case["model"], "--format", "json")
    assert result.exit_code == 0, result.output
    beliefs = json.loads(result.stdout)
    counted = {e["id"]: e["counted"] for e in beliefs["evidence"]}
    assert counted["test_made_easier"] is False  # expected: true is never counted
    assert sum(counted.values()) == 8
    # 2020-07 counts only once July 2020 has passed; the year 2021 only at its end
    early = json.loads(run("update", case["model"], "--as-of", "2020-07-30", "--format", "json").stdout)
    assert not {e["id"]: e["counted"] for e in early["evidence"]}["attendance_report"]
    july = json.loads(run("update", case["model"], "--as-of", "2020-07", "--format", "json").stdout)
    assert {e["id"]: e["counted"] for e in july["evidence"]}["attendance_report"]
    late = json.loads(run("update", case["model"], "--as-of", "2021-12-30", "--format", "json").stdout)
    assert not {e["id"]: e["counted"] for e in late["evidence"]}["scores_published"]


def test_refuses_to_overwrite(case):
    with open(case["model"], "a", encoding="utf-8") as out:
        out.write("# my own edits\n")
    before = read(case["model"])
    result = run("new", "demo", case["root"])
    assert result.exit_code == 2
    assert "demo.yaml" in result.stderr
    assert "exists; choose another name or remove it" in result.stderr
    assert "Traceback" not in result.output
    assert read(case["model"]) == before


def test_refuses_if_any_file_exists_and_then_writes_nothing(tmp_path):
    bib = tmp_path / "evidence" / "demo" / "references.bib"
    bib.parent.mkdir(parents=True)
    bib.write_text("% mine\n", encoding="utf-8")
    with pytest.raises(ArgmapError) as caught:
        scaffold("demo", str(tmp_path))
    (problem,) = caught.value.problems
    assert problem.location.file.endswith("references.bib")
    assert "exists" in problem.message
    assert not (tmp_path / "models").exists()
    assert not (tmp_path / "evidence" / "demo" / "examples.yaml").exists()
    assert bib.read_text(encoding="utf-8") == "% mine\n"


@pytest.mark.parametrize("name", ["Demo", "1case", "my-case", "a b", "", "_x", "café"])
def test_rejects_a_name_that_is_not_an_id(tmp_path, name):
    result = run("new", name, str(tmp_path))
    assert result.exit_code == 2
    assert "is not a valid case name" in result.stderr
    assert "lower-case letters, digits and _" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_bad_name_suggests_a_good_one(tmp_path):
    with pytest.raises(ArgmapError, match="e.g. 'my_case'"):
        scaffold("My-Case", str(tmp_path))


def test_the_example_uses_every_construct(case):
    model = argmap.load(case["model"])
    claims = model.claims
    dists = {cid: c.distribution for cid, c in claims.items()}
    # priors written every way: number, percentage (a strength), word, range, one per state
    written = {str(p) for d in dists.values() if isinstance(d, PriorDist) for p in d.probs.values()}
    assert {"0.9", "unlikely", "[0.2, 0.4]"} <= written
    multi = [c for c in claims.values() if len(c.states) > 2]
    assert multi and isinstance(multi[0].distribution, PriorDist)
    assert set(multi[0].distribution.probs) == set(multi[0].states)
    # noisy-OR with a supporter, an attacker and a leak
    noisy = [d for d in dists.values() if isinstance(d, NoisyOr)]
    assert any(d.supporters and d.attackers and str(d.leak) == "0.1" for d in noisy)
    assert any(str(s).endswith("%") for d in noisy for s in d.supporters.values())
    # tables: one with a multi-state parent, supports and attacks declared
    tables = [(cid, d) for cid, d in dists.items() if isinstance(d, Table)]
    assert any(any(len(claims[p].states) > 2 for p in d.parents) for _, d in tables)
    assert any(d.supports for _, d in tables) and any(d.attacks for _, d in tables)
    # a row written as {state: p, ...} rather than as P(true), whose complement reads "1 − p"
    assert any(not any(str(p).startswith("1 −") for p in row.values()) for _, d in tables for row in d.rows.values())
    # sources: reliability as a number and as a letter, a non-default random_yes
    sources = model.sources.values()
    assert {str(s.reliability) for s in sources} >= {"0.85", "C"}
    assert any(s.random_yes.value != 0.5 for s in sources)
    assert len(model.accounts) == 3  # accounts, which disagree on explanation (no overlap warning)
    # every bearing kind
    bearings = [i.bearing for i in model.evidence]
    assert any(isinstance(b, Likelihood) and b.stated_as == "likelihood" for b in bearings)
    assert any(isinstance(b, Likelihood) and b.stated_as == "lr" for b in bearings)
    assert any(isinstance(b, VanEveraTest) and len(claims[b.target].states) > 2 for b in bearings)
    assert {b.test for b in bearings if isinstance(b, VanEveraTest)} >= {"hoop", "smoking_gun", "straw_in_the_wind"}
    assert any(isinstance(b, Table) for b in bearings)
    assert any(isinstance(b, Observation) for b in bearings)
    # flags, dates at every precision, citations, reliability per item and by source
    items = model.evidence
    assert any(not i.observed for i in items) and any(i.expected for i in items)
    precisions = {(d.month is not None, d.day is not None) for d in (i.date for i in items) if d}
    assert precisions == {(False, False), (True, False), (True, True)}
    assert any(i.date is None for i in items)
    assert any(i.cite for i in items) and any(i.url for i in items)
    assert any(i.quote and i.page for i in items)
    assert {str(i.reliability) for i in items if i.reliability} >= {"B", "0.9"}
    assert any(i.source for i in items)
    assert model.bibliography and model.bibliography.endswith("references.bib")


def _keys_shown(text: str) -> set[str]:
    """Every `key:` written in the text, as a YAML key or inside a comment."""
    return set(re.findall(r"(?<![\w-])([a-z_]+):", text))


def test_every_key_is_shown_and_explained(case):
    model_text = read(case["model"])
    evidence_text = read(case["evidence"])
    shown = _keys_shown(model_text)
    assert set(MODEL_KEYS) <= shown
    assert set(CLAIM_KEYS) <= shown
    assert set(SOURCE_KEYS) <= shown
    assert set(ITEM_KEYS) <= _keys_shown(evidence_text)
    for word in ("hypothesis", "rival", "factor", "mechanism", "assumption", "outcome", "icd203", "kent",
                 "ipcc", "doubly_decisive", "--as-of"):
        assert word in model_text + evidence_text
    # comments teach: most lines that set a key carry or follow an explanation
    comments = sum(1 for line in model_text.splitlines() if "#" in line)
    assert comments > 60


def test_paths_are_relative_and_the_schema_hint_is_explained(case):
    model_text = read(case["model"])
    lines = model_text.splitlines()
    assert lines[0] == "# yaml-language-server: $schema=../argmap.schema.json"
    assert "argmap schema > argmap.schema.json" in model_text
    assert "bibliography: ../evidence/demo/references.bib" in model_text
    assert "evidence: [../evidence/demo/]" in model_text
    evidence_lines = read(case["evidence"]).splitlines()
    assert evidence_lines[0] == "# yaml-language-server: $schema=../../argmap-evidence.schema.json"
    assert "argmap schema --kind evidence > argmap-evidence.schema.json" in read(case["evidence"])


def test_the_case_also_loads_from_another_working_directory(case, monkeypatch, tmp_path_factory):
    monkeypatch.chdir(tmp_path_factory.mktemp("elsewhere"))
    model = argmap.load(case["model"])
    assert len(model.evidence) == 9
