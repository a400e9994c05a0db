"""bnlearn networks bundled with pgmpy → a table of argmap's import and load times beside pyAgrum's
BIF reader, and optionally whole processes (``argmap update NET.yaml`` against a script that reads
the BIF with pyAgrum and prints every posterior).

    .venv/bin/python benchmarks/bench_load.py                      # import + load, every network
    .venv/bin/python benchmarks/bench_load.py asia alarm --process # and whole processes
    .venv/bin/python benchmarks/bench_load.py --profile pathfinder # cProfile of import and load

In-process times are the best of three runs in CPU time (time.process_time: on a shared machine
it moves less than the wall clock; each reader is single-threaded), after one warm-up network;
whole processes are the best wall-clock time of three runs. The load average is printed with each row. The
engine's own workloads are in ``bench_engine.py``.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import gzip
import os
import pstats
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, ROOT)

NETWORKS = ["asia", "alarm", "andes", "diabetes", "barley", "mildew", "pigs", "link", "munin", "pathfinder"]
PROCESS_AGRUM = """
import sys, pyagrum as gum
bn = gum.loadBN(sys.argv[1])
engine = gum.LazyPropagation(bn)
engine.makeInference()
for n in bn.names():
    print(n, engine.posterior(n).tolist())
"""
PROCESS_TIMEOUT = 600


def bnlearn_path(name: str) -> str:
    """The gzipped BIF of the bnlearn network ``name`` that pgmpy bundles."""
    import pgmpy

    return os.path.join(os.path.dirname(pgmpy.__file__), "utils", "example_models", f"{name}.bif.gz")


def bnlearn_bif(name: str, scratch: str) -> str:
    """The bnlearn network ``name`` unpacked to ``scratch/name.bif``."""
    bif = os.path.join(scratch, f"{name}.bif")
    with gzip.open(bnlearn_path(name), "rb") as handle, open(bif, "wb") as out:
        out.write(handle.read())
    return bif


def load_average() -> str:
    with open("/proc/loadavg") as handle:
        return handle.read().split()[0]


def timed(run, repeats: int = 3) -> float:
    best = float("inf")
    for _ in range(repeats):
        gc.collect()
        start = time.process_time()
        run()
        best = min(best, time.process_time() - start)
    return best


def process(command: list[str], repeats: int = 3) -> float | None:
    """The best wall-clock seconds of ``repeats`` runs; None past the timeout, -code on failure.
    Python may cache bytecode (an installed argmap has it)."""
    env = dict(os.environ, PYTHONPATH=ROOT)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        try:
            done = subprocess.run(command, capture_output=True, env=env, timeout=PROCESS_TIMEOUT)
        except subprocess.TimeoutExpired:
            return None
        if done.returncode:
            return -done.returncode
        best = min(best, time.perf_counter() - start)
    return best


def row(name: str, scratch: str, whole: bool, stem: str = "") -> dict:
    import pyagrum as gum

    import argmap
    from argmap.interop.importer import import_file

    bif = bnlearn_bif(name, scratch)
    # a file once loaded is an input of this process, which argmap never writes over: a new name each time
    yaml_path = os.path.join(scratch, f"{stem or name}.yaml")
    result: dict = {"network": name, "load avg": load_average()}
    result["import"] = timed(lambda: import_file(bif, yaml_path, force=True))
    models: list = []
    result["load"] = timed(lambda: models.append(argmap.load(yaml_path)))  # (after which yaml_path is an input)
    result["nodes"] = len(models[0].claims)
    try:
        result["pyAgrum"] = timed(lambda: gum.loadBN(bif))
    except Exception:  # pyAgrum's reader refuses some bnlearn files (child's "Asy/Patch"): the row says so
        result["pyAgrum"] = None
    if whole:
        process([sys.executable, "-c", "import argmap"], repeats=1)  # bytecode cached before anything is timed
        script = os.path.join(scratch, "agrum_all.py")
        with open(script, "w") as out:
            out.write(PROCESS_AGRUM)
        result["argmap update"] = process([sys.executable, "-m", "argmap", "update", yaml_path])
        result["pyAgrum process"] = process([sys.executable, script, bif]) if result["pyAgrum"] else 0.0
    return result


def seconds(value: float | None) -> str:
    if value is None:
        return f"> {PROCESS_TIMEOUT:.0f} s"
    if value < 0:
        return f"exit {-value:.0f}"
    return f"{value:.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("networks", nargs="*", default=NETWORKS)
    parser.add_argument("--process", action="store_true", help="also time whole processes")
    parser.add_argument("--profile", action="store_true", help="cProfile import and load of each network")
    parser.add_argument("--timeout", type=float, default=PROCESS_TIMEOUT, help="seconds a whole process may take")
    args = parser.parse_args()
    globals()["PROCESS_TIMEOUT"] = args.timeout
    with tempfile.TemporaryDirectory() as scratch:
        row("asia", scratch, False, "warm-up")  # warm-up: imports and caches
        if args.profile:
            from argmap.interop.importer import import_file
            import argmap

            for name in args.networks:
                bif = bnlearn_bif(name, scratch)
                yaml_path = os.path.join(scratch, f"{name}-profiled.yaml")
                for label, run in (("import", lambda: import_file(bif, yaml_path, force=True)),
                                   ("load", lambda: argmap.load(yaml_path))):
                    profile = cProfile.Profile()
                    profile.runcall(run)
                    print(f"== {name} {label}")
                    pstats.Stats(profile).sort_stats("cumulative").print_stats(25)
            return
        head = ["network", "nodes", "import", "load", "pyAgrum", "import+load / pyAgrum", "load / pyAgrum"]
        if args.process:
            head += ["argmap update", "pyAgrum process", "update / pyAgrum"]
        head.append("load avg")
        print("| " + " | ".join(head) + " |")
        print("| " + " | ".join("---" for _ in head) + " |")
        for name in args.networks:
            r = row(name, scratch, args.process)
            theirs = r["pyAgrum"]
            cells = [name, str(r["nodes"]), seconds(r["import"]), seconds(r["load"]),
                     f"{theirs:.3f}" if theirs else "refused",
                     f"{(r['import'] + r['load']) / theirs:.1f}×" if theirs else "–",
                     f"{r['load'] / theirs:.1f}×" if theirs else "–"]
            if args.process:
                ours, theirs = r["argmap update"], r["pyAgrum process"]
                ratio = f"{ours / theirs:.1f}×" if ours and theirs and ours > 0 and theirs > 0 else "–"
                cells += [seconds(ours), seconds(theirs) if theirs != 0.0 else "refused", ratio]
            cells.append(r["load avg"])
            print("| " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
