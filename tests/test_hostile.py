"""Hostile and special input, round two (issue 20): each case runs the real command under a
memory limit and a timeout, and must end with exit 0 or 2, no traceback, the file named, the
bound respected and nothing outside the case folder's outputs changed."""

from __future__ import annotations

import hashlib
import os
import resource
import subprocess
import sys
import textwrap
import time

import pytest

MEMORY = 1536 * 1024 * 1024  # address space: numpy and matplotlib need a few hundred MB of it
MINIMAL = "argmap: 1\nclaims:\n  h:\n    text: The hypothesis\n    role: hypothesis\n    prior: 0.5\n"


def _limit() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))


def run(*args: str, cwd: str, timeout: float = 60, stdin: str | None = None, env: dict | None = None,
        codes: tuple[int, ...] = (0, 2)) -> subprocess.CompletedProcess:
    """``python -m argmap ARGS`` in ``cwd``, limited; the result after the common assertions."""
    environment = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", **(env or {})}
    start = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "argmap", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout, preexec_fn=_limit, env=environment, input=stdin,
                          errors="replace")
    done.seconds = time.monotonic() - start  # type: ignore[attr-defined]
    assert done.returncode in codes, (done.returncode, done.stderr[-3000:])
    assert "Traceback" not in done.stderr and "Traceback" not in done.stdout, done.stderr[-3000:]
    return done


def snapshot(root: str, *, skip: tuple[str, ...] = ()) -> dict[str, tuple]:
    """Every entry under ``root`` (not under ``skip``): its kind and content hash."""
    found: dict[str, tuple] = {}
    for folder, dirs, names in os.walk(root):
        rel = os.path.relpath(folder, root)
        if any(rel == s or rel.startswith(s + os.sep) for s in skip):
            dirs[:] = []
            continue
        for name in dirs + names:
            path = os.path.join(folder, name)
            info = os.lstat(path)
            digest = None
            if os.path.isfile(path) and not os.path.islink(path):
                with open(path, "rb") as handle:
                    digest = hashlib.sha256(handle.read()).hexdigest()
            link = os.readlink(path) if os.path.islink(path) else None
            found[os.path.relpath(path, root)] = (info.st_mode & 0o170000, digest, link, info.st_rdev)
    return found


def write(root: str, relative: str, text: str) -> str:
    path = os.path.join(root, relative)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as out:
        out.write(textwrap.dedent(text))
    return path


@pytest.fixture
def project(tmp_path):
    root = str(tmp_path / "project")
    write(root, "models/m.yaml", MINIMAL)
    write(root, "evidence/m/items.yaml", "- id: e1\n  text: seen\n  bears_on: h\n  likelihood: {true: 0.8, false: 0.2}\n")
    return root


# ----------------------------------------------------------------------------- size bombs


def test_a_noisy_or_claim_with_thirty_parents_is_refused_with_its_size(project):
    parents = "".join(f"  p{i}: {{text: p, prior: 0.5}}\n" for i in range(30))
    write(project, "models/m.yaml", MINIMAL.replace("    prior: 0.5\n", "    supported_by: {"
                                                    + ", ".join(f"p{i}: 0.5" for i in range(30)) + "}\n") + parents)
    before = snapshot(project)
    for command in (["check"], ["update"], ["report", "-o", "out"], ["diagram", "-o", "out/d.svg"]):
        done = run(command[0], "models/m.yaml", *command[1:], cwd=project, timeout=60)
        assert done.returncode == 2 and done.seconds < 30
        assert "models/m.yaml:6: claim 'h': its table would hold 2,147,483,648 numbers" in done.stderr
        assert "16.0 GiB" in done.stderr and "fewer parents" in done.stderr
    assert snapshot(project) == before


def test_a_big_given_table_is_refused_before_its_rows_are_listed(project):
    parents = "".join(f"  p{i}: {{text: p, prior: 0.5}}\n" for i in range(24))
    write(project, "models/m.yaml", MINIMAL + "  g:\n    text: g\n    given: [" + ", ".join(f"p{i}" for i in range(24))
          + "]\n    table: {\"" + ", ".join(["true"] * 24) + "\": 0.5}\n" + parents)
    done = run("check", "models/m.yaml", cwd=project, timeout=60)
    assert done.returncode == 2 and "claim 'g': its table would hold 33,554,432 numbers" in done.stderr
    assert "missing of" not in done.stderr  # the 16 million missing rows are never listed


def test_an_evidence_item_on_many_claims_is_refused(project):
    parents = "".join(f"  p{i}: {{text: p, prior: 0.5}}\n" for i in range(23))
    write(project, "models/m.yaml", MINIMAL + parents)
    write(project, "evidence/m/items.yaml", "- id: e1\n  text: t\n  given: [" + ", ".join(f"p{i}" for i in range(23))
          + "]\n  table: {\"" + ", ".join(["true"] * 23) + "\": 0.5}\n")
    done = run("check", "models/m.yaml", cwd=project)
    assert done.returncode == 2 and "items.yaml:3: evidence 'e1': its table would hold" in done.stderr


def test_a_bif_with_twenty_six_parents_is_refused_before_pgmpy_builds_it(project):
    lines = ["network n {}"] + [f"variable A{i} {{ type discrete [ 2 ] {{ yes, no }}; }}" for i in range(27)]
    lines += [f"probability ( A{i} ) {{ table 0.5, 0.5; }}" for i in range(26)]
    lines += ["probability ( A26 | " + ", ".join(f"A{i}" for i in range(26)) + " ) { default 0.5, 0.5; }"]
    write(project, "big.bif", "\n".join(lines) + "\n")
    done = run("import", "big.bif", "-o", "out/big.yaml", cwd=project, timeout=60)
    assert done.returncode == 2 and done.seconds < 30
    assert "big.bif:55: variable 'A26': its table would hold 134,217,728 numbers" in done.stderr
    assert not os.path.exists(os.path.join(project, "out"))


def test_an_xmlbif_with_many_parents_is_refused(project):
    variables = "".join(f"<VARIABLE TYPE=\"nature\"><NAME>A{i}</NAME><OUTCOME>y</OUTCOME><OUTCOME>n</OUTCOME></VARIABLE>\n"
                        for i in range(25))
    definition = "<DEFINITION><FOR>A24</FOR>" + "".join(f"<GIVEN>A{i}</GIVEN>" for i in range(24)) + "<TABLE>0.5 0.5</TABLE></DEFINITION>\n"
    write(project, "big.xmlbif", f"<?xml version=\"1.0\"?>\n<BIF VERSION=\"0.3\"><NETWORK><NAME>n</NAME>\n{variables}{definition}</NETWORK></BIF>\n")
    done = run("import", "big.xmlbif", "-o", "out/big.yaml", cwd=project)
    assert done.returncode == 2 and "big.xmlbif:28: variable 'A24': its table would hold 33,554,432" in done.stderr


def test_an_argdown_import_with_forty_supporters_writes_nothing(project):
    write(project, "many.argdown", "[H]: the hypothesis\n" + "".join(f"  <+ [S{i}]: support {i}\n" for i in range(40)))
    done = run("import", "many.argdown", "-o", "out/many.yaml", cwd=project)
    assert done.returncode == 2 and "many.argdown: the model imported from it does not check" in done.stderr
    assert "its table would hold" in done.stderr and not os.path.exists(os.path.join(project, "out"))


def test_a_claim_with_thousands_of_states_is_refused_fast(project):
    states = ", ".join(f"s{i}" for i in range(10_000))
    write(project, "models/m.yaml", MINIMAL + f"  w:\n    text: w\n    states: [{states}]\n    prior: {{s0: 1}}\n")
    done = run("report", "models/m.yaml", "-o", "out", cwd=project, timeout=60)
    assert done.returncode == 2 and done.seconds < 30
    assert "m.yaml:9: claim 'w': 10,000 states; a claim has up to 200 states" in done.stderr


def test_a_claim_with_two_hundred_states_reports_in_seconds(project):
    n = 200
    write(project, "models/m.yaml", MINIMAL.replace("hypothesis\n    prior: 0.5", "hypothesis\n    states: ["
          + ", ".join(f"s{i}" for i in range(n)) + "]\n    prior: {" + ", ".join(f"s{i}: {1 / n}" for i in range(n)) + "}")
          + "  g:\n    text: g\n    given: [h]\n    table:\n" + "".join(f"      s{i}: 0.{i % 9 + 1}\n" for i in range(n)))
    write(project, "evidence/m/items.yaml", "- id: e1\n  text: seen\n  bears_on: g\n  likelihood: {true: 0.8, false: 0.2}\n")
    done = run("report", "models/m.yaml", "-o", "out", "--format", "html", cwd=project, timeout=120)
    assert done.returncode == 0 and done.seconds < 60


def test_a_bif_variable_with_a_hundred_thousand_states_is_refused_fast(project):
    states = ", ".join(f"s{i}" for i in range(100_000))
    write(project, "wide.bif", f"network n {{}}\nvariable A {{ type discrete [ 100000 ] {{ {states} }}; }}\n"
          f"probability ( A ) {{ default {', '.join(['0.00001'] * 100_000)}; }}\n")
    done = run("import", "wide.bif", "-o", "out/w.yaml", cwd=project, timeout=60)
    assert done.returncode == 2 and done.seconds < 30
    assert "wide.bif: variable 'A' has 100,000 states" in done.stderr
