"""Hostile and broken input: refused clearly, quickly, without running anything; and the
scale a real case can reach."""

from __future__ import annotations

import os
import random
import subprocess
import sys
import time

import pytest
import yaml
from test_load import MINIMAL, case, only, problems

import argmap

BOMB = "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [" + ", ".join([f"*{chr(97 + i)}"] * 9) + "]\n" for i in range(8)
)


def test_billion_laughs_is_refused_before_it_expands(case_dir):
    # a hang guard, not a speed claim: expanding the bomb would take hours, refusing it well under a second
    start = time.perf_counter()
    file, line, message = only(problems(case_dir, "argmap: 1\n" + BOMB + "claims: {h: {text: x, prior: 0.5}}\n"))
    assert time.perf_counter() - start < 30
    assert "uses of '*alias'" in message


def test_small_aliases_are_fine(case_dir):
    model = MINIMAL + "  g:\n    text: g\n    given: [h]\n    table:\n      \"true\": &row {true: 0.7, false: 0.3}\n      \"false\": *row\n"
    assert argmap.load(case(case_dir, model)).claims["g"].distribution.rows[("false",)]["true"].value == 0.7


def test_very_deep_nesting_is_refused(case_dir):
    file, line, message = only(problems(case_dir, "argmap: 1\nclaims: " + "[" * 50_000 + "]" * 50_000 + "\n"))
    assert "nesting" in message or "depth" in message


def test_tabs_get_a_hint(case_dir):
    file, line, message = only(problems(case_dir, MINIMAL.replace("    prior", "\tprior")))
    assert line == 5 and "YAML indents with spaces only" in message


def test_object_construction_tags_never_run(case_dir, tmp_path):
    marker = tmp_path / "ran"
    text = f"argmap: 1\nclaims: !!python/object/apply:os.system ['touch {marker}']\n"
    found = problems(case_dir, text)
    assert not marker.exists()
    assert "unsupported YAML tag" in found[0][2]


def test_files_over_the_size_limit_are_refused(case_dir, monkeypatch):
    monkeypatch.setattr(sys.modules["argmap._files"], "MAX_FILE_BYTES", 100)
    file, line, message = only(problems(case_dir, MINIMAL + "# padding\n" * 20))
    assert "argmap reads files up to" in message


@pytest.mark.parametrize("value", ["1e-300", "0.0", "1.0"])
def test_extreme_probabilities_give_numbers_or_a_named_impossibility(case_dir, value):
    evidence = f"- id: e\n  text: x\n  bears_on: h\n  likelihood: {{true: {value}, false: 1e-300}}\n"
    path = case(case_dir, MINIMAL, evidence)
    p = argmap.load(path).update().posterior("h")
    assert 0 <= p <= 1 and p == p  # a number, never NaN
    # 1e-300 against 1e-300 is a likelihood ratio of 1; a written 0 makes h impossible
    assert p == pytest.approx({"1e-300": 0.5, "0.0": 0.0, "1.0": 1.0}[value])


def test_no_traceback_for_any_bad_file_through_the_command_line(case_dir):
    path = case(case_dir, "argmap: 1\nclaims:\n  h: {text: x, prior: [0.2}\n")
    run = subprocess.run([sys.executable, "-m", "argmap", "check", path], capture_output=True, text=True)
    assert run.returncode == 2
    assert "Traceback" not in run.stderr and "m.yaml:3" in run.stderr


def big_case(root: str, claims: int = 2000, items: int = 20_000, seed: int = 1) -> str:
    rng = random.Random(seed)
    os.makedirs(os.path.join(root, "models"))
    folder = os.path.join(root, "evidence", "big")
    os.makedirs(folder)
    body = {}
    for i in range(claims):
        pool = list(range(max(0, i - 8), i))
        parents = rng.sample(pool, rng.randint(0, min(2, len(pool))))
        body[f"c{i}"] = {"text": f"Claim {i}", **({"supported_by": {f"c{p}": 0.5 for p in parents}} if parents
                                                  else {"prior": 0.4})}
    with open(os.path.join(root, "models", "big.yaml"), "w") as out:
        yaml.safe_dump({"argmap": 1, "sources": {"wire": {"text": "w", "reliability": 0.7}}, "claims": body}, out)
    for part in range(10):
        chunk = [{"id": f"e{k}", "date": f"{rng.randint(1990, 2025)}-{rng.randint(1, 12):02d}", "text": "t",
                  "bears_on": f"c{rng.randrange(claims)}", "likelihood": {"true": 0.6, "false": 0.4},
                  **({"source": "wire"} if k % 10 == 0 else {})}
                 for k in range(part * items // 10, (part + 1) * items // 10)]
        with open(os.path.join(folder, f"part{part}.yaml"), "w") as out:
            yaml.safe_dump(chunk, out)
    return os.path.join(root, "models", "big.yaml")


def test_two_thousand_claims_and_twenty_thousand_items_load_check_and_update(case_dir):
    model = argmap.load(big_case(case_dir))
    assert len(model.claims) == 2000 and len(model.evidence) == 20_000
    beliefs = model.update()
    assert len(beliefs.counted) == 20_000
    assert all(abs(sum(b.posterior.values()) - 1) < 1e-9 for b in beliefs.claims.values())


def test_a_report_killed_while_it_is_written_leaves_only_complete_files(tmp_path):
    """Kill `argmap report` at many moments: every file in the folder is always a whole file
    (the old one or the new one), never a truncated one."""
    import json
    import shutil
    import signal
    import xml.etree.ElementTree as ET

    from conftest import ROOT

    for folder in ("models", "evidence"):
        shutil.copytree(os.path.join(ROOT, folder), tmp_path / folder)
    out = tmp_path / "out"
    command = [sys.executable, "-m", "argmap", "report", str(tmp_path / "models" / "russia_china.yaml"),
               "-o", str(out), "--format", "html,md"]
    start = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True)
    duration = time.perf_counter() - start

    def all_whole() -> None:
        for path in out.iterdir():
            data = path.read_bytes()
            if path.name.startswith("."):
                continue  # a temporary file a killed writer could not remove; never read as output
            if path.suffix == ".html":
                assert data.rstrip().endswith(b"</html>"), path
            elif path.suffix == ".svg":
                ET.fromstring(data)
            elif path.suffix == ".json":
                json.loads(data)
            elif path.suffix == ".md":
                assert data.endswith(b"\n") and len(data) > 1000, path

    all_whole()
    rng = random.Random(4)
    for _ in range(8):  # kill late in the run, where the files are being written
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.75, 1.05) * duration)
        process.send_signal(signal.SIGKILL)
        process.wait()
        all_whole()
