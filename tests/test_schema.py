"""argmap schema: JSON Schema of model and evidence files that editors can use — it describes
every key, takes its enums from the code, accepts what the loader accepts (the scaffold, the
shipped case, the spellings the loader tolerates) and rejects what the loader rejects."""

from __future__ import annotations

import glob
import json
import os
import textwrap

import pytest
from click.testing import CliRunner

import argmap
from argmap.loader.yaml_lines import read_yaml
from argmap.cli import main
from argmap.loader.reader import CLAIM_KEYS, ITEM_KEYS, MODEL_KEYS, SOURCE_KEYS
from argmap.model import ROLES, TESTS
from argmap.workflow.scaffold import scaffold
from argmap.scales import ADMIRALTY, SCALES
from argmap.loader.schema import evidence_schema, model_schema

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(scope="module")
def jsonschema():
    return pytest.importorskip("jsonschema")


@pytest.fixture(scope="module")
def validators(jsonschema):
    cls = jsonschema.Draft202012Validator
    return {"model": cls(model_schema()), "evidence": cls(evidence_schema())}


def document(text: str):
    """YAML as argmap reads it: keys as text (true → 'true'), dates as written."""
    return read_yaml(textwrap.dedent(text), "<test>")


def errors(validator, text: str) -> list[str]:
    return [e.message for e in validator.iter_errors(document(text))]


# ----------------------------------------------------------------------------- the schemas themselves


@pytest.mark.parametrize("make", [model_schema, evidence_schema])
def test_schemas_are_valid_2020_12_and_draft_7(jsonschema, make):
    schema = make()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.Draft7Validator.check_schema(schema)  # editors implement draft-07
    json.dumps(schema)  # plain JSON


def _walk(node, path="$"):
    if isinstance(node, dict):
        yield path, node
        for key, value in node.items():
            yield from _walk(value, f"{path}.{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _walk(value, f"{path}[{i}]")


@pytest.mark.parametrize("make", [model_schema, evidence_schema])
def test_every_property_has_a_description(make):
    schema = make()
    for path, node in _walk(schema):
        for name, sub in node.get("properties", {}).items() if isinstance(node.get("properties"), dict) else ():
            assert sub.get("description"), f"{path}.properties.{name} has no description"
    for name, sub in schema["$defs"].items():
        assert sub.get("description"), f"$defs.{name} has no description"


def test_keys_are_exactly_the_loaders():
    model = model_schema()
    defs = model["$defs"]
    assert tuple(model["properties"]) == MODEL_KEYS
    assert tuple(defs["claim"]["properties"]) == CLAIM_KEYS
    assert tuple(defs["source"]["properties"]) == SOURCE_KEYS
    assert tuple(evidence_schema()["$defs"]["item"]["properties"]) == ITEM_KEYS


def test_enums_come_from_the_code():
    model = model_schema()
    claim = model["$defs"]["claim"]["properties"]
    assert claim["role"]["enum"] == list(ROLES)
    item = evidence_schema()["$defs"]["item"]["properties"]
    assert item["test"]["enum"] == list(TESTS)
    assert model["properties"]["scale"]["anyOf"][0]["enum"] == list(SCALES)
    words = next(b["enum"] for b in model["$defs"]["probability"]["anyOf"] if "enum" in b)
    for scale in SCALES.values():
        assert set(scale.words) <= set(words)
    letters = next(b["enum"] for b in model["$defs"]["reliability"]["anyOf"] if "enum" in b)
    assert letters == sorted(ADMIRALTY)
    for test, (if_h, if_not) in TESTS.items():
        assert f"{test} {if_h:g}/{if_not:g}" in item["test"]["description"]


def test_cli_prints_the_schemas():
    runner = CliRunner()
    result = runner.invoke(main, ["schema"])
    assert result.exit_code == 0
    assert json.loads(result.stdout) == model_schema()
    result = runner.invoke(main, ["schema", "--kind", "evidence"])
    assert result.exit_code == 0
    assert json.loads(result.stdout) == evidence_schema()


# ----------------------------------------------------------------------------- real files


def test_the_scaffold_is_valid(validators, tmp_path):
    model, evidence, _ = scaffold("demo", str(tmp_path))
    with open(model, encoding="utf-8") as handle:
        assert errors(validators["model"], handle.read()) == []
    with open(evidence, encoding="utf-8") as handle:
        assert errors(validators["evidence"], handle.read()) == []


SHIPPED = sorted(
    [("model", p) for p in glob.glob(os.path.join(ROOT, "models", "*.yaml"))]
    + [("evidence", p) for p in glob.glob(os.path.join(ROOT, "evidence", "**", "*.y*ml"), recursive=True)]
)


@pytest.mark.parametrize(("kind", "path"), SHIPPED, ids=[os.path.relpath(p, ROOT) for _, p in SHIPPED])
def test_shipped_files_are_valid(validators, kind, path):
    with open(path, encoding="utf-8") as handle:
        assert errors(validators[kind], handle.read()) == []


# ----------------------------------------------------------------------------- schema and loader agree

BASE_MODEL = """\
argmap: 1
bibliography: ../evidence/m/refs.bib
sources:
  press: {text: Press, reliability: 0.6}
claims:
  h: {text: H, prior: 0.5}
  d:
    text: D
    states: [x, y, z]
    prior: {x: 0.2, y: 0.3, z: 0.5}
"""

# (name, model text, evidence text or None, whether argmap accepts it)
MODEL_CASES = [
    ("minimal", "argmap: 1\nclaims:\n  h: {text: H, prior: 0.5}\n", True),
    ("words in any case", "argmap: 1\nclaims:\n  h: {prior: Very_Likely}\n  g: {prior: ' roughly even chance '}\n", True),
    ("percentages", "argmap: 1\nclaims:\n  h: {prior: 30%}\n  g: {prior: '2.5 %'}\n", True),
    ("range and mapping", "argmap: 1\nclaims:\n  h: {prior: [0.2, 0.4]}\n  g: {prior: {true: 0.3, false: 0.7}}\n", True),
    ("kent scale, upper case", "argmap: 1\nscale: KENT\nclaims:\n  h: {prior: probable}\n", True),
    ("ipcc scale", "argmap: 1\nscale: ipcc\nclaims:\n  h: {prior: about as likely as not}\n", True),
    ("empty sources", "argmap: 1\nsources:\nclaims:\n  h: {prior: 0.5}\n", True),
    ("source forms", ("argmap: 1\nsources:\n  a: {reliability: b}\n  c: {reliability: [0.5, 0.7], random_yes: likely}\n"
                     "claims:\n  h: {prior: 0.5}\n"), True),
    ("evidence as one string", "argmap: 1\nevidence: ../evidence/m\nclaims:\n  h: {prior: 0.5}\n", True),
    ("metadata", ("argmap: 1\ntitle: T\nquestion: Q?\nhypothesis: H\ntheory: T\nauthors: Ann\n"
                 "description: long\nclaims:\n  h: {text: 2014, prior: 0.5, note: n, label: L}\n"), True),
    ("two named states, one number", "argmap: 1\nclaims:\n  h: {states: [up, down], prior: 0.4}\n", True),
    ("noisy-OR", ("argmap: 1\nclaims:\n  a: {prior: 0.5}\n  b: {prior: 0.5}\n"
                 "  h: {supported_by: {a: 60%}, attacked_by: {b: unlikely}, leak: 0.1}\n"), True),
    ("noisy-OR, explicit binary states", ("argmap: 1\nclaims:\n  a: {prior: 0.5}\n"
                                         "  h: {states: [true, false], supported_by: {a: 0.5}}\n"), True),
    ("table on a string given", ("argmap: 1\nclaims:\n  a: {prior: 0.5}\n"
                                "  h: {given: a, table: {'true': 0.9, 'false': {true: 0.2, false: 0.8}}, supports: [a]}\n"), True),
    ("accounts", ("argmap: 1\nclaims:\n  h: {prior: 0.5}\n  d: {states: [x, y], prior: 0.5}\n"
                 "accounts:\n  one: {h: true, d: x}\n  two: {d: y}\n"), True),
    ("an account that is not a mapping", "argmap: 1\nclaims:\n  h: {prior: 0.5}\naccounts:\n  one: h\n", False),
    ("an empty account", "argmap: 1\nclaims:\n  h: {prior: 0.5}\naccounts:\n  one: {}\n", False),
    ("missing version", "claims:\n  h: {prior: 0.5}\n", False),
    ("wrong version", "argmap: 2\nclaims:\n  h: {prior: 0.5}\n", False),
    ("no claims", "argmap: 1\n", False),
    ("unknown top key", "argmap: 1\ntitel: x\nclaims:\n  h: {prior: 0.5}\n", False),
    ("unknown claim key", "argmap: 1\nclaims:\n  h: {prior: 0.5, rol: factor}\n", False),
    ("bad claim id", "argmap: 1\nclaims:\n  Bad-Id: {prior: 0.5}\n", False),
    ("bad role", "argmap: 1\nclaims:\n  h: {prior: 0.5, role: hypotesis}\n", False),
    ("no way", "argmap: 1\nclaims:\n  h: {text: H}\n", False),
    ("two ways", "argmap: 1\nclaims:\n  a: {prior: 0.5}\n  h: {prior: 0.5, supported_by: {a: 0.5}}\n", False),
    ("leak without noisy-OR", "argmap: 1\nclaims:\n  h: {prior: 0.5, leak: 0.1}\n", False),
    ("given without table", "argmap: 1\nclaims:\n  a: {prior: 0.5}\n  h: {given: [a]}\n", False),
    ("supports without table", "argmap: 1\nclaims:\n  a: {prior: 0.5}\n  h: {prior: 0.5, supports: [a]}\n", False),
    ("empty given", "argmap: 1\nclaims:\n  h: {given: [], table: {'true': 0.5}}\n", False),
    ("number prior, three states", "argmap: 1\nclaims:\n  h: {states: [a, b, c], prior: 0.5}\n", False),
    ("noisy-OR on states", "argmap: 1\nclaims:\n  a: {prior: 0.5}\n  h: {states: [x, y], supported_by: {a: 0.5}}\n", False),
    ("one state", "argmap: 1\nclaims:\n  h: {states: [only], prior: 1}\n", False),
    ("state with a comma", "argmap: 1\nclaims:\n  h: {states: ['a,b', c], prior: 0.5}\n", False),
    ("probability above 1", "argmap: 1\nclaims:\n  h: {prior: 1.5}\n", False),
    ("percentage above 100", "argmap: 1\nclaims:\n  h: {prior: 150%}\n", False),
    ("range of one", "argmap: 1\nclaims:\n  h: {prior: [0.5]}\n", False),
    ("unknown word", "argmap: 1\nclaims:\n  h: {prior: quite likely}\n", False),
    ("boolean probability", "argmap: 1\nclaims:\n  h: {prior: true}\n", False),
    ("unknown scale", "argmap: 1\nscale: icd\nclaims:\n  h: {prior: 0.5}\n", False),
    ("source without reliability", "argmap: 1\nsources:\n  s: {text: S}\nclaims:\n  h: {prior: 0.5}\n", False),
    ("bad Admiralty letter", "argmap: 1\nsources:\n  s: {reliability: G}\nclaims:\n  h: {prior: 0.5}\n", False),
    ("claims as a list", "argmap: 1\nclaims: [h]\n", False),
    ("evidence as a mapping", "argmap: 1\nevidence: {a: b}\nclaims:\n  h: {prior: 0.5}\n", False),
]

EVIDENCE_CASES = [
    ("likelihood", "- {id: e, bears_on: h, likelihood: {true: 0.7, false: 0.2}}\n", True),
    ("one item, not a list", "id: e\nbears_on: h\nlikelihood: {true: 0.7, false: 0.2}\n", True),
    ("empty file", "# nothing yet\n", True),
    ("everything optional", """\
        - id: e
          date: 2014-11-20
          text: T
          cite: [k1]
          url: https://example.org
          quote: "..."
          page: 12
          source: press
          bears_on: h
          likelihood: {true: likely, false: [0.1, 0.2]}
          observed: false
          expected: true
          note: n
        """, True),
    ("dates", ("- {id: a, date: 2014, bears_on: h, lr: 2}\n- {id: b, date: 2014-1-5, bears_on: h, lr: 2}\n"
              "- {id: c, date: '2014-11', bears_on: h, lr: 0.5}\n- {id: f, date: null, bears_on: h, lr: 2}\n"), True),
    ("likelihood with reliability letter", "- {id: e, bears_on: h, likelihood: {true: 0.8, false: 0.1}, reliability: a}\n", True),
    ("lr with reliability", "- {id: e, bears_on: h, lr: 8, reliability: a}\n", False),
    ("lr with a source", "- {id: e, bears_on: h, lr: 8, source: press}\n", False),
    ("tests", ("- {id: a, bears_on: h, test: hoop}\n- {id: b, bears_on: h, test: smoking_gun, for: false}\n"
              "- {id: c, bears_on: d, test: doubly_decisive, for: y, observed: false}\n"), True),
    ("table", ("- {id: e, given: [h, d], table: {'true, x': 0.9, 'true, y': 0.5, 'true, z': 0.5, "
              "'false, x': 0.1, 'false, y': {true: 0.3, false: 0.7}, 'false, z': 0.2}}\n"), True),
    ("observe", "- {id: e, date: 2018-07-06, observe: {h: true, d: z}, expected: true}\n", True),
    ("multi-state likelihood", "- {id: e, bears_on: d, likelihood: {x: 0.8, y: 0.2, z: 0.7}}\n", True),
    ("no id", "- {bears_on: h, lr: 2}\n", False),
    ("bad id", "- {id: E-1, bears_on: h, lr: 2}\n", False),
    ("no bearing", "- {id: e, bears_on: h}\n", False),
    ("two bearings", "- {id: e, bears_on: h, lr: 2, test: hoop}\n", False),
    ("no bears_on", "- {id: e, likelihood: {true: 0.7, false: 0.2}}\n", False),
    ("lr on an absent item", "- {id: e, bears_on: h, lr: 2, observed: false}\n", False),
    ("lr of zero", "- {id: e, bears_on: h, lr: 0}\n", False),
    ("unknown test", "- {id: e, bears_on: h, test: hoops}\n", False),
    ("for without test", "- {id: e, bears_on: h, likelihood: {true: 0.5, false: 0.2}, for: true}\n", False),
    ("source and reliability", "- {id: e, bears_on: h, test: hoop, source: press, reliability: 0.5}\n", False),
    ("bad date", "- {id: e, date: 2014-13, bears_on: h, lr: 2}\n", False),
    ("two-digit year", "- {id: e, date: 14, bears_on: h, lr: 2}\n", False),
    ("table without given", "- {id: e, table: {'true': 0.5, 'false': 0.2}}\n", False),
    ("table with bears_on", "- {id: e, bears_on: h, given: [h], table: {'true': 0.5, 'false': 0.2}}\n", False),
    ("observe with bears_on", "- {id: e, bears_on: h, observe: {h: true}}\n", False),
    ("observe with observed", "- {id: e, observe: {h: true}, observed: false}\n", False),
    ("observe nothing", "- {id: e, observe: {}}\n", False),
    ("observed not a boolean", "- {id: e, bears_on: h, lr: 2, observed: maybe}\n", False),
    ("unknown key", "- {id: e, bears-on: h, lr: 2}\n", False),
    ("likelihood as a number", "- {id: e, bears_on: h, likelihood: 0.7}\n", False),
    ("bad reliability", "- {id: e, bears_on: h, likelihood: {true: 0.5, false: 0.2}, reliability: 1.2}\n", False),
    ("a bare string", "just text\n", False),
]


def _loader_accepts(root, model: str, evidence: str | None) -> bool:
    os.makedirs(os.path.join(root, "models"))
    os.makedirs(os.path.join(root, "evidence", "m"))
    with open(os.path.join(root, "evidence", "m", "refs.bib"), "w", encoding="utf-8") as out:
        out.write("@misc{k1, title = {A}, year = {2020}}\n")
    if evidence is not None:
        with open(os.path.join(root, "evidence", "m", "items.yaml"), "w", encoding="utf-8") as out:
            out.write(textwrap.dedent(evidence))
    path = os.path.join(root, "models", "m.yaml")
    with open(path, "w", encoding="utf-8") as out:
        out.write(model)
    try:
        argmap.load(path)
    except argmap.ArgmapError:
        return False
    return True


@pytest.mark.parametrize(("model", "accepted"), [c[1:] for c in MODEL_CASES], ids=[c[0] for c in MODEL_CASES])
def test_model_schema_agrees_with_the_loader(validators, tmp_path, model, accepted):
    assert _loader_accepts(str(tmp_path), model, None) is accepted, "the case's expectation is wrong"
    found = errors(validators["model"], model)
    assert (not found) is accepted, found


@pytest.mark.parametrize(("evidence", "accepted"), [c[1:] for c in EVIDENCE_CASES], ids=[c[0] for c in EVIDENCE_CASES])
def test_evidence_schema_agrees_with_the_loader(validators, tmp_path, evidence, accepted):
    assert _loader_accepts(str(tmp_path), BASE_MODEL, evidence) is accepted, "the case's expectation is wrong"
    found = errors(validators["evidence"], evidence)
    assert (not found) is accepted, found


def test_a_broken_model_is_reported_where_it_is_broken(validators):
    found = list(validators["model"].iter_errors(document("argmap: 1\nclaims:\n  h: {prior: 0.5, rol: x}\n")))
    assert any(list(e.absolute_path)[:2] == ["claims", "h"] for e in found)


# ----------------------------------------------------------------------------- random edits

_VALUES = [None, True, False, 0, 1, 0.5, 1.5, -1, "x", "likely", "Very_Likely", "30%", "150%", "B", "g", [0.2, 0.4],
           [0.4, 0.2], [0.5], [], {}, {"true": 0.5, "false": 0.5}, 2014, "2014-11", "2014-13", "true", ["a"], "hoop",
           "programme_ran", "explanation", "curriculum", {"programme_ran": "true"}, "a,b", 8, "Bad-Id",
           "inspectorate", "hypothesis", "kent", [True, False], ["x", "y", "z"]]
_KEYS = ["prior", "leak", "given", "table", "supports", "attacks", "states", "role", "supported_by", "attacked_by",
         "likelihood", "lr", "test", "for", "observe", "observed", "expected", "bears_on", "source", "reliability",
         "date", "cite", "url", "page", "quote", "random_yes", "text", "id"]


def _edit(doc, rng):
    """The document with one or two keys deleted, replaced or added, somewhere inside it."""
    import copy

    doc = copy.deepcopy(doc)
    mappings = []

    def walk(node):
        if isinstance(node, dict):
            mappings.append(node)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(doc)
    for _ in range(rng.randint(1, 2)):
        node = rng.choice(mappings)
        choice = rng.random()
        if choice < 0.3 and node:
            del node[rng.choice(list(node))]
        elif choice < 0.7 and node:
            node[rng.choice(list(node))] = copy.deepcopy(rng.choice(_VALUES))
        else:
            node[rng.choice(_KEYS)] = copy.deepcopy(rng.choice(_VALUES))
    return doc


def _plain(node):
    if isinstance(node, dict):
        return {k: _plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    return node


def test_whatever_the_loader_accepts_the_schema_accepts(validators, tmp_path):
    """Random edits of the scaffold: every edited case that argmap loads is schema-valid (the
    converse does not hold: unknown ids, sums and missing rows are the loader's to find)."""
    import random
    import shutil

    import yaml

    model_path, evidence_path, bib_path = scaffold("demo", str(tmp_path / "original"))
    with open(model_path, encoding="utf-8") as handle:
        model = _plain(read_yaml(handle.read(), model_path))
    with open(evidence_path, encoding="utf-8") as handle:
        evidence = _plain(read_yaml(handle.read(), evidence_path))
    rng = random.Random(20240601)
    accepted = 0
    for attempt in range(300):
        edited_model, edited_evidence = (_edit(model, rng), evidence) if attempt % 2 else (model, _edit(evidence, rng))
        root = tmp_path / f"case{attempt}"
        (root / "models").mkdir(parents=True)
        (root / "evidence" / "demo").mkdir(parents=True)
        shutil.copy(bib_path, root / "evidence" / "demo" / "references.bib")
        model_text = yaml.safe_dump(edited_model, allow_unicode=True)
        evidence_text = yaml.safe_dump(edited_evidence, allow_unicode=True)
        (root / "models" / "demo.yaml").write_text(model_text, encoding="utf-8")
        (root / "evidence" / "demo" / "examples.yaml").write_text(evidence_text, encoding="utf-8")
        try:
            argmap.load(str(root / "models" / "demo.yaml"))
        except argmap.ArgmapError:
            continue
        accepted += 1
        assert errors(validators["model"], model_text) == [], model_text
        assert errors(validators["evidence"], evidence_text) == [], evidence_text
    assert accepted > 25  # the edits are not all fatal, so the check above has bite


DOCS = [os.path.join(ROOT, "docs", name) for name in ("model-format.md", "evidence-format.md")]


def _doc_examples():
    import re

    for path in DOCS:
        if not os.path.exists(path):
            continue
        with open(path, encoding="utf-8") as handle:
            blocks = re.findall(r"```yaml\n(.*?)```", handle.read(), re.DOTALL)
        for index, block in enumerate(blocks):
            if block.startswith("argmap: 1"):
                yield pytest.param("model", block, id=f"{os.path.basename(path)}[{index}]")
            elif block.startswith("- id:"):
                yield pytest.param("evidence", block, id=f"{os.path.basename(path)}[{index}]")


@pytest.mark.parametrize(("kind", "text"), list(_doc_examples()))
def test_whole_documents_in_the_docs_are_valid(validators, kind, text):
    assert errors(validators[kind], text) == []
