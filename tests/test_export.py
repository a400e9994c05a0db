"""Exports, read back by the real clients: the official Argdown parser and pyAgrum (and pgmpy's
BIF reader)."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable

import pytest
from click.testing import CliRunner
from clients import argdown_json, pyagrum
from conftest import SHIPPED_MODEL
from hypothesis import given, settings
from hypothesis import strategies as st

import argmap
from argmap.cli import main
from argmap.errors import ArgmapError
from argmap.interop.export import argdown_text, argdown_titles, export, to_aif
from argmap.analysis.relations import INFLUENCE, SUPPORT, claim_relations
from argmap.testing import CaseDocuments, models


@pytest.fixture(scope="module")
def shipped() -> argmap.Model:
    return argmap.load(SHIPPED_MODEL)


# ----------------------------------------------------------------------------- Argdown


def expected_argdown(model: argmap.Model) -> tuple[set[str], set[str], set[tuple[str, str, str]]]:
    """Statement titles, argument titles and (from, to, support|attack) the export must show."""
    titles = argdown_titles(model)
    relations = {(titles[r.source], titles[r.target], r.kind) for r in claim_relations(model) if r.kind != INFLUENCE}
    for item in model.evidence:
        for target in item.targets:
            relations.add((item.id, titles[target], None))  # its sign depends on the weights
    return set(titles.values()), {i.id for i in model.evidence}, relations


def parsed_argdown(data: dict) -> tuple[set[str], set[str], set[tuple[str, str, str]]]:
    relations = set()
    for node in [*data["statements"].values(), *data["arguments"].values()]:
        for r in node.get("relations", []):
            relations.add((r["from"], r["to"], r["relationType"]))
    return set(data["statements"]), set(data["arguments"]), relations


def assert_same_map(model: argmap.Model, data: dict) -> None:
    statements, arguments, relations = expected_argdown(model)
    got_statements, got_arguments, got_relations = parsed_argdown(data)
    assert got_statements == statements
    assert got_arguments == arguments
    signed = {(a, b, kind) for a, b, kind in relations if kind}
    assert signed <= got_relations
    assert {(a, b) for a, b, _ in got_relations} == {(a, b) for a, b, _ in relations}
    for a, b, kind in got_relations:
        assert kind in ("support", "attack")


def write_argdown(models: Iterable[argmap.Model], folder: str) -> list[str]:
    paths = []
    for index, model in enumerate(models):
        path = os.path.join(folder, f"m{index}.argdown")
        with open(path, "wb") as out:
            out.write(export(model, "argdown", output=path).data)
        paths.append(path)
    return paths


def test_shipped_argdown_parses_with_the_same_statements_relations_and_numbers(shipped, tmp_path):
    [path] = write_argdown([shipped], str(tmp_path))
    data = argdown_json([path], str(tmp_path / "json"))[path]
    assert_same_map(shipped, data)
    beliefs = shipped.update()
    coop = data["statements"]["expanding cooperation"]["data"]
    assert coop["id"] == "cooperation" and coop["posterior_p"] == pytest.approx(beliefs.posterior("cooperation"), abs=1e-6)
    s400 = data["arguments"]["s400_contract"]["data"]
    assert s400["cite"] == "moscowtimes_s400_2015" and s400["likelihood"] == {"true": 0.6, "false": 0.1}
    assert {r["relationType"] for r in data["arguments"]["s400_contract"]["relations"]} == {"support"}
    # statement text comes back verbatim
    text = data["statements"]["US threat"]["members"][0]["text"].strip()
    assert text == " ".join(shipped.claims["us_threat"].text.split())


HOSTILE_TEXT = [
    'He said "no" <script>alert(1)</script> & left',
    "Paths C:\\temp\\new and //comments /* not */ <!-- nor -->",
    "Markdown *bold* _it_ __x__ #tag @[mention] [link](http://x.org) {{ braces }} } b",
    "Россия и Китай: 中俄军事合作 \u200fعربي\u200f",
    "U.S. e.g. :smile: .x. 2.5 a:b +> -> <+ <- ><",
    "first line\nsecond line",
]


def hostile_model(root: str) -> argmap.Model:
    claims = {f"c{i}": {"text": text, "role": "factor", "prior": 0.5} for i, text in enumerate(HOSTILE_TEXT)}
    claims["h"] = {"text": "The hypothesis", "label": "the [main] one", "role": "hypothesis",
                   "supported_by": {f"c{i}": 0.3 for i in range(len(HOSTILE_TEXT))}}
    items = [{"id": "e0", "text": HOSTILE_TEXT[0] + " {x: 1}", "bears_on": "h", "lr": 3,
              "url": "https://example.org/a}b"}]
    return argmap.load(CaseDocuments({"argmap": 1, "title": 'T "q" <x>', "claims": claims,
                                      "evidence": ["../evidence/case/"]}, items).write(root))


def test_hostile_text_survives_the_argdown_parser(tmp_path):
    model = hostile_model(str(tmp_path / "case"))
    folder = tmp_path / "ad"
    folder.mkdir()
    [path] = write_argdown([model], str(folder))
    data = argdown_json([path], str(tmp_path / "json"))[path]
    assert_same_map(model, data)
    for i, text in enumerate(HOSTILE_TEXT):
        node = data["statements"][f"c{i}"]
        shown = node["members"][0]["text"].strip()
        if "\n" in text:
            assert node["data"]["text"] == text  # a multi-line text rides in the metadata
        else:
            assert shown == text
    assert data["arguments"]["e0"]["data"]["url"] == "https://example.org/a}b"
    assert "the [main] one" not in data["statements"]  # not a usable title: the id is used


def test_argdown_text_escapes_only_what_it_must():
    assert argdown_text("Russia, China. Yes") == "Russia, China. Yes"
    assert argdown_text("a [b] <c>") == "a \\[b\\] \\<c\\>"


@settings(max_examples=3, deadline=None)
@given(st.lists(models(max_claims=4, max_items=4), min_size=8, max_size=8))
def test_random_cases_parse_in_argdown_with_the_same_map(batch):
    with tempfile.TemporaryDirectory() as root:
        folder = os.path.join(root, "ad")
        os.makedirs(folder)
        paths = write_argdown(batch, folder)
        parsed = argdown_json(paths, os.path.join(root, "json"))
        for model, path in zip(batch, paths):
            assert_same_map(model, parsed[path])


# ----------------------------------------------------------------------------- AIF


def test_aif_is_well_formed(shipped):
    aif = to_aif(shipped.update())
    assert set(aif) == {"nodes", "edges", "locutions"}
    ids = {n["nodeID"] for n in aif["nodes"]}
    assert len(ids) == len(aif["nodes"])
    kinds = {n["nodeID"]: n["type"] for n in aif["nodes"]}
    assert set(kinds.values()) == {"I", "RA", "CA"}
    for edge in aif["edges"]:
        assert edge["fromID"] in ids and edge["toID"] in ids
        assert (kinds[edge["fromID"]] == "I") != (kinds[edge["toID"]] == "I")  # I → scheme → I
    for node_id, kind in kinds.items():
        if kind != "I":
            assert sum(e["toID"] == node_id for e in aif["edges"]) == 1
            assert sum(e["fromID"] == node_id for e in aif["edges"]) == 1
    texts = {n["text"] for n in aif["nodes"] if n["type"] == "I"}
    assert shipped.claims["cooperation"].text in texts
    supports = sum(1 for r in claim_relations(shipped) if r.kind == SUPPORT)
    assert sum(1 for n in aif["nodes"] if n["type"] == "RA" and "decibels" not in n["argmap"]) == supports


# ----------------------------------------------------------------------------- BIF / XMLBIF


def agrum_posteriors(path: str, evidence: dict[str, str]) -> dict[str, dict[str, float]]:
    gum = pyagrum()
    bn = gum.loadBN(path)
    engine = gum.LazyPropagation(bn)
    engine.setEvidence(evidence)
    engine.makeInference()
    result = {}
    for name in bn.names():
        variable = bn.variable(name)
        posterior = engine.posterior(name)
        result[name] = {variable.label(i): posterior[i] for i in range(variable.domainSize())}
    return result


def check_bif_against_pyagrum(model: argmap.Model, folder: str) -> None:
    beliefs = model.update()
    for to, suffix, tolerance in (("xmlbif", ".bifxml", 1e-9), ("bif", ".bif", 1e-6)):
        exported = export(model, to)
        path = os.path.join(folder, f"net{suffix}")  # pyAgrum picks its reader by the suffix
        with open(path, "wb") as out:
            out.write(exported.data)
        beside = json.loads(exported.beside[".evidence.json"])
        got = agrum_posteriors(path, beside["evidence"])
        for cid, belief in beliefs.claims.items():
            for state, p in belief.posterior.items():
                # pyAgrum's BIF reader parses numbers in single precision; its XMLBIF reader in double
                assert got[cid][state] == pytest.approx(p, abs=tolerance), (to, cid, state)
                assert beside["posteriors"][cid][state] == p


def test_shipped_bif_and_xmlbif_give_the_same_posteriors_in_pyagrum(shipped, tmp_path):
    check_bif_against_pyagrum(shipped, str(tmp_path))


def test_shipped_bif_reads_back_exactly_in_pgmpy(shipped):
    from pgmpy.inference import VariableElimination
    from pgmpy.readwrite import BIFReader

    exported = export(shipped, "bif")
    evidence = json.loads(exported.beside[".evidence.json"])["evidence"]
    network = BIFReader(string=exported.data.decode()).get_model()
    engine = VariableElimination(network)
    beliefs = shipped.update()
    for cid, belief in beliefs.claims.items():
        if cid in evidence:
            continue
        factor = engine.query([cid], evidence=evidence, show_progress=False)
        for state, p in belief.posterior.items():
            assert factor.get_value(**{cid: state}) == pytest.approx(p, abs=1e-9)


@settings(max_examples=20, deadline=None)
@given(models())
def test_random_cases_bif_posteriors_in_pyagrum_equal_argmaps(model):
    with tempfile.TemporaryDirectory() as root:
        check_bif_against_pyagrum(model, root)


# ----------------------------------------------------------------------------- JSON and the command


def test_json_has_model_results_relations_and_weights(shipped):
    data = json.loads(export(shipped, "json").data)
    assert data["argmap_export"] == 1
    assert data["results"] == json.loads(json.dumps(shipped.update().to_dict()))
    assert set(data["model"]["claims"]) == set(shipped.claims)
    assert data["model"]["claims"]["cooperation"]["supported_by"]["threat_channel"] == 0.6
    assert {e["id"] for e in data["evidence"]} == {i.id for i in shipped.evidence}
    assert {"from": "russian_caution", "to": "cooperation", "kind": "attack", "strength": 0.5} in data["relations"]
    s400 = next(w for w in data["weights"] if w["item"] == "s400_contract")
    assert s400["decibels"]["true"] > 0


def test_cli_export(tmp_path):
    out = tmp_path / "net.bif"
    result = CliRunner().invoke(main, ["export", SHIPPED_MODEL, "--to", "bif", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert out.exists() and (tmp_path / "net.evidence.json").exists()
    result = CliRunner().invoke(main, ["export", SHIPPED_MODEL, "--to", "aif"])
    assert result.exit_code == 0 and json.loads(result.stdout)["nodes"]
    result = CliRunner().invoke(main, ["export", SHIPPED_MODEL, "--to", "argdwn"])
    assert result.exit_code == 2 and "did you mean 'argdown'" in result.stderr
    with pytest.raises(ArgmapError):
        export(argmap.load(SHIPPED_MODEL), "csv")
