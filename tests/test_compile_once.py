"""A command compiles its model once (DESIGN §2, §8): every analysis, view and output of that
command reads the same compiled network and junction tree."""

from __future__ import annotations

import json
import os
import shutil

import pytest
from click.testing import CliRunner
from conftest import ROOT

import argmap.engine.compile as compile_stage
import argmap.engine.infer as infer_stage
from argmap.cli import main


@pytest.fixture
def counted(monkeypatch):
    """Counts compilations and junction trees built while a command runs."""
    counts = {"networks": 0, "trees": 0}
    real_compile, real_tree = compile_stage.compile_model, infer_stage.JunctionTree

    def compile_model(model):
        counts["networks"] += 1
        return real_compile(model)

    def junction_tree(network):
        # a twin network of argmap cause (docs/causal.md) is a separate, derived network: it is
        # built from the model's one compiled network, never by compiling again; it gets its
        # own tree, counted apart (one per cause → effect question)
        if any(v.kind == "counterfactual" for v in network.variables.values()):
            counts["twin trees"] = counts.get("twin trees", 0) + 1
        else:
            counts["trees"] += 1
        return real_tree(network)

    monkeypatch.setattr(compile_stage, "compile_model", compile_model)
    monkeypatch.setattr(infer_stage, "JunctionTree", junction_tree)
    return counts


@pytest.fixture
def case(tmp_path):
    for folder in ("models", "evidence"):
        shutil.copytree(os.path.join(ROOT, folder), tmp_path / folder)
    shutil.copy(os.path.join(ROOT, "tests", "data", "asia.yaml"), tmp_path / "models" / "asia.yaml")
    return tmp_path


COMMANDS = [
    ["update", "{model}"],
    ["update", "{model}", "--format", "json", "--as-of", "2016"],
    ["update", "{model}", "--log", "--format", "csv"],
    ["diagram", "{model}", "-o", "{out}/map.svg", "--evidence", "all"],
    ["export", "{model}", "--to", "argdown", "-o", "{out}/m.argdown"],
    ["export", "{model}", "--to", "aif", "-o", "{out}/m.aif.json"],
    ["export", "{model}", "--to", "bif", "-o", "{out}/m.bif"],
    ["export", "{model}", "--to", "json", "-o", "{out}/m.json"],
    ["report", "{model}", "-o", "{out}/report"],
    ["sensitivity", "{model}", "--target", "{target}", "--format", "json"],
    ["sensitivity", "{model}", "--target", "{target}", "-o", "{out}/tornado.svg", "--format", "svg"],
    ["next", "{model}", "--target", "{target}"],
    ["cause", "{model}", "--cause", "{cause}", "--effect", "{target}"],
    ["cause", "{model}", "--cause", "{cause}", "--effect", "{target}", "--format", "json", "--as-of", "2016"],
    ["weigh", "{model}", "--target", "{target}"],
    ["weigh", "{model}", "--target", "{target}", "--format", "json", "--as-of", "2020"],
    ["next", "{model}", "--target", "{target}", "--set", "3", "--format", "json"],
    ["sweep", "{model}", "--target", "{target}", "--leave-out", "1", "--format", "json"],
]
#: one twin network per cause → effect question the command asks (report: its "Causal claims")
TWINS = {("cause", "russia_china"): 1, ("cause", "asia"): 1, ("report", "russia_china"): 6, ("report", "asia"): 0}


@pytest.mark.parametrize("name,target,cause", [("russia_china", "cooperation", "us_threat"), ("asia", "lung", "smoke")])
@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c[:1] + [a for a in c[2:] if a.startswith("--")]))
def test_every_command_compiles_its_model_once(case, counted, command, name, target, cause):
    model = str(case / "models" / f"{name}.yaml")
    args = [a.format(model=model, out=case / "out", target=target, cause=cause) for a in command]
    os.makedirs(case / "out", exist_ok=True)
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    twins = TWINS.get((command[0], name), 0)
    assert counted == {"networks": 1, "trees": 1} | ({"twin trees": twins} if twins else {}), \
        f"argmap {' '.join(command)}: {counted}"


def test_add_weighs_the_new_item_on_the_one_network_it_compiles(case, counted):
    model = str(case / "models" / "russia_china.yaml")
    result = CliRunner().invoke(main, ["add", model, "--bears-on", "cooperation", "--text", "A new joint exercise.",
                                       "--date", "2024-05", "--lr", "3", "--no-input", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert counted == {"networks": 1, "trees": 1}


def test_a_diff_compiles_each_model_it_walks_through_once(case, counted):
    """diff walks from one side to the other a change at a time; each step is another model
    (other evidence), compiled once; the two sides are compiled once each."""
    model = str(case / "models" / "russia_china.yaml")
    old = case / "old-evidence"
    shutil.copytree(case / "evidence" / "russia_china", old)
    os.remove(sorted(old.glob("*.yaml"))[0])
    result = CliRunner().invoke(main, ["diff", model, "--from", str(old), "--format", "json"])
    assert result.exit_code == 0, result.output
    steps = len(json.loads(result.output)["changes"])
    assert steps >= 1 and counted["networks"] == counted["trees"] <= steps + 2, (steps, counted)


def test_compare_report_compare_and_sweep_compile_each_model_once(case, counted):
    """`compare`, `report --compare` and `sweep` compile every model they are given once, no more
    (a sweep over N model files: N compilations, whatever the variants)."""
    models = case / "models"
    (models / "sceptic.yaml").write_text((models / "russia_china.yaml").read_text().replace(
        "supported_by: {us_threat: 0.6,", "supported_by: {us_threat: 0.3,"))
    for args in (["compare", str(models / "russia_china.yaml"), str(models / "sceptic.yaml"), "--format", "json"],
                 ["report", str(models / "russia_china.yaml"), "--compare", str(models / "sceptic.yaml"),
                  "-o", str(case / "out"), "--format", "md"],
                 ["sweep", str(models / "russia_china.yaml"), str(models / "sceptic.yaml"), "--target", "cooperation",
                  "--leave-out", "2", "--format", "json"]):
        counted.update(networks=0, trees=0)
        counted.pop("twin trees", None)  # the report's causal section: derived networks, counted apart
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 0, result.output
        assert (counted["networks"], counted["trees"]) == (2, 2), f"argmap {' '.join(args[:1])}: {counted}"
