"""Heavy work on Dask (argmap.analysis.distributed): a real LocalCluster of two worker processes on
127.0.0.1 gives bit-identical Monte Carlo, sweeps, comparisons and deep checks to the in-process
run with the same seed, also when a worker is killed mid-run; bad options are exit 2 with a
clear message; and without the options nothing imports Dask."""

from __future__ import annotations

import json
import logging
import math
import os
import signal
import socket
import subprocess
import sys
import time

import attrs
import numpy as np
import pytest
from click.testing import CliRunner
from conftest import ROOT, SHIPPED_MODEL, enumerate_posteriors
from hypothesis import given
from hypothesis import strategies as st

import argmap
from argmap.analysis import distributed
from argmap.analysis.sensitivity import CHUNK_DRAWS, monte_carlo
from argmap.analysis.sweep import sweep
from argmap.cli import main
from argmap.engine.compile import network_of
from argmap.engine.infer import evidence_assignment

ASIA = os.path.join(ROOT, "tests", "data", "asia.yaml")
CASE_2025 = os.path.join(ROOT, "tests", "data", "case_2025", "models", "russia_china.yaml")
DRAWS = 4 * CHUNK_DRAWS  # four full pieces: three still to run when the first is done


@pytest.fixture(scope="module")
def cluster():
    """Two worker processes (one thread each) on 127.0.0.1, started once for the module."""
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None, silence_logs=logging.CRITICAL) as local:
        with Client(local, set_as_default=False) as client:  # no default client: argmap must use its own
            client.wait_for_workers(2, timeout=60)
        yield local


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    """Two claims and four items: a model small enough to sweep and check in no time."""
    from test_infer import write

    claims = {"g": {"text": "g", "prior": 0.4}, "h": {"text": "h", "supported_by": {"g": 0.7}, "leak": 0.2}}
    items = [{"id": f"e{k}", "text": "x", "bears_on": "h" if k % 2 else "g",
              "likelihood": {"true": [0.8, 0.5, 0.7, 0.2][k], "false": [0.3, 0.4, 0.2, 0.6][k]}} for k in range(4)]
    return write(str(tmp_path_factory.mktemp("small")), {"claims": claims}, items)


@pytest.fixture(scope="module")
def shipped():
    model = argmap.load(SHIPPED_MODEL)
    return model, monte_carlo(model, "cooperation", draws=DRAWS, seed=7)


def _invoke(args, **kwargs):
    return CliRunner().invoke(main, args, catch_exceptions=False, **kwargs)


# ----------------------------------------------------------------------------- same numbers


def test_monte_carlo_on_the_cluster_is_bit_identical_to_the_in_process_run(cluster, shipped):
    model, here = shipped
    with distributed.runner(cluster.scheduler_address) as remote:
        there = monte_carlo(argmap.load(SHIPPED_MODEL), "cooperation", draws=DRAWS, seed=7, runner=remote)
        biased = monte_carlo(model, "cooperation", draws=DRAWS, seed=7, correlated=True, runner=remote)
    assert there == here  # every quantile of every claim, to the last bit
    assert biased == monte_carlo(model, "cooperation", draws=DRAWS, seed=7, correlated=True)
    assert biased.mode == "correlated" and biased != here


def test_a_worker_killed_mid_run_does_not_change_the_result(cluster, shipped):
    """SIGKILL to a worker process while the scheduler has a piece on it: the scheduler gives the
    piece to another worker (the nanny restarts the dead one), and the result is the same."""
    import threading

    from distributed import Client

    model, here = shipped
    killed: list[int] = []
    with Client(cluster.scheduler_address, set_as_default=False) as observer:
        pids = observer.run(os.getpid)

        def kill_the_first_busy_worker() -> None:
            deadline = time.monotonic() + 60
            while not killed and time.monotonic() < deadline:
                busy = [w for w, keys in observer.processing().items() if keys and w in pids]
                if busy:
                    os.kill(pids[busy[0]], signal.SIGKILL)
                    killed.append(pids[busy[0]])
                time.sleep(0.01)

        killer = threading.Thread(target=kill_the_first_busy_worker)
        with distributed.runner(cluster.scheduler_address) as remote:
            killer.start()
            there = monte_carlo(model, "cooperation", draws=DRAWS, seed=7, runner=remote)
        killer.join()
        assert killed, "no worker had a piece"
        assert there == here
        observer.wait_for_workers(2, timeout=60)  # the nanny's replacement, for the tests after this one
        assert killed[0] not in observer.run(os.getpid).values()  # it really was another process


def test_a_sweep_on_the_cluster_is_bit_identical_to_the_in_process_run(cluster):
    models = [argmap.load(SHIPPED_MODEL), argmap.load(CASE_2025)]
    here = sweep(models, "cooperation", leave_out=2)
    with distributed.runner(cluster.scheduler_address) as remote:
        there = sweep([argmap.load(SHIPPED_MODEL), argmap.load(CASE_2025)], "cooperation", leave_out=2, runner=remote)
    assert there.to_dict() == here.to_dict()
    assert there.variants == sum(1 + math.comb(len(m.items), 2) for m in here.models) > 1000


def test_the_command_line_on_the_cluster_prints_the_same_bytes(cluster):
    address = cluster.scheduler_address
    commands = [
        ["sensitivity", ASIA, "--target", "lung", "--format", "json", "--draws", "2500", "--seed", "3"],
        ["sweep", SHIPPED_MODEL, CASE_2025, "--target", "cooperation", "--leave-out", "1", "--format", "json"],
        ["sweep", SHIPPED_MODEL, "--target", "russia_motive", "--leave-out", "1"],
        ["compare", SHIPPED_MODEL, CASE_2025, "--format", "json"],
    ]
    for args in commands:
        here = _invoke(args)
        there = _invoke([*args, "--scheduler", address])
        assert here.exit_code == there.exit_code == 0, (args, here.output, there.output)
        assert there.stdout_bytes == here.stdout_bytes, args
    json.loads(there.stdout_bytes)  # nothing but the JSON on stdout


def test_deep_checks_on_the_cluster_report_what_they_report_here(cluster, small):
    """check --deep over several models sends one model per task, run alone in its worker
    process (Hypothesis is not thread-safe); the reports are the same (the properties that import
    pgmpy or write files are left out here for time; the command runs them all)."""
    import functools

    from argmap.verify.coherence import check_deep

    models = [argmap.load(small), argmap.load(ASIA)]
    run = functools.partial(check_deep, seed=3, examples=20, properties=["sign", "order", "conservation", "certainty"])
    here = [r.text() for r in distributed.InProcess().map(run, models)]
    with distributed.runner(cluster.scheduler_address) as remote:
        there = [r.text() for r in remote.map(run, models, exclusive=True)]
    assert there == here and all("coherent" in t for t in here)


def test_check_takes_several_models_and_lists_every_problem(small, case_dir):
    broken = os.path.join(case_dir, "broken.yaml")
    with open(broken, "w") as out:
        out.write("argmap: 1\nclaims:\n  h: {text: h, prior: 2}\n")
    result = CliRunner().invoke(main, ["check", small, ASIA, broken])
    assert result.exit_code == 2
    assert f"{argmap.load(small).path}: ok" in result.stdout and "asia.yaml: ok" in result.stdout
    assert "broken.yaml:3" in result.stderr
    assert CliRunner().invoke(main, ["check", small, ASIA, "-e", small]).exit_code == 2


def test_bad_input_found_on_a_worker_is_exit_2_with_its_problems(cluster, case_dir):
    """An impossible model updated on a worker: its ArgmapError travels back whole (file:line)."""
    import pickle

    from test_infer import write

    error = argmap.ArgmapError.at(argmap.Location("m.yaml", 3), "bad")
    assert pickle.loads(pickle.dumps(error)).problems == error.problems
    claims = {"h": {"text": "h", "prior": 1.0}}
    items = [{"id": "a", "text": "x", "bears_on": "h", "likelihood": {"true": 0.0, "false": 0.5}}]
    impossible = write(case_dir, {"claims": claims}, items)  # loads; only the update finds it impossible
    argmap.load(impossible)
    result = CliRunner().invoke(main, ["compare", ASIA, impossible, "--scheduler", cluster.scheduler_address])
    here = CliRunner().invoke(main, ["compare", ASIA, impossible])
    assert result.exit_code == here.exit_code == 2, result.output
    assert result.stderr == here.stderr and "impossible evidence: 'a'" in result.stderr


def test_workers_start_a_local_cluster_with_the_same_numbers(small):
    """--workers N starts (and stops) its own local cluster: the one test that pays for a start."""
    args = ["sweep", small, "--target", "h", "--leave-out", "2", "--format", "json"]
    here = _invoke(args)
    there = _invoke([*args, "--workers", "1"])
    assert here.exit_code == there.exit_code == 0, there.output
    assert there.stdout_bytes == here.stdout_bytes


# ----------------------------------------------------------------------------- the numbers themselves


@pytest.mark.parametrize("k", [1, 2, 3])
def test_each_sweep_variant_is_the_posterior_without_those_items_by_enumeration(small, k):
    """Independent of the sweep's batching: the full joint distribution enumerated, with the
    left-out items' variables unobserved."""
    import itertools

    model = argmap.load(small)
    result = sweep([model], "h", leave_out=k).models[0]
    network = network_of(model)
    counted = [i for i in model.evidence if i.counts_at(None)]
    assert [v.left_out for v in result.variants] == [()] + [tuple(i.id for i in c) for c in itertools.combinations(counted, k)]
    for v in result.variants:
        kept = [i for i in counted if i.id not in v.left_out]
        exact = enumerate_posteriors(network, evidence_assignment(model, network, kept))["h"]
        assert v.posterior == pytest.approx(dict(zip(model.claims["h"].states, exact)), abs=1e-12)
        full = result.full.followed
        odds = (v.followed / (1 - v.followed)) / (full / (1 - full))
        assert v.decibels == pytest.approx(10 * math.log10(odds), abs=1e-9)
        assert v.flips == ((v.followed >= 0.5) != (full >= 0.5))


@given(seed=st.integers(0, 2**63), chunk=st.integers(0, 50), more=st.integers(1, 50))
def test_a_piece_draws_from_the_kth_child_of_the_seed_whatever_the_number_of_pieces(seed, chunk, more):
    spawned = np.random.SeedSequence(seed).spawn(chunk + more)[chunk]
    mine = distributed.chunk_seed(seed, chunk)
    assert np.array_equal(np.random.default_rng(mine).random(4), np.random.default_rng(spawned).random(4))


def test_monte_carlo_cuts_draws_into_pieces_of_a_fixed_size():
    """The first piece of a longer run is the piece of a shorter one: a piece's draws depend on
    its index and the seed only (so never on how many workers there are)."""
    model = argmap.load(ASIA)
    seen: list[int] = []
    monte_carlo(model, "lung", draws=2 * CHUNK_DRAWS + 1, seed=1, progress=seen.append)
    assert seen == [CHUNK_DRAWS, CHUNK_DRAWS, 1]
    runs = []

    class Recorder(distributed.InProcess):
        def map(self, fn, items, **kwargs):
            runs.append(super().map(fn, items, **kwargs))
            return runs[-1]

    monte_carlo(model, "lung", draws=3 * CHUNK_DRAWS, seed=1, runner=Recorder())
    one = monte_carlo(model, "lung", draws=CHUNK_DRAWS, seed=1, runner=Recorder())
    first, alone = runs[0][0][0]["lung"], runs[1][0][0]["lung"]
    assert np.array_equal(first, alone) and not np.array_equal(first, runs[0][1][0]["lung"])
    assert one.quantiles["lung"]["true"] == tuple(np.quantile(alone[:, 0], [0.025, 0.5, 0.975]))


# ----------------------------------------------------------------------------- bad options


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_an_unreachable_scheduler_is_exit_2_naming_the_address_within_seconds():
    address = f"tcp://127.0.0.1:{_closed_port()}"
    start = time.monotonic()
    result = CliRunner().invoke(main, ["sweep", ASIA, "--target", "lung", "--scheduler", address])
    assert result.exit_code == 2, result.output
    assert time.monotonic() - start < 15
    assert address in result.stderr and "no Dask scheduler answered" in result.stderr
    assert "Traceback" not in result.output


@pytest.mark.parametrize("value", ["0", "-3"])
def test_workers_below_one_is_exit_2(value):
    result = CliRunner().invoke(main, ["sensitivity", ASIA, "--target", "lung", "--workers", value])
    assert result.exit_code == 2
    assert f"--workers {value}: give the number of worker processes, 1 or more" in result.stderr


def test_both_scheduler_and_workers_is_exit_2():
    result = CliRunner().invoke(main, ["sweep", ASIA, "-t", "lung", "--workers", "2", "--scheduler", "tcp://x:1"])
    assert result.exit_code == 2 and "give one of them" in result.stderr


@pytest.mark.parametrize("args, said", [
    (["update", ASIA, "--workers", "2"], "--workers is for the commands whose work can run on Dask"),
    (["diagram", ASIA, "-o", "x.svg", "--scheduler", "tcp://h:1"], "--scheduler is for the commands"),
    (["check", ASIA, "--workers", "2"], "--workers runs the deep checks on Dask; add --deep"),
    (["sensitivity", ASIA, "-t", "lung", "--draws", "0", "--workers", "2"], "--draws 0 draws none"),
    (["sensitivity", ASIA, "-t", "lung", "--format", "svg", "-o", "-", "--scheduler", "tcp://h:1"],
     "--format svg draws the tornado only"),
])
def test_a_scale_out_option_where_nothing_uses_it_is_exit_2(args, said):
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2, result.output
    assert said in result.stderr
    assert "sensitivity, compare, check --deep, sweep" in result.stderr or "Dask" in result.stderr


def test_the_scheduler_from_the_environment_is_not_a_mistake_where_it_is_not_used():
    env = {"DASK_SCHEDULER_ADDRESS": f"tcp://127.0.0.1:{_closed_port()}"}
    assert CliRunner().invoke(main, ["check", ASIA], env=env).exit_code == 0
    assert CliRunner().invoke(main, ["sensitivity", ASIA, "-t", "lung", "--draws", "0"], env=env).exit_code == 0


def test_without_dask_installed_the_error_says_how_to_install_it(monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "distributed" else real(name, *a))
    result = CliRunner().invoke(main, ["sweep", ASIA, "-t", "lung", "--workers", "2"])
    assert result.exit_code == 2
    assert "pip install 'argmap[distributed]'" in result.stderr


def test_python_api_errors_name_the_keyword():
    model = argmap.load(ASIA)
    with pytest.raises(argmap.ArgmapError, match="workers="):
        argmap.monte_carlo(model, "lung", draws=10, workers=0)
    with pytest.raises(argmap.ArgmapError, match="leave_out="):
        argmap.sweep(model, "lung", leave_out=-1)
    with pytest.raises(argmap.ArgmapError, match="seed="):
        argmap.monte_carlo(model, "lung", draws=10, seed=-1)


def test_a_negative_seed_is_exit_2():
    result = CliRunner().invoke(main, ["sensitivity", ASIA, "-t", "lung", "--seed", "-1"])
    assert result.exit_code == 2 and "--seed -1: give a whole number of 0 or more" in result.stderr


# ----------------------------------------------------------------------------- no Dask by default


def test_without_the_options_nothing_imports_dask():
    script = f"""
import sys
import argmap
assert not [m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed')], 'import argmap'
from argmap.cli import main
for args in (['update', {ASIA!r}], ['sensitivity', {ASIA!r}, '-t', 'lung', '--draws', '300', '--format', 'json'],
             ['sweep', {ASIA!r}, '-t', 'lung'], ['compare', {ASIA!r}, {ASIA!r}]):
    try:
        main(args)
    except SystemExit as exc:
        assert exc.code in (0, None), (args, exc.code)
    loaded = [m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed')]
    assert not loaded, (args, loaded[:5])
"""
    env = {k: v for k, v in os.environ.items() if k != "DASK_SCHEDULER_ADDRESS"}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-2000:]


# ----------------------------------------------------------------------------- progress


class _Terminal:
    def __init__(self, tty: bool):
        self.tty, self.text = tty, ""

    def isatty(self) -> bool:
        return self.tty

    def write(self, text: str) -> None:
        self.text += text

    def flush(self) -> None:
        pass


def test_the_progress_bar_draws_on_a_terminal_only_and_erases_itself(monkeypatch):
    from argmap import _progress

    monkeypatch.setattr(_progress, "DELAY", 0.0)
    monkeypatch.setattr(_progress, "_EVERY", 0.0)
    for tty, quiet in ((True, False), (False, False), (True, True)):
        stream = _Terminal(tty)
        with _progress.progress("Monte Carlo", 4000, "draws", quiet=quiet, stream=stream) as bar:
            bar(1000)
            bar(1000)
        if tty and not quiet:
            assert "Monte Carlo [" in stream.text and "2,000/4,000 draws" in stream.text
            assert stream.text.endswith("\r") and stream.text.rsplit("\r", 2)[-2].strip() == ""  # erased
        else:
            assert stream.text == ""


def test_work_that_ends_quickly_shows_no_bar():
    from argmap import _progress

    stream = _Terminal(True)
    with _progress.progress("Sweep", 10, "variants", stream=stream) as bar:
        bar(10)
    assert stream.text == ""


def test_sweep_json_and_table(small):
    result = _invoke(["sweep", small, "--target", "h", "--leave-out", "1", "--format", "json"])
    data = json.loads(result.stdout_bytes)
    (m,) = data["models"]
    assert data["leave_out"] == 1 and m["target"] == {"claim": "h", "state": "true"}
    assert m["variants"][0]["left_out"] == [] and m["variants"][0]["decibels"] == 0
    assert m["summary"]["variants"] == len(m["variants"]) == 1 + len(m["items"])
    table = _invoke(["sweep", small, "--target", "h", "--leave-out", "1", "--top", "2"]).stdout
    assert "Sweep of h over 1 model" in table and "the 2 variants that move P(h) most" in table
    unknown = CliRunner().invoke(main, ["sweep", small, CASE_2025, "--target", "h"])
    assert unknown.exit_code == 2 and "unknown claim 'h'" in unknown.stderr and "case_2025" in unknown.stderr
    many = json.loads(_invoke(["sweep", small, "--target", "h", "--leave-out", "5", "--format", "json"]).stdout_bytes)
    assert many["models"][0]["summary"]["variants"] == 1  # four items: no subset of five to leave out
    assert attrs.has(type(sweep([argmap.load(ASIA)], "lung")))
    swept = argmap.sweep(argmap.load(small), "h", leave_out=1)
    assert swept.to_dict() == data  # the Python API: the command's JSON, built by the same code
    frame = swept.to_pandas()
    assert list(frame.columns) == ["model", "left_out", "followed", "decibels", "flips"] and len(frame) == 5
    assert swept._repr_html_().startswith("<table><caption>Sweep of h over 1 model(s)")
