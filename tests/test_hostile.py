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


# ----------------------------------------------------------------------------- special files


def test_devices_and_fifos_in_the_evidence_folder_are_named_not_read(project):
    os.symlink("/dev/zero", os.path.join(project, "evidence/m/zero.yaml"))
    os.mkfifo(os.path.join(project, "evidence/m/pipe.yaml"))
    before = snapshot(project)
    done = run("check", "models/m.yaml", cwd=project, timeout=30)
    assert done.returncode == 2 and done.seconds < 20
    assert "zero.yaml is not a regular file (a character device)" in done.stderr
    assert "pipe.yaml is not a regular file (a named pipe (FIFO))" in done.stderr
    assert snapshot(project) == before


@pytest.mark.parametrize("where", ["--evidence", "model", "bibliography"])
def test_dev_zero_anywhere_is_not_a_regular_file(project, where):
    if where == "--evidence":
        done = run("check", "models/m.yaml", "--evidence", "/dev/zero", cwd=project, timeout=30)
    elif where == "model":
        done = run("check", "/dev/zero", cwd=project, timeout=30)
    else:
        write(project, "models/m.yaml", MINIMAL.replace("claims:", "bibliography: /dev/zero\nclaims:"))
        done = run("report", "models/m.yaml", "-o", "out", cwd=project, timeout=30)
    assert done.returncode == 2 and "/dev/zero is not a regular file (a character device)" in done.stderr
    assert "not found" not in done.stderr


def test_a_fifo_as_the_model_does_not_hang(project):
    fifo = os.path.join(project, "models/pipe.yaml")
    os.mkfifo(fifo)
    done = run("check", "models/pipe.yaml", cwd=project, timeout=30)
    assert done.returncode == 2 and "pipe.yaml is not a regular file" in done.stderr


def test_evidence_of_the_whole_disk_is_a_bounded_walk(project):
    write(project, "models/m.yaml", MINIMAL.replace("claims:", "evidence: [/]\nclaims:"))
    done = run("check", "models/m.yaml", cwd=project, timeout=120)
    # whichever bound the walk meets first on this disk: the number of names or the depth
    assert done.returncode == 2 and ("models/m.yaml:2: evidence folder / holds more than 100,000" in done.stderr
                                    or "models/m.yaml:2: evidence folder / nests folders more than 16 levels" in done.stderr)


def test_deeply_nested_evidence_folders_are_a_bounded_walk(project):
    deep = os.path.join(project, "evidence", "m", *["d"] * 40)
    os.makedirs(deep)
    done = run("check", "models/m.yaml", cwd=project, timeout=30)
    assert done.returncode == 2 and "nests folders more than 16 levels deep" in done.stderr


def test_a_gzip_bomb_is_unpacked_only_to_the_limit(project):
    import gzip

    with gzip.open(os.path.join(project, "bomb.bif.gz"), "wb") as out:
        for _ in range(60):
            out.write(b" " * (1 << 20))
    done = run("import", "bomb.bif.gz", "-o", "out/b.yaml", cwd=project, timeout=60)
    assert done.returncode == 2 and "bomb.bif.gz: unpacks to more than 52 MB" in done.stderr


# ----------------------------------------------------------------------------- amplification


def test_the_value_limit_is_counted_while_parsing(project):
    with open(os.path.join(project, "models/m.yaml"), "w") as out:
        out.write("argmap: 1\nclaims: [" + "0," * 24_000_000 + "0]\n")  # 48 MB
    done = run("check", "models/m.yaml", cwd=project, timeout=120)
    assert done.returncode == 2 and done.seconds < 60
    assert "models/m.yaml:2: document holds more than 2,000,000 values" in done.stderr


def test_argdown_front_matter_goes_through_the_hardened_reader(project):
    bomb = "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [" + ", ".join([f"*{chr(97 + i)}"] * 9) + "]\n" for i in range(8))
    write(project, "bomb.argdown", "===\n" + bomb + "===\n\n[H]: hyp\n")
    done = run("import", "bomb.argdown", "-o", "out/b.yaml", cwd=project, timeout=30)
    assert done.returncode == 2 and done.seconds < 20 and "bomb.argdown:2: front matter: more than 10,000 uses of '*alias'" in done.stderr
    write(project, "deep.argdown", "===\nx: " + "[" * 50_000 + "]" * 50_000 + "\n===\n\n[H]: hyp\n")
    done = run("import", "deep.argdown", "-o", "out/d.yaml", cwd=project, timeout=30)
    assert done.returncode == 2 and "deep.argdown:2:" in done.stderr
    write(project, "tag.argdown", "[H]: hyp {x: !!python/object/apply:os.system [touch ran]}\n")
    done = run("import", "tag.argdown", "-o", "out/t.yaml", cwd=project, timeout=30)
    assert done.returncode == 2 and "tag.argdown:1: metadata" in done.stderr and "unsupported YAML tag" in done.stderr
    assert not os.path.exists(os.path.join(project, "ran")) and not os.path.exists(os.path.join(project, "out"))


# ----------------------------------------------------------------------------- output targets


@pytest.mark.parametrize("command", [
    ["diagram", "models/m.yaml", "-o", "models/m.yaml"],
    ["sensitivity", "models/m.yaml", "-t", "h", "-o", "evidence/m/items.yaml"],
    ["export", "models/m.yaml", "--to", "json", "-o", "models/m.yaml", "--force"],
    ["export", "models/m.yaml", "--to", "json", "-o", "hard.yaml", "--force"],
    ["diagram", "models/m.yaml", "-o", "link.svg"],
    ["import", "in.argdown", "-o", "in.argdown", "--force"],
])
def test_outputs_onto_inputs_are_refused(project, command):
    os.link(os.path.join(project, "models/m.yaml"), os.path.join(project, "hard.yaml"))
    os.symlink("models/m.yaml", os.path.join(project, "link.svg"))
    write(project, "in.argdown", "[H]: hyp\n  <+ [S]: s\n")
    before = snapshot(project)
    done = run(*command, cwd=project)
    assert done.returncode == 2
    assert "is an input of this command" in done.stderr or "is a symbolic link, not a regular file" in done.stderr
    assert snapshot(project) == before


def test_report_into_the_evidence_folder_never_replaces_an_evidence_file(project):
    write(project, "evidence/m/report.json", "- id: e9\n  text: t\n  bears_on: h\n  lr: 2\n")
    write(project, "models/m.yaml", MINIMAL.replace("claims:", "evidence: [../evidence/m/items.yaml, "
                                                    "../evidence/m/report.json]\nclaims:"))
    before = snapshot(project)
    done = run("report", "models/m.yaml", "-o", "evidence/m", "--format", "md", cwd=project)
    assert done.returncode == 2 and "evidence/m/report.json is an input of this command" in done.stderr
    assert snapshot(project) == before


@pytest.mark.parametrize("target", ["fifo", "/dev/null", "socket"])
def test_the_atomic_rename_never_replaces_a_device_fifo_or_socket(project, target):
    import socket

    if target == "fifo":
        os.mkfifo(os.path.join(project, "out.svg"))
        path = "out.svg"
    elif target == "socket":
        server = socket.socket(socket.AF_UNIX)
        server.bind(os.path.join(project, "out.svg"))
        path = "out.svg"
    else:
        path = target
    before = os.lstat(os.path.join(project, path))
    done = run("diagram", "models/m.yaml", "-o", path, cwd=project)
    after = os.lstat(os.path.join(project, path))
    assert done.returncode == 2 and "not a regular file" in done.stderr and f"{path}:" in done.stderr
    assert (after.st_mode, after.st_rdev, after.st_ino) == (before.st_mode, before.st_rdev, before.st_ino)
    assert not [n for n in os.listdir(project) if n.startswith(".argmap-")]


def test_history_and_diff_read_commits_holding_absolute_symlinks(project):
    git = ["git", "-c", "user.email=a@b", "-c", "user.name=a"]
    subprocess.run(["git", "init", "-q"], cwd=project, check=True)
    os.symlink("/etc/passwd", os.path.join(project, "evidence/m/pw.yaml"))
    os.symlink("/", os.path.join(project, "evidence/m/root"))
    subprocess.run(["git", "add", "-A"], cwd=project, check=True)
    subprocess.run([*git, "commit", "-qm", "one"], cwd=project, check=True)
    subprocess.run(["git", "rm", "-q", "evidence/m/pw.yaml", "evidence/m/root"], cwd=project, check=True)
    write(project, "evidence/m/more.yaml", "- id: e2\n  text: t\n  bears_on: h\n  lr: 3\n")
    subprocess.run(["git", "add", "-A"], cwd=project, check=True)
    subprocess.run([*git, "commit", "-qm", "two"], cwd=project, check=True)
    before = snapshot(project, skip=(".git",))
    done = run("history", "models/m.yaml", "--git", cwd=project)
    assert done.returncode == 0 and "0.800" in done.stdout
    done = run("diff", "models/m.yaml", "--from", "HEAD~1", cwd=project)
    assert done.returncode == 0 and "added" in done.stdout and "passwd" not in done.stdout
    assert snapshot(project, skip=(".git",)) == before


# ----------------------------------------------------------------------------- terminal and CSV output

ESCAPES = "\x1b]0;pwned\x07\x1b]52;c;ZWNobyBoaQ==\x07\x1b[2J\x9b31m"


def test_terminal_escapes_from_input_are_printed_visibly(project):
    write(project, "models/m.yaml", MINIMAL.replace("argmap: 1\n", f"argmap: 1\ntitle: \"T{ESCAPES.encode('unicode_escape').decode()}\"\n")
          + "  s:\n    text: s\n    states: [\"a\\e[31m\", b]\n    prior: {\"a\\e[31m\": 0.5, b: 0.5}\n")
    for args in (["update", "models/m.yaml"], ["check", "models/m.yaml"], ["next", "models/m.yaml", "-t", "h"]):
        done = run(*args, cwd=project)
        assert done.returncode == 0
        assert "\x1b" not in done.stdout + done.stderr and "\x07" not in done.stdout and "\x9b" not in done.stdout
    assert "\\x1b]0;pwned\\x07" in run("update", "models/m.yaml", cwd=project).stdout
    assert "a\\x1b[31m" in run("update", "models/m.yaml", cwd=project).stdout
    write(project, "models/bad.yaml", "argmap: 1\nclaims:\n  h: {text: x, supported_by: {\"\\e]0;x\\a\": 1}}\n")
    done = run("check", "models/bad.yaml", cwd=project)
    assert done.returncode == 2 and "\x1b" not in done.stderr and "\\x1b]0;x\\x07" in done.stderr


def test_history_prints_log_cells_visibly_and_csv_neutralises_formulas(project):
    write(project, "reports/m/beliefs.csv", "timestamp,commit,as_of,model,evidence,items,h\n"
          f"2026-01-01T00:00:00Z,\x1b]0;x\x07,,=cmd|' /C calc'!A0,@SUM(A1),1,0.5000\n")
    done = run("history", "models/m.yaml", cwd=project)
    assert done.returncode == 0 and "\x1b" not in done.stdout and "\\x1b]0;x\\x07" in done.stdout
    done = run("history", "models/m.yaml", "--format", "csv", cwd=project)
    assert "'=cmd|' /C calc'!A0" in done.stdout and "'@SUM(A1)" in done.stdout and ",0.5000" in done.stdout


def test_update_csv_and_the_belief_log_neutralise_formula_cells(project):
    write(project, "models/m.yaml", MINIMAL + "  s:\n    text: s\n    role: hypothesis\n    states: [\"=cmd|' /C calc'!A0\", \"-1\"]\n"
          "    prior: {\"=cmd|' /C calc'!A0\": 0.5, \"-1\": 0.5}\n")
    done = run("update", "models/m.yaml", "--format", "csv", cwd=project)
    assert "\"'=cmd|' /C calc'!A0\"" in done.stdout or ",'=cmd|" in done.stdout
    assert ",-1," in done.stdout  # a number stays a number
    assert "\n=" not in done.stdout and ",=" not in done.stdout
    run("update", "models/m.yaml", "--log", cwd=project)
    log = open(os.path.join(project, "reports/m/beliefs.csv")).read()
    cells = [cell for line in log.splitlines() for cell in line.split(",")]
    assert not [cell for cell in cells if cell and (cell[0] in "=+@" or (cell[0] == "-" and cell != "-1"))]


# ----------------------------------------------------------------------------- report, templates


def test_report_hashes_what_it_loaded_even_if_a_file_goes_away(project):
    done = run("report", "models/m.yaml", "-o", "out", "--format", "md", cwd=project)
    import json

    data = json.load(open(os.path.join(project, "out/report.json")))
    text = json.dumps(data)
    with open(os.path.join(project, "evidence/m/items.yaml"), "rb") as handle:
        assert hashlib.sha256(handle.read()).hexdigest() in text
    assert done.returncode == 0


def test_template_errors_are_exit_two_with_file_and_line(project):
    write(project, "tpl/report.md.j2", "fine\n{{ 1/0 }}\n")
    write(project, "tpl/report.html.j2", "{{ r.title + 5 }}\n")
    done = run("report", "models/m.yaml", "-o", "out", "--format", "md", "--templates", "tpl", cwd=project)
    assert done.returncode == 2 and "tpl/report.md.j2:2: ZeroDivisionError in a report template" in done.stderr
    done = run("report", "models/m.yaml", "-o", "out", "--format", "html", "--templates", "tpl", cwd=project)
    assert done.returncode == 2 and "tpl/report.html.j2:1: TypeError in a report template" in done.stderr
    assert not os.path.exists(os.path.join(project, "out"))


def test_the_reproduce_line_says_templates_are_code(project):
    write(project, "tpl/report.md.j2", "{% extends \"argmap/report.md.j2\" %}\n")
    done = run("report", "models/m.yaml", "-o", "out", "--format", "md", "--templates", "tpl", cwd=project)
    assert done.returncode == 0
    text = open(os.path.join(project, "out/report.md")).read()
    assert "--templates tpl  # tpl holds Jinja templates, which are code" in text


# ----------------------------------------------------------------------------- races


def test_concurrent_adds_of_one_id_write_one_item(project):
    environment = {**os.environ, "OPENBLAS_NUM_THREADS": "1"}
    command = [sys.executable, "-m", "argmap", "add", "models/m.yaml", "--id", "dup", "--bears-on", "h",
               "--lr", "2", "--no-input"]
    runs = [subprocess.Popen([*command, "--text", f"seen {k}", "--date", f"202{k}"], cwd=project, env=environment,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, preexec_fn=_limit)
            for k in range(3)]
    results = [(p.wait(timeout=120), p.stderr.read()) for p in runs]
    assert sorted(code for code, _ in results) == [0, 2, 2], results
    assert all("Traceback" not in err for _, err in results)
    written = [n for n in os.listdir(os.path.join(project, "evidence/m")) if "dup" in n]
    assert len(written) == 1
    assert run("check", "models/m.yaml", cwd=project).returncode == 0


def test_concurrent_logged_updates_lose_no_line(project):
    environment = {**os.environ, "OPENBLAS_NUM_THREADS": "1"}
    runs = []
    for k in range(3):  # each run a different evidence set, so that each adds a line
        write(project, f"ev{k}/e.yaml", f"- id: x{k}\n  text: t\n  bears_on: h\n  lr: {k + 2}\n")
        runs.append(subprocess.Popen([sys.executable, "-m", "argmap", "update", "models/m.yaml", "-e", f"ev{k}", "--log"],
                                     cwd=project, env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     preexec_fn=_limit))
    assert [p.wait(timeout=120) for p in runs] == [0, 0, 0]
    lines = open(os.path.join(project, "reports/m/beliefs.csv")).read().splitlines()
    assert len(lines) == 4, lines


# ----------------------------------------------------------------------------- the live server


def _serve(project):
    import re as _re

    process = subprocess.Popen([sys.executable, "-m", "argmap", "watch", "models/m.yaml", "--serve", "--port", "0",
                                "--format", "html"], cwd=project, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True, preexec_fn=_limit)
    lines = []
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        lines.append(line)
        found = _re.search(r"http://127\.0\.0\.1:(\d+)", line)
        if found:
            return process, int(found.group(1))
    process.kill()
    raise AssertionError("".join(lines))


def _request(port: int, raw: bytes, timeout: float = 10) -> bytes:
    import socket

    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(raw)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
        return data


def test_the_live_server_refuses_rebinding_nul_paths_and_caps_connections(project):
    import socket

    process, port = _serve(project)
    try:
        ok = _request(port, f"GET / HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode())
        assert ok.startswith(b"HTTP/1.0 200")
        rebound = _request(port, b"GET / HTTP/1.0\r\nHost: attacker.example:80\r\n\r\n")
        assert rebound.startswith(b"HTTP/1.0 403")
        nul = _request(port, f"GET /report%00.html HTTP/1.0\r\nHost: localhost:{port}\r\n\r\n".encode())
        assert nul.startswith(b"HTTP/1.0 400")
        idle = [socket.create_connection(("127.0.0.1", port)) for _ in range(100)]
        time.sleep(1)
        threads = len(os.listdir(f"/proc/{process.pid}/task"))
        assert threads < 32 + 12, threads  # the cap, plus the watcher's own threads
        for sock in idle:
            sock.close()
        time.sleep(0.5)
        assert _request(port, f"GET / HTTP/1.0\r\nHost: localhost:{port}\r\n\r\n".encode()).startswith(b"HTTP/1.0 200")
    finally:
        process.terminate()
        process.wait(timeout=30)
    out = process.stdout.read()
    assert "Traceback" not in out


# ----------------------------------------------------------------------------- the rest


def test_bif_export_refuses_state_names_with_bif_syntax(project):
    write(project, "models/m.yaml", MINIMAL + "  s:\n    text: s\n    states: [ok, \"x }; probability ( h ) {\"]\n"
          "    prior: {ok: 0.5, \"x }; probability ( h ) {\": 0.5}\n")
    done = run("export", "models/m.yaml", "--to", "bif", "-o", "out/m.bif", cwd=project)
    assert done.returncode == 2 and "models/m.yaml:9: claim 's': state 'x }; probability ( h ) {' cannot be written in BIF" in done.stderr
    assert not os.path.exists(os.path.join(project, "out"))
    done = run("export", "models/m.yaml", "--to", "xmlbif", "-o", "out/m.xml", cwd=project)
    assert done.returncode == 0


def test_non_utf8_file_names_are_a_clear_problem(project):
    with open(os.path.join(os.fsencode(project), b"evidence", b"m", b"\xff\xfe.yaml"), "w") as out:
        out.write("- id: e2\n  text: t\n  bears_on: h\n  lr: 2\n")
    for args in (["report", "models/m.yaml", "-o", "out"], ["export", "models/m.yaml", "--to", "json", "-o", "out/m.json"]):
        done = run(*args, cwd=project)
        assert done.returncode == 2 and "evidence/m/\\xff\\xfe.yaml" in done.stderr and "is not UTF-8" in done.stderr


@pytest.mark.parametrize("behaviour", ["fail", "hang"])
def test_a_failing_or_hanging_dot_is_a_clear_error(project, tmp_path, behaviour):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "dot"
    fake.write_text("#!/bin/sh\necho 'dot: out of memory' >&2\nexit 3\n" if behaviour == "fail" else "#!/bin/sh\nsleep 60\n")
    fake.chmod(0o755)
    env = {"PATH": f"{bin_dir}:{os.environ['PATH']}", "ARGMAP_DOT_TIMEOUT": "2"}
    done = run("diagram", "models/m.yaml", "-o", "out/d.svg", cwd=project, env=env, timeout=60)
    assert done.returncode == 2 and done.seconds < 30
    assert ("dot failed (exit 3): dot: out of memory" if behaviour == "fail" else "did not finish within 2 s") in done.stderr
    assert not os.path.exists(os.path.join(project, "out"))


def test_three_thousand_misspelt_parents_are_checked_fast(project):
    lines = [f"  claim_number_{i}: {{text: c, prior: 0.5}}\n" for i in range(3000)]
    lines += [f"  kid_{i}: {{text: k, supported_by: {{clam_number_{i}: 0.5}}}}\n" for i in range(3000)]
    write(project, "models/m.yaml", "argmap: 1\nclaims:\n" + "".join(lines))
    done = run("check", "models/m.yaml", cwd=project, timeout=120)
    assert done.returncode == 2 and done.seconds < 60 and "argmap: 3001 problems found" in done.stderr
    assert "did you mean 'claim_number_0'?" in done.stderr


def test_ctrl_c_exits_130_with_one_line(project):
    import signal

    for delay in (0.3, 0.6, 1.0, 2.0):  # during the imports, and during the command
        process = subprocess.Popen([sys.executable, "-m", "argmap", "report", "models/m.yaml", "-o", "out"],
                                   cwd=project, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                   preexec_fn=_limit)
        time.sleep(delay)
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=60)
        if process.returncode == 0 or "init_import_site" in err:
            continue  # finished before the signal, or it came before Python itself had started
        assert process.returncode == 130, (delay, err)
        assert "Traceback" not in err and err.strip() == "argmap: interrupted", (delay, err)


def test_a_ctrl_c_during_class_creation_is_still_an_interrupt():
    """Python 3.11 wraps an exception raised in __set_name__ (a Ctrl-C while matplotlib's
    classes were being made, seen in a run) in a RuntimeError: argmap still reads it as Ctrl-C."""
    from argmap._interrupt import interrupted

    class Descriptor:
        def __set_name__(self, owner, name):
            raise KeyboardInterrupt

    try:
        type("Made", (), {"field": Descriptor()})
    except BaseException as exc:  # RuntimeError on 3.11, the KeyboardInterrupt itself on 3.12+
        caught = exc
    assert interrupted(caught) and not interrupted(RuntimeError("a bug")) and not interrupted(None)
