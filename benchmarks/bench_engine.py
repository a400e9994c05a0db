"""Benchmark argmap's engine against pgmpy and pyAgrum, side by side in one process.

    .venv/bin/pip install -e ".[bench]"
    .venv/bin/python benchmarks/bench_engine.py            # everything (several minutes)
    .venv/bin/python benchmarks/bench_engine.py --quick    # smaller networks, fewer repeats

Prints, per workload, argmap's median time and the ratio baseline / argmap (above 1: argmap is
faster). Every workload first checks that the engines agree.

1. every BIF network pgmpy bundles, each in a process of its own with a time budget (--budget,
   60 s): import, load, all marginals (first and repeated), a trajectory and whole processes vs
   pyAgrum LazyPropagation (a stage over the budget is reported as such, with what was measured
   before it); then all marginals on random networks vs pgmpy VariableElimination (one query per
   node) and pyAgrum;
2. a trajectory: all marginals after each of 1,000 dated items on a 200-claim model — argmap in
   batched calibrations vs the same loop in pyAgrum;
3. sensitivity of one target to every input (every free CPT entry) of alarm: argmap's batched
   one-way functions vs the same three evaluations per input in a pyAgrum loop;
4. cold start of `argmap update` on the shipped case vs `python -c "import numpy"`.
"""

from __future__ import annotations

import argparse
import gc
import gzip
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, ROOT)

from argmap.engine.compile import Network, Variable, from_pgmpy, to_pgmpy  # noqa: E402
from argmap.engine.infer import calibrate, _TREES  # noqa: E402
from bench_load import bnlearn_bif, bnlearn_path  # noqa: E402  (this folder: the script's own)


def median_time(run: Callable[[], object], repeats: int, budget: float = 60.0) -> float:
    """The median of ``repeats`` runs (fewer past ``budget`` seconds); runs of a millisecond or
    less are repeated until they add up to a quarter of a second (at most 500), since a few
    timings that short differ by more than the engines do."""
    times: list[float] = []
    while len(times) < repeats or sum(times) < 0.25 and len(times) < 500:
        if not times or times[-1] > 0.01:  # a collection costs tens of ms here: not before every short run
            gc.collect()  # neither engine pays for the garbage of the runs before it
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
        if sum(times) > budget:
            break
    return statistics.median(times)


def bnlearn(name: str):
    from pgmpy.readwrite import BIFReader

    with gzip.open(bnlearn_path(name), "rt") as handle:
        bn = BIFReader(string=handle.read()).get_model()
    for cpd in bn.get_cpds():
        cpd.normalize()
    return bn


def random_network(n: int, seed: int, max_parents: int = 3, window: int = 12) -> Network:
    """A random DAG of binary claims: each node's parents among the `window` nodes before it
    (local structure keeps the treewidth moderate, as in real argument maps)."""
    rng = np.random.default_rng(seed)
    variables: dict[str, Variable] = {}
    names: list[str] = []
    for i in range(n):
        name = f"x{i}"
        pool = names[max(0, i - window):]
        k = int(rng.integers(0, min(max_parents, len(pool)) + 1))
        parents = tuple(rng.choice(pool, size=k, replace=False)) if k else ()
        p = rng.uniform(0.05, 0.95, size=(2,) * k)
        variables[name] = Variable(name, ("true", "false"), parents, np.stack([p, 1 - p], axis=-1), "claim")
        names.append(name)
    return Network(variables)


def to_pyagrum(network: Network):
    """The same network in pyAgrum, tables copied at full precision through its API."""
    import itertools

    import pyagrum as gum

    gbn = gum.BayesNet()
    for name, var in network.variables.items():
        gbn.add(gum.LabelizedVariable(name, name, list(var.states)))
    for name, var in network.variables.items():
        for parent in var.parents:
            gbn.addArc(parent, name)
    for name, var in network.variables.items():
        table = gbn.cpt(name)
        parent_states = [network.variables[p].states for p in var.parents]
        for index in itertools.product(*(range(len(s)) for s in parent_states)):
            row = {p: parent_states[i][j] for i, (p, j) in enumerate(zip(var.parents, index))}
            table[row] = var.cpt[index].tolist()
    return gbn


def sample_evidence(network: Network, count: int, seed: int) -> dict[str, int]:
    """Evidence drawn by forward sampling, so that it is possible."""
    rng = np.random.default_rng(seed)
    values: dict[str, int] = {}
    for name, var in network.variables.items():
        row = var.cpt[tuple(values[p] for p in var.parents)]
        values[name] = int(rng.choice(len(row), p=row / row.sum()))
    chosen = rng.choice(list(network.variables), size=count, replace=False)
    return {n: values[n] for n in chosen}


def argmap_all_marginals(network: Network, evidence: dict[str, int]) -> dict[str, np.ndarray]:
    _TREES.pop(network, None)  # cold: build the junction tree each time, as pyAgrum does
    calibration = calibrate(network, [evidence])
    return {n: calibration.marginal(n)[0] for n in network.variables}


def pgmpy_all_marginals(bn, network: Network, evidence: dict[str, int], queries: list[str]) -> dict[str, np.ndarray]:
    from pgmpy.inference import VariableElimination

    engine = VariableElimination(bn)
    named = {n: network.variables[n].states[i] for n, i in evidence.items()}
    out = {}
    for n in queries:
        if n in evidence:
            continue
        factor = engine.query([n], evidence=named, show_progress=False)
        out[n] = np.array([factor.get_value(**{n: s}) for s in network.variables[n].states])
    return out


def pyagrum_all_marginals(gbn, network: Network, evidence: dict[str, int]) -> dict[str, np.ndarray]:
    import pyagrum as gum

    engine = gum.LazyPropagation(gbn)
    engine.setEvidence({n: network.variables[n].states[i] for n, i in evidence.items()})
    engine.makeInference()
    out = {}
    for n, var in network.variables.items():
        posterior = engine.posterior(n)
        labels = [posterior.variable(0).label(i) for i in range(posterior.variable(0).domainSize())]
        values = posterior.tolist()
        out[n] = np.array([values[labels.index(s)] for s in var.states])
    return out


def check_agreement(ours: dict[str, np.ndarray], theirs: dict[str, np.ndarray], label: str) -> float:
    worst = max(float(np.abs(ours[n] - theirs[n]).max()) for n in theirs)
    if worst > 1e-9:
        raise SystemExit(f"{label}: engines disagree by {worst:.3g}")
    return worst


def workload_all_marginals(quick: bool) -> list[tuple]:
    rows = []
    cases: list[tuple[str, Network, object]] = []
    for name in ["asia", "alarm"]:  # with pgmpy as a baseline too; every bnlearn network is in workload 1
        bn = bnlearn(name)
        cases.append((name, from_pgmpy(bn), bn))
    for n in ([15, 60] if quick else [15, 60, 200, 1000]):
        network = random_network(n, seed=n)
        cases.append((f"random-{n}", network, to_pgmpy(network)))
    repeats = 3 if quick else 7
    for label, network, bn in cases:
        gbn = to_pyagrum(network)
        evidence = sample_evidence(network, max(1, len(network.variables) // 10), seed=1)
        ours = argmap_all_marginals(network, evidence)
        check_agreement(ours, pyagrum_all_marginals(gbn, network, evidence), f"{label} pyAgrum")
        t_ours = median_time(lambda: argmap_all_marginals(network, evidence), repeats)
        t_agrum = median_time(lambda: pyagrum_all_marginals(gbn, network, evidence), repeats)
        # pgmpy answers one node per query; above 200 nodes time a sample of queries and scale
        queries = list(network.variables)
        note = ""
        if len(queries) > 200:
            queries = [str(q) for q in np.random.default_rng(0).choice(queries, size=40, replace=False)]
            note = f"pgmpy timed on {len(queries)} of {len(network.variables)} queries, scaled"
        check_agreement(ours, pgmpy_all_marginals(bn, network, evidence, queries[:20]), f"{label} pgmpy")
        t_pgmpy = median_time(lambda: pgmpy_all_marginals(bn, network, evidence, queries), 1 if note else repeats)
        t_pgmpy *= len(network.variables) / len(queries)
        rows.append((label, len(network.variables), t_ours, t_pgmpy / t_ours, t_agrum / t_ours, note))
    return rows


# ------------------------------------------------------------------ every bnlearn network pgmpy bundles

EXAMPLES = None


def bnlearn_names() -> list[str]:
    """Every BIF network pgmpy bundles, smallest file first."""
    import pgmpy

    folder = os.path.join(os.path.dirname(pgmpy.__file__), "utils", "example_models")
    files = [f for f in os.listdir(folder) if f.endswith(".bif.gz")]
    files.sort(key=lambda f: os.path.getsize(os.path.join(folder, f)))
    return [f[: -len(".bif.gz")] for f in files]


def to_pyagrum_fast(network: Network):
    """As :func:`to_pyagrum`, each table filled in one call (pyAgrum's order: last parent slowest
    … first parent, then the child fastest — the reverse of its variable list)."""
    import pyagrum as gum

    gbn = gum.BayesNet()
    for name, var in network.variables.items():
        gbn.add(gum.LabelizedVariable(name, name, list(var.states)))
    for name, var in network.variables.items():
        for parent in var.parents:
            gbn.addArc(parent, name)
    for name, var in network.variables.items():
        table = gbn.cpt(name)
        order = list(table.names)  # child, then parents in the order their arcs were added
        axes = [len(var.parents) if v == name else var.parents.index(v) for v in reversed(order)]
        table.fillWith(np.transpose(var.cpt, axes).reshape(-1).tolist())
    return gbn


def pyagrum_again(engine, network: Network, evidence: dict[str, int]) -> list:
    engine.eraseAllEvidence()
    engine.setEvidence({n: network.variables[n].states[i] for n, i in evidence.items()})
    engine.makeInference()
    return [engine.posterior(n).tolist() for n in network.variables]


def pyagrum_prefixes(gbn, network: Network, steps: list[dict[str, int]], budget: float = 120.0) -> int:
    """A trajectory as pyAgrum runs it: one engine, evidence added item by item; the number of
    steps done within ``budget`` seconds."""
    import pyagrum as gum

    engine = gum.LazyPropagation(gbn)
    given: dict[str, str] = {}
    start = time.perf_counter()
    for done, step in enumerate(steps, 1):
        for n, i in step.items():
            if n not in given:
                given[n] = network.variables[n].states[i]
                engine.addEvidence(n, given[n])
        engine.makeInference()
        for n in network.variables:
            engine.posterior(n).tolist()
        if time.perf_counter() - start > budget:
            return done
    return len(steps)


PROCESS_AGRUM = """
import sys, pyagrum as gum
gum.setNumberOfThreads(int(sys.argv[2]))
bn = gum.loadBN(sys.argv[1])
engine = gum.LazyPropagation(bn)
engine.makeInference()
for n in bn.names():
    engine.posterior(n).tolist()
"""

AGRUM_THREADS = [1]  # set from --agrum-threads


def load_average() -> float:
    with open("/proc/loadavg") as handle:
        return float(handle.read().split()[0])


def timed(run: Callable[[], object]) -> float:
    gc.collect()  # neither engine pays for the garbage of the steps before it
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def process_env() -> dict:
    """The environment of the whole-process runs: argmap from this checkout, and Python allowed
    to cache bytecode (an installed package has it; without it argmap recompiles its source on
    every start, which the runs would then measure)."""
    env = dict(os.environ, PYTHONPATH=ROOT)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def run_process(command: list[str], timeout: float) -> tuple[float | None, str]:
    """Seconds a command takes (None past ``timeout``) and its last line of errors."""
    start = time.perf_counter()
    try:
        done = subprocess.run(command, capture_output=True, text=True, env=process_env(), timeout=max(timeout, 1))
    except subprocess.TimeoutExpired:
        return None, ""
    seconds = time.perf_counter() - start
    return seconds, ((done.stderr.strip().splitlines() or ["?"])[-1][:200] if done.returncode else "")


class Budget:
    """The seconds one network may take; stages that would not fit are left out, said so."""

    def __init__(self, seconds: float):
        self.seconds, self.start = seconds, time.perf_counter()

    def left(self) -> float:
        return self.seconds - (time.perf_counter() - self.start)


def bnlearn_row(name: str, repeats: int, process: bool, scratch: str, budget: Budget, say: Callable[..., None]) -> None:
    """One network end to end: import, load, compile, all marginals (first and repeated),
    a trajectory over the evidence, and whole processes; each result, and the stage about to
    run, passed to ``say`` as it comes (the parent process ends a network that exceeds its
    budget inside a stage, so what was done before is kept)."""
    import pyagrum as gum

    import argmap
    from argmap.engine.compile import compile_model
    from argmap.engine.infer import junction_tree
    from argmap.errors import ArgmapError
    from argmap.interop.importer import import_file

    say(network=name, load_avg=load_average())
    try:
        # warm: the modules an import and a load use (argmap imports them on first use) and
        # pyAgrum's reader, run once on a small network (cancer), untimed — a cold first call would
        # time Python importing modules, not reading this network
        warm = os.path.join(scratch, "warm")
        os.makedirs(warm, exist_ok=True)
        warm_bif, warm_yaml = bnlearn_bif("cancer", warm), os.path.join(warm, "cancer.yaml")
        import_file(warm_bif, warm_yaml, force=True)
        argmap.load(warm_yaml)
        gum.loadBN(warm_bif)
        bif = bnlearn_bif(name, scratch)
        yaml_path = os.path.join(scratch, f"{name}.yaml")
        # medians, each run repeated until they add up to a quarter of a second (as below): a
        # small network's import takes milliseconds, a large one's seconds (then once)
        reading_budget = min(20, budget.left() / 8)
        say(stage="argmap import")
        say(**{"import": median_time(lambda: import_file(bif, yaml_path, force=True), 1, budget=reading_budget)})
        found: list = []
        say(stage="argmap load")
        say(load=median_time(lambda: found.append(argmap.load(yaml_path)), 1, budget=reading_budget))
        model = found[-1]
        found.clear()
        say(compile=timed(lambda: found.append(compile_model(model))))
        network = found[0]
        say(nodes=len(network.variables))
        gbn = to_pyagrum_fast(network)
        say(stage="pyAgrum reading the BIF")
        try:
            say(agrum_load=median_time(lambda: gum.loadBN(bif), 1, budget=reading_budget))
        except Exception as exc:  # pyAgrum's reader refuses some bnlearn files (child): say so, go on
            say(agrum_load_error=str(exc).splitlines()[0][:160])
            bif = None  # no whole-process comparison without a file pyAgrum reads
        evidence = sample_evidence(network, max(1, len(network.variables) // 10), seed=1)
        found.clear()
        say(stage="argmap first all-marginals")
        # cold: the tree built anew on every run (as a fresh LazyPropagation builds its own); a
        # median, as the repeated runs are: one timing of a millisecond is mostly noise
        say(first=median_time(lambda: found.append(argmap_all_marginals(network, evidence)), repeats,
                              budget=min(20, budget.left() / 8)))
        ours = found[0]
        found.clear()
        gc.collect()
        say(stage="argmap repeated all-marginals")
        say(repeat=median_time(lambda: argmap_warm(network, evidence), repeats, budget=min(20, budget.left() / 8)))
        say(stage="pyAgrum first all-marginals")
        theirs: list = []
        first_agrum = [median_time(lambda: theirs.append(pyagrum_all_marginals(gbn, network, evidence)), repeats,
                                   budget=min(20, budget.left() / 6))]
        say(agrum_first=first_agrum[0])
        say(agree=max(float(np.abs(ours[n] - theirs[0][n]).max()) for n in theirs[0]))
        engine = gum.LazyPropagation(gbn)  # repeated: one engine kept, as argmap keeps its tree
        if 3 * first_agrum[0] > budget.left():  # one more run would not fit
            say(agrum_not_repeated=first_agrum[0])
        else:
            say(stage="pyAgrum repeated all-marginals")
            say(agrum=median_time(lambda: pyagrum_again(engine, network, evidence), repeats,
                                  budget=min(20, budget.left() / 6)))
        say(tree=sum(junction_tree(network).sizes))
        if process and bif and budget.left() < 10:
            say(process_skipped=f"{max(budget.left(), 0):.0f} s of the budget left")
        elif process and bif:
            script = os.path.join(scratch, "agrum_all.py")
            with open(script, "w") as out:
                out.write(PROCESS_AGRUM)
            command = [sys.executable, "-m", "argmap", "update", yaml_path]
            run_process([sys.executable, "-c", "import argmap"], 60)  # bytecode cached before anything is timed
            say(stage="argmap whole process")
            limit = budget.left() / 2
            seconds, error = run_process(command, limit)
            say(process=seconds, process_limit=limit)
            if error:
                say(process_error=error)
            say(stage="pyAgrum whole process")
            limit = budget.left()
            seconds, error = run_process([sys.executable, script, bif, str(AGRUM_THREADS[0])], limit)
            say(agrum_process=seconds, agrum_process_limit=limit)
            if error:
                say(agrum_process_error=error)
        steps = [dict(list(evidence.items())[: k + 1]) for k in range(len(evidence))][:20]
        # the first prefix (one observation) is the costliest step: skip what would not fit
        say(stage="argmap trajectory")
        one_step = timed(lambda: calibrate(network, steps[:1])) if budget.left() > 0 else math.inf
        steps = steps[:max(0, int(budget.left() / 4 / one_step))]  # as many as fit in a quarter of what is left
        if steps:
            def trajectory() -> None:
                calibration = calibrate(network, steps)
                [calibration.marginal(n) for n in network.variables]

            say(trajectory=median_time(trajectory, repeats, budget=budget.left() / 8))
            say(stage="pyAgrum trajectory")
            start = time.perf_counter()
            done = pyagrum_prefixes(gbn, network, steps, budget=budget.left() / 3)
            seconds_taken = time.perf_counter() - start
            if done == len(steps) and seconds_taken < budget.left() / 8:  # fast: a median, as argmap's
                seconds_taken = median_time(lambda: pyagrum_prefixes(gbn, network, steps), repeats,
                                            budget=budget.left() / 8)
            say(agrum_trajectory=seconds_taken, steps=len(steps), agrum_steps=done)
        else:
            say(trajectory_skipped=f"one step {one_step:.1f} s, {max(budget.left(), 0):.0f} s of the budget left"
                if math.isfinite(one_step) else "the budget spent")
        say(stage=None)
    except ArgmapError as exc:
        say(error=f"exit 2: {str(exc)[:300]}")
    except Exception as exc:  # the benchmark reports a failure, it does not die of it
        say(error=f"{type(exc).__name__}: {str(exc).splitlines()[0][:300] if str(exc) else ''}")


def bnlearn_row_in_child(name: str, repeats: int, process: bool, budget: float) -> dict:
    """:func:`bnlearn_row` in a process of its own, ended after ``budget`` seconds (an engine
    inside C++ or numpy cannot be interrupted otherwise): the row holds what was measured, and
    ``over_budget`` names the stage that was running when time ran out."""
    import json
    import select
    import signal

    command = [sys.executable, os.path.abspath(__file__), "--row", name, "--repeats", str(repeats),
               "--budget", str(budget), "--agrum-threads", str(AGRUM_THREADS[0])] + ([] if process else ["--no-process"])
    child = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, start_new_session=True)
    row: dict = {"network": name, "load_avg": load_average(), "budget": budget}
    stage = "starting"
    deadline = time.monotonic() + budget + 30  # the child's own start and imports on top
    assert child.stdout is not None
    while True:
        remaining = deadline - time.monotonic()
        ready = select.select([child.stdout], [], [], max(remaining, 0))[0] if remaining > 0 else []
        if not ready:
            os.killpg(child.pid, signal.SIGKILL)  # the child and the processes it started
            child.wait()
            row["over_budget"] = stage
            break
        line = child.stdout.readline()
        if not line:
            child.wait()
            if stage is not None and "error" not in row:
                row["error"] = f"the benchmark's process ended (exit {child.returncode}) during {stage}"
            break
        message = json.loads(line)
        if "stage" in message:
            stage = message.pop("stage")
        row.update(message)
    return row


def argmap_warm(network: Network, evidence: dict[str, int]) -> dict[str, np.ndarray]:
    calibration = calibrate(network, [evidence])
    return {n: calibration.marginal(n)[0] for n in network.variables}


def ratio_text(ours: float | None, theirs: float | None, ours_limit: float | None = None,
               theirs_limit: float | None = None) -> str:
    """pyAgrum's time over argmap's, said as a win or a loss (at least, when one ran out of time)."""
    if ours is not None and theirs is None and theirs_limit:
        return f"more than {theirs_limit / ours:.2g}× faster"
    if ours is None and theirs is not None and ours_limit:
        return f"more than {ours_limit / theirs:.2g}× slower"
    if ours is None or theirs is None:
        return "—"
    r = theirs / ours
    return f"{r:.2g}× faster" if r >= 1 else f"{1 / r:.2g}× slower"


def seconds(t: float | None, limit: float | None = None) -> str:
    if t is None:
        return f"> {limit:.0f} s" if limit else "—"
    if t < 0.01:
        return f"{t * 1000:.2f} ms"
    return f"{t:.3f} s" if t < 0.1 else f"{t:.2f} s" if t < 10 else f"{t:.1f} s"


def pair(ours: float | None, theirs: float | None, ours_limit: float | None = None,
         theirs_limit: float | None = None) -> str:
    return (f"{seconds(ours, ours_limit)} / {seconds(theirs, theirs_limit)}, "
            f"{ratio_text(ours, theirs, ours_limit, theirs_limit)}")


def markdown_row(r: dict) -> str:
    """One row of the table in docs/performance.md: what was measured, "—" for what was not,
    and in the last column why (an error, a stage over the network's budget, a skipped step)."""
    notes = []
    if "error" in r:
        notes.append(f"failed: {r['error']}")
    if "over_budget" in r:
        notes.append(f"over the {r['budget']:.0f} s budget in: {r['over_budget']}")
    if "import" not in r:
        reading = "—"
    elif "agrum_load_error" not in r:
        reading = f"{seconds(r['import'])} + {seconds(r.get('load'))} / {seconds(r.get('agrum_load'))}"
        if "load" in r and "agrum_load" in r:
            reading += f", {(r['import'] + r['load']) / r['agrum_load']:.1f}× ({r['load'] / r['agrum_load']:.1f}× for load)"
    else:
        reading = f"{seconds(r['import'])} + {seconds(r.get('load'))} / pyAgrum cannot read it"
        notes.append(f"pyAgrum cannot read the BIF: {r['agrum_load_error']}")
    first = pair(r.get("first"), r.get("agrum_first")) if "first" in r else "—"
    repeated = pair(r.get("repeat"), r.get("agrum")) if "repeat" in r else "—"
    if "agrum_not_repeated" in r:
        repeated = f"{seconds(r.get('repeat'))} / not repeated (one run took {seconds(r['agrum_not_repeated'])})"
    if "agrum_trajectory" in r:
        steps = f"{r['steps']} step{'s' if r['steps'] > 1 else ''}"
        if r["agrum_steps"] == r["steps"]:
            trajectory = f"{steps}: " + pair(r["trajectory"], r["agrum_trajectory"])
        else:  # no ratio: pyAgrum's first steps (the fewest observations) are not a fair share of its whole
            trajectory = (f"{steps}: {seconds(r['trajectory'])} / pyAgrum stopped after {r['agrum_steps']} "
                          f"in {seconds(r['agrum_trajectory'])}")
    elif "trajectory_skipped" in r:
        trajectory = f"not run ({r['trajectory_skipped']})"
    else:
        trajectory = "—"
    if "process_error" in r:
        process = f"argmap failed: {r['process_error']}"
    elif "process_skipped" in r:
        process = f"not run ({r['process_skipped']})"
    elif "process" in r:
        process = pair(r["process"], r.get("agrum_process"), r.get("process_limit"), r.get("agrum_process_limit"))
    else:
        process = "—"
    if "agrum_process_error" in r:
        notes.append(f"pyAgrum's process failed: {r['agrum_process_error']}")
    agree = f"{r['agree']:.0e}" if "agree" in r else "—"
    nodes = f"{r['nodes']:,}" if "nodes" in r else ""
    return (f"| {r['network']} | {nodes} | {r['load_avg']:.1f} | {reading} | {first} | {repeated} | {trajectory} | "
            f"{process} | {agree} | {'; '.join(notes)} |")


MARKDOWN_HEAD = ("| network | nodes | load avg | import + load / pyAgrum reads the BIF | first: argmap / pyAgrum | "
                 "repeated: argmap / pyAgrum | trajectory: argmap / pyAgrum | whole process: argmap / pyAgrum | "
                 "agree | note |\n| --- | ---: | ---: | --- | --- | --- | --- | --- | ---: | --- |")


def summary(rows: list[dict]) -> None:
    """Wins and losses over the networks, each kind of run on its own."""
    def count(ours: str, theirs: str) -> str:
        both = [r for r in rows if r.get(ours) is not None and r.get(theirs) is not None]
        won = sum(1 for r in both if r[theirs] >= r[ours])
        return f"{won} of {len(both)} measured"

    print(f"argmap faster: first all-marginals {count('first', 'agrum_first')}; repeated {count('repeat', 'agrum')}; "
          f"whole process {count('process', 'agrum_process')}")
    worst = max((r["agree"] for r in rows if "agree" in r), default=float("nan"))
    print(f"largest difference from pyAgrum's marginals: {worst:.1e}")
    print(f"failed: {', '.join(r['network'] for r in rows if 'error' in r) or 'none'}; over budget: "
          f"{', '.join(r['network'] + ' (' + r['over_budget'] + ')' for r in rows if 'over_budget' in r) or 'none'}")


def trajectory_model(claims: int, items: int, seed: int) -> Network:
    rng = np.random.default_rng(seed)
    base = random_network(claims, seed)
    variables = dict(base.variables)
    names = list(base.variables)
    for i in range(items):
        target = str(rng.choice(names))
        p_true, p_false = rng.uniform(0.05, 0.95, size=2)
        cpt = np.array([[p_true, 1 - p_true], [p_false, 1 - p_false]])
        variables[f"e{i}"] = Variable(f"e{i}", ("true", "false"), (target,), cpt, "evidence")
    return Network(variables)


def argmap_trajectory(network: Network, items: list[str], claims: list[str], chunk: int = 250) -> np.ndarray:
    """All claim marginals after each prefix of the items: batched calibrations."""
    out = []
    for start in range(0, len(items), chunk):
        scenarios = [{e: 0 for e in items[: k + 1]} for k in range(start, min(start + chunk, len(items)))]
        calibration = calibrate(network, scenarios)
        out.append(np.stack([calibration.marginal(c)[:, 0] for c in claims], axis=1))
    return np.concatenate(out)


def pyagrum_trajectory(gbn, items: list[str], claims: list[str]) -> np.ndarray:
    import pyagrum as gum

    engine = gum.LazyPropagation(gbn)
    out = np.empty((len(items), len(claims)))
    for k, item in enumerate(items):
        engine.addEvidence(item, "true")
        engine.makeInference()
        for j, c in enumerate(claims):
            posterior = engine.posterior(c)
            index = [posterior.variable(0).label(i) for i in range(2)].index("true")
            out[k, j] = posterior.tolist()[index]
    return out


def workload_trajectory(quick: bool) -> tuple:
    claims_n, items_n = (60, 200) if quick else (200, 1000)
    network = trajectory_model(claims_n, items_n, seed=3)
    claims = [n for n, v in network.variables.items() if v.kind == "claim"]
    items = [n for n, v in network.variables.items() if v.kind == "evidence"]
    gbn = to_pyagrum(network)
    ours = argmap_trajectory(network, items, claims)
    theirs = pyagrum_trajectory(gbn, items, claims)
    # Past P(evidence) ≈ 1e-300 pyAgrum's unscaled products underflow and its posteriors drift
    # (by 6e-7 at 1e-360 here); argmap keeps the scale in log space. Compare where both can be exact.
    log_p = calibrate(network, [{e: 0 for e in items[: k + 1]} for k in range(len(items))]).log_evidence
    exact = log_p > -300 * np.log(10)
    worst = float(np.abs(ours[exact] - theirs[exact]).max())
    if worst > 1e-9:
        raise SystemExit(f"trajectory: engines disagree by {worst:.3g}")
    drift = float(np.abs(ours[~exact] - theirs[~exact]).max()) if (~exact).any() else 0.0
    t_ours = median_time(lambda: argmap_trajectory(network, items, claims), 3)
    t_agrum = median_time(lambda: pyagrum_trajectory(gbn, items, claims), 3)
    note = (f"agree to {worst:.1e} over the first {int(exact.sum())} steps; beyond P(e) < 1e-300 pyAgrum "
            f"drifts by up to {drift:.1e}") if drift else f"agree to {worst:.1e}"
    return (f"{items_n} items on {claims_n} claims", t_ours, t_agrum / t_ours, note)


def cpt_entry_inputs(network: Network) -> list:
    """Every free entry of every CPT as an input: P(state | parent row), with the row's other
    states rescaled proportionally (the last state of each row is not free)."""
    import itertools

    from argmap.errors import Location
    from argmap.model import Prob
    from argmap.analysis.sensitivity import _input

    found = []
    for name, var in network.variables.items():
        rows = itertools.product(*(range(n) for n in var.cpt.shape[:-1]))
        for row in rows:
            for state in range(len(var.states) - 1):
                p = float(var.cpt[row + (state,)])
                found.append(_input((name, ",".join(map(str, row)), var.states[state]), name,
                                    f"P({name}={var.states[state]} | row {row})", Location(""), Prob.exactly(p),
                                    0.5))  # a model's default uncertainty: logit ± 0.5
    return found


def entry_cpts(network: Network, inp, values: np.ndarray) -> np.ndarray:
    """The CPT of the input's variable with the one entry moved to each value (batched)."""
    var = network.variables[inp.variable]
    row = tuple(int(i) for i in inp.key[1].split(",")) if inp.key[1] else ()
    state = var.states.index(inp.key[2])
    cpts = np.broadcast_to(var.cpt, (len(values),) + var.cpt.shape).copy()
    old = var.cpt[row]
    rest = 1 - old[state]
    for j in range(len(var.states)):
        cpts[(slice(None),) + row + (j,)] = values if j == state else (
            old[j] * (1 - values) / rest if rest > 0 else (1 - values) / (len(var.states) - 1))
    return cpts


def argmap_sensitivity(network: Network, evidence: dict[str, int], target: str, found: list) -> list:
    from argmap.analysis.sensitivity import Target, one_way

    states = network.variables[target].states
    wanted = Target(target, states[0], states, by_mode=False)
    return one_way(network, evidence, wanted, found, lambda inp, values: entry_cpts(network, inp, values))


def pyagrum_sensitivity(gbn, network: Network, evidence: dict[str, int], target: str, found: list) -> list:
    """The same three evaluations per input (low end, value, high end) as a pyAgrum loop."""
    import pyagrum as gum

    named = {n: network.variables[n].states[i] for n, i in evidence.items()}
    out = []
    for inp in found:
        var = network.variables[inp.variable]
        parents = var.parents
        row = tuple(int(i) for i in inp.key[1].split(",")) if inp.key[1] else ()
        where = {p: network.variables[p].states[i] for p, i in zip(parents, row)}
        low, high = (inp.low, inp.high) if inp.high - inp.low >= 1e-6 else (max(0.0, inp.value - 0.01), min(1.0, inp.value + 0.01))
        values = []
        for t in (low, inp.value, high):
            table = entry_cpts(network, inp, np.array([t]))[0]
            gbn.cpt(inp.variable)[where] = table[row].tolist()
            engine = gum.LazyPropagation(gbn)
            engine.setEvidence(named)
            engine.makeInference()
            posterior = engine.posterior(target)
            labels = [posterior.variable(0).label(i) for i in range(posterior.variable(0).domainSize())]
            values.append(posterior.tolist()[labels.index(network.variables[target].states[0])])
        gbn.cpt(inp.variable)[where] = var.cpt[row].tolist()
        out.append(values)
    return out


def workload_sensitivity(quick: bool) -> tuple:
    network = from_pgmpy(bnlearn("alarm"))
    gbn = to_pyagrum(network)
    evidence = sample_evidence(network, 4, seed=2)
    target = "LVFAILURE" if "LVFAILURE" not in evidence else "HYPOVOLEMIA"
    found = cpt_entry_inputs(network)
    if quick:
        found = found[:120]
    ours = argmap_sensitivity(network, evidence, target, found)
    theirs = pyagrum_sensitivity(gbn, network, evidence, target, found)
    worst = max(abs(r.at_value - v[1]) + abs(r.at_low - v[0]) + abs(r.at_high - v[2])
                for r, v in zip(ours, theirs) if r.input.high - r.input.low >= 1e-6)
    if worst > 1e-9:
        raise SystemExit(f"sensitivity: engines disagree by {worst:.3g}")
    t_ours = median_time(lambda: argmap_sensitivity(network, evidence, target, found), 5)
    t_agrum = median_time(lambda: pyagrum_sensitivity(gbn, network, evidence, target, found), 3)
    return (f"{len(found)} inputs of alarm → P({target})", t_ours, t_agrum / t_ours)


def workload_cold_start(scratch: str) -> list[tuple[str, float, str, float]]:
    """Whole processes on small inputs, argmap against pyAgrum, medians of 9 (bytecode cached)."""
    model = os.path.join(ROOT, "models", "russia_china.yaml")
    asia_bif = bnlearn_bif("asia", scratch)
    asia_yaml = os.path.join(scratch, "asia.yaml")
    subprocess.run([sys.executable, "-m", "argmap", "import", asia_bif, "-o", asia_yaml, "--force"], check=True,
                   capture_output=True, env=process_env())
    script = os.path.join(scratch, "agrum_all.py")
    with open(script, "w") as out:
        out.write(PROCESS_AGRUM)

    def run(command: list[str]) -> float:
        subprocess.run(command, check=True, capture_output=True, env=process_env())  # bytecode cached first
        return median_time(lambda: subprocess.run(command, check=True, capture_output=True, env=process_env()), 9)

    py = sys.executable
    return [
        ("python -c 'import argmap'", run([py, "-c", "import argmap"]),
         "python -c 'import pyagrum'", run([py, "-c", "import pyagrum"])),
        ("argmap update asia.yaml", run([py, "-m", "argmap", "update", asia_yaml]),
         "pyAgrum: read asia.bif, every posterior", run([py, script, asia_bif, str(AGRUM_THREADS[0])])),
        ("argmap update models/russia_china.yaml", run([py, "-m", "argmap", "update", model]),
         "python -c 'import numpy'", run([py, "-c", "import numpy"])),
    ]


QUICK_NETWORKS = ["asia", "alarm", "water", "pathfinder", "pigs", "barley", "mildew", "hailfinder"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer networks and repeats")
    parser.add_argument("--networks", help="comma-separated bnlearn networks (default: all pgmpy bundles; "
                                           "'none' to skip workload 1)")
    parser.add_argument("--only-networks", action="store_true", help="workload 1 only")
    parser.add_argument("--no-process", action="store_true", help="skip the whole-process runs of workload 1")
    parser.add_argument("--only-cold-start", action="store_true", help="workload 4 only")
    parser.add_argument("--agrum-threads", type=int, default=1,
                        help="threads for pyAgrum (default 1: argmap runs on one; on a shared machine "
                             "pyAgrum's threads slowed it eightfold)")
    parser.add_argument("--budget", type=float, default=60.0,
                        help="seconds each network of workload 1 may take (default 60); a network that "
                             "exceeds it is ended and reported with the stage it was in")
    parser.add_argument("--row", help=argparse.SUPPRESS)  # one network, in the process the parent started
    parser.add_argument("--repeats", type=int, default=5, help=argparse.SUPPRESS)
    args = parser.parse_args()
    import pgmpy
    import pyagrum

    pyagrum.setNumberOfThreads(args.agrum_threads)
    AGRUM_THREADS[0] = args.agrum_threads
    if args.row:
        import json

        def say(**values) -> None:
            print(json.dumps(values), flush=True)

        with tempfile.TemporaryDirectory() as scratch:
            bnlearn_row(args.row, args.repeats, not args.no_process, scratch, Budget(args.budget), say)
        return

    with open("/proc/loadavg") as handle:
        load = handle.read().split()[:3]
    print(f"argmap engine benchmark — Python {sys.version.split()[0]}, numpy {np.__version__}, "
          f"pgmpy {pgmpy.__version__}, pyAgrum {pyagrum.__version__} on {args.agrum_threads} thread(s), "
          f"{os.cpu_count()} CPUs, load average {' '.join(load)}")
    if args.only_cold_start:
        names = []
    else:
        names = bnlearn_names()
    if args.only_cold_start:
        pass
    elif args.networks:
        names = [] if args.networks == "none" else args.networks.split(",")
    elif args.quick:
        names = [n for n in names if n in QUICK_NETWORKS]
    if names:
        print(f"\n1. Every bnlearn network ({len(names)}, at most {args.budget:.0f} s each): import (BIF → checked YAML), load, compile; all marginals with 10% of "
              "nodes observed,\n   first (cold: junction tree built) and repeated, vs pyAgrum LazyPropagation; "
              "a trajectory over the\n   evidence (argmap batched, pyAgrum item by item); whole processes "
              "(argmap update vs a pyAgrum script\n   that reads the BIF and prints every posterior); agree = "
              "largest difference from pyAgrum")
        rows = []
        for name in names:
            rows.append(bnlearn_row_in_child(name, 2 if args.quick else 5, not args.no_process, args.budget))
            if len(rows) == 1:
                print(MARKDOWN_HEAD)
            print(markdown_row(rows[-1]))
            sys.stdout.flush()
        summary(rows)
    if args.only_networks:
        return
    if args.only_cold_start:
        print("\n4. Cold start (whole processes, bytecode cached, medians of 9)")
        with tempfile.TemporaryDirectory() as scratch:
            for ours, t_ours, theirs, t_theirs in workload_cold_start(scratch):
                print(f"{ours}: {t_ours * 1000:.0f} ms; {theirs}: {t_theirs * 1000:.0f} ms; "
                      f"{ratio_text(t_ours, t_theirs)} (load average {load_average():.1f})")
        return
    print("\n1b. All marginals, random networks (and asia, alarm) vs pgmpy VE and pyAgrum; "
          "ratio = baseline time / argmap time")
    print(f"{'network':<14}{'nodes':>6}{'argmap':>11}{'× pgmpy VE':>12}{'× pyAgrum':>11}  note")
    for label, n, t, vs_pgmpy, vs_agrum, note in workload_all_marginals(args.quick):
        print(f"{label:<14}{n:>6}{t * 1000:>9.2f}ms{vs_pgmpy:>12.1f}{vs_agrum:>11.2f}  {note}")
    print("\n2. Trajectory: all claim marginals after each dated item")
    label, t, vs_agrum, note = workload_trajectory(args.quick)
    print(f"{label}: argmap {t:.3f}s, pyAgrum loop / argmap = {vs_agrum:.2f} ({note})")
    print("\n3. Sensitivity: one target, every input, three evaluations each")
    label, t, vs_agrum = workload_sensitivity(args.quick)
    print(f"{label}: argmap {t:.3f}s, pyAgrum loop / argmap = {vs_agrum:.2f}")
    print("\n4. Cold start (whole processes, bytecode cached, medians of 9)")
    with tempfile.TemporaryDirectory() as scratch:
        for ours, t_ours, theirs, t_theirs in workload_cold_start(scratch):
            print(f"{ours}: {t_ours * 1000:.0f} ms; {theirs}: {t_theirs * 1000:.0f} ms; "
                  f"{ratio_text(t_ours, t_theirs)} (load average {load_average():.1f})")


if __name__ == "__main__":
    main()
