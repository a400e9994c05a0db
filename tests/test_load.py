"""load + validate: every user error names the file and line, says what was wrong and what to
write instead; all problems of a model are listed at once."""

from __future__ import annotations

import os
import textwrap

import pytest

import argmap

MINIMAL = """\
argmap: 1
claims:
  h:
    text: The hypothesis
    prior: 0.5
"""


def case(root: str, model: str, evidence: str | None = None, bib: str | None = None) -> str:
    os.makedirs(os.path.join(root, "models"), exist_ok=True)
    os.makedirs(os.path.join(root, "evidence", "m"), exist_ok=True)
    path = os.path.join(root, "models", "m.yaml")
    with open(path, "w", encoding="utf-8") as out:
        out.write(textwrap.dedent(model))
    if evidence is not None:
        with open(os.path.join(root, "evidence", "m", "items.yaml"), "w", encoding="utf-8") as out:
            out.write(textwrap.dedent(evidence))
    if bib is not None:
        with open(os.path.join(root, "evidence", "m", "refs.bib"), "w", encoding="utf-8") as out:
            out.write(bib)
    return path


def problems(root: str, model: str, evidence: str | None = None, bib: str | None = None) -> list[tuple[str, int, str]]:
    with pytest.raises(argmap.ArgmapError) as caught:
        argmap.load(case(root, model, evidence, bib)).update()
    return [(os.path.basename(p.location.file), p.location.line, p.message) for p in caught.value.problems]


def only(found: list[tuple[str, int, str]]) -> tuple[str, int, str]:
    assert len(found) == 1, found
    return found[0]


def test_minimal_model_loads(case_dir):
    model = argmap.load(case(case_dir, MINIMAL))
    assert list(model.claims) == ["h"]
    assert model.claims["h"].states == ("true", "false")
    assert model.evidence == ()


def test_yaml_syntax_error_names_the_line(case_dir):
    file, line, message = only(problems(case_dir, "argmap: 1\nclaims:\n  h: {text: x, prior: [0.5\n  g: 1\n"))
    assert (file, line) == ("m.yaml", 4)
    assert "YAML syntax error" in message


def test_missing_version_and_claims(case_dir):
    found = problems(case_dir, "title: x\n")
    messages = " | ".join(m for _, _, m in found)
    assert "missing 'argmap: 1'" in messages
    assert "a model needs 'claims:'" in messages


def test_unknown_key_with_did_you_mean(case_dir):
    file, line, message = only(problems(case_dir, MINIMAL + "    rol: hypothesis\n"))
    assert line == 6
    assert message == "unknown key 'rol' in claim 'h'; did you mean 'role'?"


def test_duplicate_key_is_an_error_not_an_overwrite(case_dir):
    file, line, message = only(problems(case_dir, MINIMAL + "    prior: 0.7\n"))
    assert line == 6
    assert message == "duplicate key 'prior' (first written on line 5); keep one"


def test_unknown_parent_with_did_you_mean(case_dir):
    model = MINIMAL + "  c:\n    text: c\n    supported_by: {hh: 0.5}\n"
    file, line, message = only(problems(case_dir, model))
    assert (file, line) == ("m.yaml", 8)
    assert message == "claim 'c': supported_by: unknown claim 'hh'; did you mean 'h'?"


def test_cycle_is_named(case_dir):
    model = """\
    argmap: 1
    claims:
      a:
        text: a
        supported_by: {c: 0.5}
      b:
        text: b
        supported_by: {a: 0.5}
      c:
        text: c
        given: [b]
        table: {"true": 0.5, "false": 0.2}
    """
    file, line, message = only(problems(case_dir, model))
    assert line == 3
    assert message.startswith("cycle: a → b → c → a")
    assert "remove one of these links" in message


def test_distribution_must_sum_to_one(case_dir):
    model = """\
    argmap: 1
    claims:
      d:
        text: d
        states: [x, y, z]
        prior: {x: 0.5, y: 0.3, z: 0.3}
    """
    file, line, message = only(problems(case_dir, model))
    assert line == 6
    assert "sum to 1.1, not 1" in message and "does not normalise silently" in message


def test_incomplete_table_lists_missing_rows(case_dir):
    model = MINIMAL + (
        "  g:\n"
        "    text: g\n"
        "    states: [a, b, c]\n"
        "    prior: {a: 0.2, b: 0.3, c: 0.5}\n"
        "  t:\n"
        "    text: t\n"
        "    given: [h, g]\n"
        "    table:\n"
        '      "true, a": 0.9\n'
        '      "false, b": 0.3\n'
        '      "true, c": likely\n'
    )
    file, line, message = only(problems(case_dir, model))
    assert line == 13
    assert 'table has no row for "true, b"; "false, a"; "false, c" (3 missing of 6)' in message


def test_unknown_state_in_table_row(case_dir):
    model = MINIMAL + '  t:\n    text: t\n    given: [h]\n    table: {"true": 0.9, "flase": 0.2}\n'
    found = problems(case_dir, model)
    assert ("m.yaml", 9, "claim 't': row 'flase': 'flase' is not a state of 'h'; did you mean 'false'?") in found


def test_unknown_verbal_word(case_dir):
    file, line, message = only(problems(case_dir, MINIMAL.replace("0.5", "probably")))
    assert line == 5
    assert "'probably' is not a word of the icd203 scale" in message


def test_probability_out_of_range_and_backward_range(case_dir):
    found = problems(case_dir, MINIMAL.replace("0.5", "1.5") + "  g:\n    text: g\n    prior: [0.8, 0.6]\n")
    assert found[0][1:] == (5, "claim 'h': prior: 1.5 is not a probability; write a number from 0 to 1")
    assert found[1][1] == 8 and "runs backwards; write [0.6, 0.8]" in found[1][2]


def test_bad_date(case_dir):
    evidence = "- id: e\n  date: 2014-13-01\n  text: x\n  bears_on: h\n  lr: 2\n"
    file, line, message = only(problems(case_dir, MINIMAL, evidence))
    assert (file, line) == ("items.yaml", 2)
    assert message.startswith("bad date '2014-13-01'") and "YYYY-MM-DD" in message


def test_duplicate_ids_name_both_files(case_dir):
    evidence = "- id: e\n  text: x\n  bears_on: h\n  lr: 2\n"
    path = case(case_dir, MINIMAL, evidence)
    with open(os.path.join(case_dir, "evidence", "m", "more.yaml"), "w") as out:
        out.write("- id: other\n  text: y\n  bears_on: h\n  lr: 3\n- id: e\n  text: z\n  bears_on: h\n  lr: 3\n")
    with pytest.raises(argmap.ArgmapError) as caught:
        argmap.load(path)
    [problem] = caught.value.problems
    assert os.path.basename(problem.location.file) == "more.yaml" and problem.location.line == 5
    assert "duplicate id 'e'" in problem.message and "items.yaml:1" in problem.message


def test_likelihood_must_cover_every_state(case_dir):
    evidence = "- id: e\n  text: x\n  bears_on: h\n  likelihood: {true: 0.5, maybe: 0.2}\n"
    found = problems(case_dir, MINIMAL, evidence)
    assert ("items.yaml", 4, "evidence 'e': 'maybe' is not a state of 'h'; known: false, true") in found
    assert ("items.yaml", 4, "evidence 'e': likelihood has no value for false; give P(this observation | "
                             "state) for every state of 'h'") in found


def test_unknown_target_and_source(case_dir):
    evidence = "- id: e\n  text: x\n  bears_on: hh\n  source: agnecy\n  likelihood: {true: 0.8, false: 0.4}\n"
    model = MINIMAL.replace("claims:", "sources:\n  agency: {text: a, reliability: B}\nclaims:")
    found = problems(case_dir, model, evidence)
    assert ("items.yaml", 3, "evidence 'e': bears_on: unknown claim 'hh'; did you mean 'h'?") in found
    assert any(line == 4 and "unknown source 'agnecy'; did you mean 'agency'?" in m for _, line, m in found)


def test_lr_is_refused_for_absent_items_and_multistate_targets(case_dir):
    model = MINIMAL + "  d:\n    text: d\n    states: [x, y]\n    prior: {x: 0.5, y: 0.5}\n"
    evidence = ("- id: e\n  text: x\n  bears_on: h\n  lr: 2\n  observed: false\n"
                "- id: f\n  text: x\n  bears_on: d\n  lr: 2\n")
    found = problems(case_dir, model, evidence)
    assert found[0][1] == 4 and "says nothing about an absent item" in found[0][2]
    assert found[1][1] == 9 and "lr needs a true/false target" in found[1][2]


def test_test_on_multistate_target_needs_for(case_dir):
    model = MINIMAL + "  d:\n    text: d\n    states: [x, y, z]\n    prior: {x: 0.2, y: 0.3, z: 0.5}\n"
    file, line, message = only(problems(case_dir, model, "- id: e\n  text: x\n  bears_on: d\n  test: hoop\n"))
    assert line == 4 and "say which one the test is for with 'for: STATE'" in message


def test_exactly_one_way_to_give_a_distribution(case_dir):
    model = MINIMAL + "  c:\n    text: c\n    prior: 0.3\n    supported_by: {h: 0.5}\n"
    file, line, message = only(problems(case_dir, model))
    assert line == 6
    assert "needs exactly one of prior, supported_by/attacked_by (noisy-OR) or given+table; found prior and " \
           "supported_by/attacked_by" in message


def test_noisy_or_needs_binary_parents(case_dir):
    model = MINIMAL + "  d:\n    text: d\n    states: [x, y]\n    prior: {x: 0.5, y: 0.5}\n" \
                      "  c:\n    text: c\n    supported_by: {d: 0.5}\n"
    file, line, message = only(problems(case_dir, model))
    assert line == 12 and "noisy-OR needs true/false parents" in message


def test_conflicting_hard_evidence(case_dir):
    evidence = "- id: a\n  text: x\n  observe: {h: true}\n- id: b\n  text: y\n  observe: {h: false}\n"
    file, line, message = only(problems(case_dir, MINIMAL, evidence))
    assert line == 6 and "observes h = false but 'a'" in message


def test_citations_must_resolve_in_the_bibliography(case_dir):
    model = MINIMAL.replace("claims:", "bibliography: ../evidence/m/refs.bib\nclaims:")
    bib = "@misc{sipri2024,\n  title = {Arms transfers},\n  year = {2024}\n}\n"
    evidence = "- id: e\n  text: x\n  cite: sipri2042\n  bears_on: h\n  lr: 2\n"
    file, line, message = only(problems(case_dir, model, evidence, bib))
    assert line == 3 and "'sipri2042' is not in the bibliography" in message and "did you mean 'sipri2024'" in message


def test_all_problems_across_files_are_reported_together(case_dir):
    model = MINIMAL + "    rol: x\n  g:\n    text: g\n    prior: sure\n"
    evidence = "- id: e\n  date: 2014-00\n  text: x\n  bears_on: h\n  lr: 2\n- id: f\n  text: y\n  bears_on: q\n  lr: 2\n"
    found = problems(case_dir, model, evidence)
    assert [(f, line) for f, line, _ in found] == [("items.yaml", 2), ("items.yaml", 8), ("m.yaml", 6), ("m.yaml", 9)]


def test_unsafe_yaml_tags_are_refused(case_dir):
    file, line, message = only(problems(case_dir, "argmap: 1\nclaims: !!python/object/apply:os.system ['echo hi']\n"))
    assert line == 2 and "unsupported YAML tag" in message


def test_non_utf8_file_is_refused_with_its_line(case_dir):
    path = case(case_dir, MINIMAL)
    with open(path, "ab") as out:
        out.write("  g:\n    text: caf\xe9\n".encode("latin-1"))
    with pytest.raises(argmap.ArgmapError) as caught:
        argmap.load(path)
    [problem] = caught.value.problems
    assert problem.location.line == 7 and "not UTF-8" in problem.message


def test_windows_line_endings_bom_and_non_latin_text_load(case_dir):
    text = "\ufeff" + MINIMAL.replace("The hypothesis", "Россия и Китай 中俄").replace("\n", "\r\n")
    path = case(case_dir, "")
    with open(path, "w", encoding="utf-8", newline="") as out:
        out.write(text)
    assert argmap.load(path).claims["h"].text == "Россия и Китай 中俄"


def test_verbal_words_ranges_and_percentages(case_dir):
    model = MINIMAL + "  a:\n    text: a\n    prior: likely\n  b:\n    text: b\n    prior: [0.2, 0.4]\n" \
                      "  c:\n    text: c\n    prior: 30%\n"
    loaded = argmap.load(case(case_dir, model))
    assert loaded.claims["a"].distribution.probs["true"].value == pytest.approx(0.675)
    assert loaded.claims["b"].distribution.probs["true"].value == pytest.approx(0.3)
    assert loaded.claims["b"].distribution.probs["false"].value == pytest.approx(0.7)
    assert loaded.claims["c"].distribution.probs["true"].value == pytest.approx(0.3)


def test_yaml_booleans_are_state_names(case_dir):
    model = MINIMAL + "  t:\n    text: t\n    given: h\n    table:\n      true: 0.9\n      false: {true: 0.2, false: 0.8}\n"
    table = argmap.load(case(case_dir, model)).claims["t"].distribution
    assert table.rows[("true",)]["true"].value == 0.9
    assert table.rows[("false",)]["false"].value == 0.8


def test_for_goes_only_with_a_test(case_dir):
    evidence = '- {id: e1, text: x, given: [h], table: {"true": 0.9, "false": 0.1}, for: whatever}\n'
    file, line, message = only(problems(case_dir, MINIMAL, evidence))
    assert line == 1 and "'for' names the state a test is for" in message


def test_numbers_yaml_reads_as_text_are_numbers(case_dir):
    loaded = argmap.load(case(case_dir, MINIMAL.replace("0.5", "1e-3")))
    assert loaded.claims["h"].distribution.probs["true"].value == pytest.approx(0.001)


def test_format_version_must_be_the_number_one(case_dir):
    file, line, message = only(problems(case_dir, MINIMAL.replace("argmap: 1", "argmap: true")))
    assert line == 1 and "format version True is not supported" in message


def test_authors_must_be_names(case_dir):
    file, line, message = only(problems(case_dir, MINIMAL + "authors: 5\n"))
    assert "'authors' is a name or a list of names" in message


def test_milestones_load_in_date_order(case_dir):
    model = argmap.load(case(case_dir, MINIMAL + "milestones:\n  - {date: 2021-12, label: later}\n"
                                                "  - {date: 2017, label: \"up to 2017, the paper's period\"}\n"))
    assert [(str(m.date), m.label) for m in model.milestones] == [("2017", "up to 2017, the paper's period"),
                                                                 ("2021-12", "later")]


@pytest.mark.parametrize(("text", "line", "says"), [
    ("milestones: 2017\n", 6, "'milestones' is a list of {date"),
    ("milestones:\n  - {date: 2017-13, label: x}\n", 7, "bad date '2017-13'"),
    ("milestones:\n  - {date: 2017}\n", 7, "'milestones' is a list of {date"),
    ("milestones:\n  - {date: 2017, label: up to 2017, the period}\n", 7, "a label with a comma or a colon needs quotes"),
    ("milestones:\n  - {date: 2017, label: a}\n  - {date: 2017, label: b}\n", 8, "milestone 2017 is written twice"),
])
def test_bad_milestones_name_the_line(case_dir, text, line, says):
    file, at, message = only(problems(case_dir, MINIMAL + text))
    assert (file, at) == ("m.yaml", line) and says in message, message


def test_numbers_are_kept_as_written_zeros_of_either_sign_apart(case_dir):
    """Table rows and priors are read once per distinct text and their probabilities cached per
    number: 0.0 and -0.0 compare equal but are written apart, and stay apart."""
    model = argmap.load(case(case_dir, """\
        argmap: 1
        claims:
          a:
            text: A
            prior: {true: 1.0, false: -0.0}
          b:
            text: B
            prior: {true: 1.0, false: 0.0}
          c:
            text: C
            given: [a, b]
            table:
              true, true: {true: 1.0, false: 0.0}
              true, false: {true: 1.0, false: -0.0}
              false, true: {true: 1.0, false: 0.0}
              false, false: {true: 0.25, false: 0.75}
        """))
    written = {cid: str(claim.distribution.probs["false"]) for cid, claim in model.claims.items() if cid != "c"}
    assert written == {"a": "-0.0", "b": "0.0"}
    rows = model.claims["c"].distribution.rows
    assert [str(rows[row]["false"]) for row in rows] == ["0.0", "-0.0", "0.0", "0.75"]
    assert rows[("true", "true")] is not rows[("false", "true")]  # rows read from one text are separate mappings
