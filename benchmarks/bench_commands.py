"""Whole commands, timed side by side in one process: what a report costs against an update
(compile once: the report reuses the one network of its command), and how soon `watch` has the
report and diagram of the shipped case regenerated after an edit.

    python benchmarks/bench_commands.py [--repeats N]

Workloads (each prints the ratio against its named baseline; lower is better):
1. report / update, CPU seconds, on alarm (37 claims) with 60 likelihood items, and on the
   shipped case — `argmap report` computes beliefs, the trajectory, every item's weight and
   leave-one-out, the ACH view, sensitivity and value of information, so "a few times update" is
   the target.
2. watch: seconds from an edit of an evidence file until the report and the diagram hold the new
   beliefs (the test suite checks that watch regenerates; the latency is measured here).
"""

from __future__ import annotations

import argparse
import gzip
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)


def alarm_case(folder: str, items: int = 60, seed: int = 1) -> str:
    """alarm imported from pgmpy's bundled BIF, with ``items`` likelihood items on random claims."""
    import pgmpy

    from argmap.interop.importer import import_file
    from argmap.loader.validate import load

    bif = os.path.join(os.path.dirname(pgmpy.__file__), "utils", "example_models", "alarm.bif.gz")
    plain = os.path.join(folder, "alarm.bif")
    with gzip.open(bif, "rt") as handle, open(plain, "w") as out:
        out.write(handle.read())
    model_path = os.path.join(folder, "models", "alarm.yaml")
    os.makedirs(os.path.dirname(model_path))
    import_file(plain, model_path)
    model = load(model_path)
    rng = random.Random(seed)
    evidence = os.path.join(folder, "evidence", "alarm")
    os.makedirs(evidence, exist_ok=True)
    lines = []
    for k in range(items):
        claim = rng.choice(list(model.claims.values()))
        probs = ", ".join(f"{s}: {rng.uniform(0.05, 0.95):.3f}" for s in claim.states)
        lines += [f"- id: item_{k:02d}", f"  date: {2000 + k // 12}-{k % 12 + 1:02d}",
                  f"  text: Observation {k} bearing on {claim.id}.", f"  bears_on: {claim.id}",
                  f"  likelihood: {{{probs}}}"]
    with open(os.path.join(evidence, "items.yaml"), "w") as out:
        out.write("\n".join(lines) + "\n")
    text = open(model_path).read()
    if "evidence:" not in text:
        with open(model_path, "a") as out:
            out.write(f"evidence: [{os.path.relpath(evidence, os.path.dirname(model_path))}/]\n")
    load(model_path)  # the case is valid
    return model_path


def _cpu_now() -> float:
    """CPU seconds so far of this process and of the children it waited for (Graphviz's dot runs
    as a child process: process_time alone would leave the map's layout out of the report's cost)."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def cpu_seconds(run, repeats: int) -> float:
    """Median CPU time (user + system, children included) of ``run()`` after one warm-up run
    (imports, caches)."""
    run()
    times = []
    for _ in range(repeats):
        start = _cpu_now()
        run()
        times.append(_cpu_now() - start)
    return statistics.median(times)


def command(args: list[str]):
    from click.testing import CliRunner

    from argmap.cli import main

    def run() -> None:
        result = CliRunner().invoke(main, args)
        if result.exit_code != 0:
            raise SystemExit(f"argmap {' '.join(args)} failed: {result.output}")
    return run


def workload_report(repeats: int) -> None:
    from argmap.loader.validate import load
    from argmap.output import report

    print("1. report / update (CPU seconds, median of", repeats, "in-process runs after a warm-up)")
    print("   numbers: report.build, every number the report holds (the analyses, on the one network);")
    print("   whole: `argmap report --format html,md` with its figures (Graphviz, matplotlib) and templates")
    print(f"   {'case':<28} {'update':>8} {'numbers':>8} {'whole':>8} {'numbers/update':>15} {'whole/update':>13}")
    with tempfile.TemporaryDirectory() as folder:
        cases = [("alarm + 60 likelihood items", alarm_case(folder)),
                 ("russia_china (shipped)", os.path.join(ROOT, "models", "russia_china.yaml"))]
        for label, model_path in cases:
            update = cpu_seconds(command(["update", model_path]), repeats)
            numbers = cpu_seconds(lambda: report.build(load(model_path)), repeats)
            whole = cpu_seconds(command(["report", model_path, "-o", os.path.join(folder, "report"),
                                         "--format", "html,md"]), repeats)
            print(f"   {label:<28} {update:8.3f} {numbers:8.3f} {whole:8.3f} {numbers / update:14.1f}× "
                  f"{whole / update:12.1f}×")


def workload_watch(repeats: int) -> None:
    print("\n2. watch: edit → report and diagram regenerated (seconds, shipped case)")
    with tempfile.TemporaryDirectory() as folder:
        for name in ("models", "evidence"):
            shutil.copytree(os.path.join(ROOT, name), os.path.join(folder, name))
        out = os.path.join(folder, "out")
        arms = os.path.join(folder, "evidence", "russia_china", "arms_transfers.yaml")
        watch = subprocess.Popen([sys.executable, "-m", "argmap", "watch", "models/russia_china.yaml", "-o", out],
                                 cwd=folder, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                 env={**os.environ, "PYTHONPATH": ROOT})
        try:
            outputs = [os.path.join(out, "diagram.svg"), os.path.join(out, "report.html")]
            _wait(lambda: all(os.path.exists(p) for p in outputs), 300)
            time.sleep(2)  # until the file watcher is armed
            latencies = []
            pattern = re.compile(r"(?<=  )likelihood: \{true: [\d.]+, false: [\d.]+\}(?=\n  # Moscow had held back)")
            for k in range(repeats):
                before = [open(p, "rb").read() for p in outputs]
                text = open(arms, encoding="utf-8").read()
                new = f"likelihood: {{true: 0.{7 + k % 3}, false: 0.1}}"  # 0.6 is the shipped value
                if pattern.search(text) is None:
                    raise SystemExit("the benchmark's edit no longer matches the shipped evidence file")
                start = time.perf_counter()
                with open(arms, "w", encoding="utf-8") as handle:
                    handle.write(pattern.sub(new, text, count=1))
                _wait(lambda: all(open(p, "rb").read() != b for p, b in zip(outputs, before)), 120)
                latencies.append(time.perf_counter() - start)
                time.sleep(0.5)
            print(f"   latencies: {', '.join(f'{t:.2f}' for t in latencies)} s; median {statistics.median(latencies):.2f} s "
                  f"(baseline: the 1 s the workflow promises; ratio {statistics.median(latencies) / 1.0:.2f}×)")
        finally:
            watch.terminate()
            watch.wait(10)


def _wait(condition, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if condition():
                return
        except OSError:
            pass
        time.sleep(0.02)
    raise SystemExit("timed out waiting for watch")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.2f}; python {sys.version.split()[0]}")
    workload_report(args.repeats)
    workload_watch(max(args.repeats, 3))


if __name__ == "__main__":
    main()
