"""analyse: independent tasks (Monte Carlo chunks, sweep variants, whole models) → their results in
task order, computed in this process or on a Dask cluster (``dask.distributed``), the same numbers
either way.

The default runs every task here, one after the other, and imports no Dask (a command's cold start
is unchanged). ``scheduler`` (an address such as ``tcp://HOST:8786``) sends the tasks to a running
cluster; ``workers`` starts a local cluster of that many worker processes for the command.

Where a task runs never changes a number: the work is cut into pieces of a fixed size (not one
per worker), a piece that draws at random draws from its own stream, seeded by
:func:`chunk_seed` (``numpy.random.SeedSequence(seed).spawn``'s k-th child), and the pieces'
results come back and are reduced in task order. What every task reads (a model and its compiled
network) is sent to each worker once, not with every task.
"""

from __future__ import annotations

import contextlib
import importlib.util
import logging
import os
import random as pyrandom
import sys
import threading
import warnings
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Protocol, TypeVar

import numpy as np

from argmap.errors import ArgmapError, Location
from argmap.model import Model

__all__ = ["CONNECT_TIMEOUT", "INSTALL", "InProcess", "Runner", "check_options", "check_seed", "chunk_seed", "chunks", "runner", "updates",
           "versions"]

#: seconds to reach a scheduler (and for it to have a worker) before giving up with exit 2
CONNECT_TIMEOUT = 5.0
INSTALL = "pip install 'argmap[distributed]'"
_NOTHING: Any = object()
_EXCLUSIVE = threading.Lock()  # one "exclusive" task at a time per worker process (Hypothesis is not thread-safe)

T = TypeVar("T")


class Runner(Protocol):
    """Runs ``fn`` on every item, returning the results in the items' order."""

    where: str

    def map(self, fn: Callable[..., T], items: Sequence[Any], *, shared: Any = _NOTHING,
            sizes: Sequence[int] | None = None, progress: Callable[[int], None] | None = None,
            exclusive: bool = False) -> list[T]:
        """``fn(shared, item)`` (or ``fn(item)`` without ``shared``) for every item; ``progress``
        is told ``sizes[k]`` (default 1) as task k finishes; ``exclusive`` tasks never run two at
        once in one process."""
        ...


class InProcess:
    """Every task here, in order: the default, and the reference a cluster's results equal."""

    where = "in this process"

    def map(self, fn: Callable[..., T], items: Sequence[Any], *, shared: Any = _NOTHING,
            sizes: Sequence[int] | None = None, progress: Callable[[int], None] | None = None,
            exclusive: bool = False) -> list[T]:
        results = []
        for k, item in enumerate(items):
            results.append(fn(item) if shared is _NOTHING else fn(shared, item))
            if progress:
                progress(sizes[k] if sizes is not None else 1)
        return results


def _call(fn: Callable[..., T], shared: Any, item: Any, exclusive: bool, with_shared: bool, silent: bool) -> T:
    """One task, on a worker; library warnings silenced as the command line silences them."""
    with _EXCLUSIVE if exclusive else contextlib.nullcontext(), \
            _own_random() if exclusive else contextlib.nullcontext(), warnings.catch_warnings():
        if silent:
            warnings.simplefilter("ignore")
        return fn(shared, item) if with_shared else fn(item)


_RANDOM_CALLS = ("random", "uniform", "choice", "sample", "shuffle", "randint", "randrange", "randbytes")


@contextlib.contextmanager
def _own_random() -> Iterator[None]:
    """The worker's own threads (Tornado's jittered timers, Dask's retries) draw from a private
    generator while an exclusive task runs: Hypothesis takes a change of the global ``random``
    state during a draw for a strategy's doing and writes a costly warning for each."""
    private = pyrandom.Random()
    saved = {name: getattr(pyrandom, name) for name in _RANDOM_CALLS}
    for name in _RANDOM_CALLS:
        setattr(pyrandom, name, getattr(private, name))
    try:
        yield
    finally:
        for name, call in saved.items():
            setattr(pyrandom, name, call)


class _Dask:
    """Tasks on a dask.distributed cluster, through its client."""

    def __init__(self, client: Any, where: str, address: str):
        self.client = client
        self.where = where
        self.address = address

    def map(self, fn: Callable[..., T], items: Sequence[Any], *, shared: Any = _NOTHING,
            sizes: Sequence[int] | None = None, progress: Callable[[int], None] | None = None,
            exclusive: bool = False) -> list[T]:
        from distributed import as_completed

        if not items:
            return []
        futures: list[Any] = []
        try:
            # once per worker, not once per task: every task gets the worker's one copy
            with_shared = shared is not _NOTHING
            sent = self.client.scatter([shared], broadcast=True, hash=False)[0] if with_shared else None
            silent = not sys.warnoptions
            futures = [self.client.submit(_call, fn, sent, item, exclusive, with_shared, silent, pure=False)
                       for item in items]
            order = {future.key: k for k, future in enumerate(futures)}
            for future in as_completed(futures, loop=self.client.loop):  # this client's, not a default one
                if progress:
                    progress(sizes[order[future.key]] if sizes is not None else 1)
            return self.client.gather(futures)
        except ArgmapError:
            raise
        except Exception as exc:  # a worker lost for good, the scheduler gone: the cluster's failure, said plainly
            from distributed import CancelledError, KilledWorker

            if isinstance(exc, (KilledWorker, CancelledError, OSError, TimeoutError)):
                raise ArgmapError.at(Location(self.address), f"the cluster {self.where} failed to run argmap's tasks "
                                                             f"({type(exc).__name__}: {exc}); check its workers "
                                                             "(their logs, their memory) and run again") from None
            raise
        finally:
            for future in futures:
                future.release()


def chunk_seed(seed: int, chunk: int) -> np.random.SeedSequence:
    """The random stream of piece ``chunk`` of a run seeded with ``seed``: the same as
    ``SeedSequence(seed).spawn(n)[chunk]`` for any n > chunk, so it does not depend on how many
    pieces there are, nor on where they run."""
    return np.random.SeedSequence(seed, spawn_key=(chunk,))


def chunks(total: int, size: int) -> list[tuple[int, int]]:
    """``total`` units cut into pieces of ``size`` (the last one shorter): (index, length) each."""
    return [(k, min(size, total - start)) for k, start in enumerate(range(0, total, size))]


def check_seed(seed: Any, name: str = "--seed") -> int:
    """A seed numpy's SeedSequence takes: a whole number ≥ 0."""
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ArgmapError.at(Location(name), f"{name} {seed!r}: give a whole number of 0 or more")
    return int(seed)


@contextlib.contextmanager
def runner(scheduler: str | None = None, workers: int | None = None, *,
           timeout: float = CONNECT_TIMEOUT) -> Iterator[Runner]:
    """Where a command's heavy work runs: in this process (neither option), on the cluster whose
    scheduler is at ``scheduler``, or on a local cluster of ``workers`` processes started here and
    stopped on leaving. Problems are :class:`ArgmapError` naming ``--scheduler`` / ``--workers``."""
    if scheduler is None and workers is None:
        yield InProcess()
        return
    check_options(scheduler, workers)
    distributed = _import(scheduler is not None)
    with _quiet_logs(), contextlib.ExitStack() as stack:
        if workers is not None:
            cluster = stack.enter_context(distributed.LocalCluster(
                n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                dashboard_address=None, silence_logs=logging.CRITICAL))
            client = stack.enter_context(distributed.Client(cluster))
            address, where = cluster.scheduler_address, f"of {workers} local worker process{'es' if workers > 1 else ''}"
        else:
            address = scheduler.strip()
            client = stack.enter_context(_connect(distributed, address, timeout))
            where = f"at {address}"
        _check_workers(client, address, timeout)
        yield _Dask(client, where, address)


def check_options(scheduler: str | None, workers: int | None) -> None:
    """The options make sense and Dask is installed (found, not imported): a problem is said
    before any work is done."""
    if scheduler is not None and workers is not None:
        raise ArgmapError.at(Location("--workers"), "--workers starts a local cluster and --scheduler names a "
                                                    "running one; give one of them")
    if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int) or workers < 1):
        raise ArgmapError.at(Location("--workers"), f"--workers {workers!r}: give the number of worker processes, "
                                                    "1 or more (or leave --workers out to run in this process)")
    if scheduler is not None and (not isinstance(scheduler, str) or not scheduler.strip()):
        raise ArgmapError.at(Location("--scheduler"), f"--scheduler {scheduler!r}: give the scheduler's address, "
                                                      "e.g. tcp://HOST:8786")
    if (scheduler is not None or workers is not None) and importlib.util.find_spec("distributed") is None:
        raise _missing(scheduler is not None)


def _missing(remote: bool) -> ArgmapError:
    option = "--scheduler" if remote else "--workers"
    return ArgmapError.at(Location(option), f"{option} runs argmap's work on Dask (dask.distributed), which is "
                                            f"not installed; install it with: {INSTALL}")


def _import(remote: bool) -> Any:
    try:
        import distributed
    except ImportError:
        raise _missing(remote) from None
    return distributed


@contextlib.contextmanager
def _connect(distributed: Any, address: str, timeout: float) -> Iterator[Any]:
    try:
        client = distributed.Client(address, timeout=f"{timeout}s", set_as_default=False)
    except (OSError, TimeoutError, ValueError, TypeError) as exc:
        raise ArgmapError.at(Location("--scheduler"), f"no Dask scheduler answered at {address} within {timeout:g} s "
                                                      f"({type(exc).__name__}: {exc}); start one (dask scheduler, "
                                                      "then dask worker ADDRESS on each machine) or check the "
                                                      "address, e.g. tcp://HOST:8786") from None
    try:
        yield client
    finally:
        client.close()


def _check_workers(client: Any, address: str, timeout: float) -> None:
    """The cluster has a worker, and its workers run this argmap with this numpy (the same
    numbers need the same code)."""
    try:
        client.wait_for_workers(1, timeout=timeout)
    except (OSError, TimeoutError) as exc:
        raise ArgmapError.at(Location("--scheduler"), f"the Dask scheduler at {address} has no worker "
                                                      f"({type(exc).__name__}); start one with: dask worker {address}") from None
    mine = versions()
    try:
        theirs = client.run(versions)
    except Exception as exc:  # a worker that cannot even unpickle the call has no argmap
        raise ArgmapError.at(Location(address), f"the workers at {address} cannot run argmap ({type(exc).__name__}: "
                                                f"{exc}); install argmap {mine['argmap']} with numpy {mine['numpy']} "
                                                "in the workers' environment") from None
    wrong = sorted(w for w, v in theirs.items() if v != mine)
    if wrong:
        raise ArgmapError.at(Location(address), f"the worker{'s' if len(wrong) > 1 else ''} {', '.join(wrong)} "
                                                f"run{'' if len(wrong) > 1 else 's'} {theirs[wrong[0]]}, this "
                                                f"process {mine}; the same numbers need the same versions")


def versions() -> dict[str, str]:
    """The versions a task's numbers depend on, on the process that asks."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        argmap = version("argmap")
    except PackageNotFoundError:  # run from a checkout that is not installed
        argmap = "unknown"
    return {"argmap": argmap, "numpy": np.__version__}


@contextlib.contextmanager
def _quiet_logs() -> Iterator[None]:
    """Dask's own log lines (a worker restarted, a connection retried) are not the command's output;
    a developer who wants them sets DASK_LOGGING__DISTRIBUTED."""
    logger = logging.getLogger("distributed")
    level = logger.level
    if "DASK_LOGGING__DISTRIBUTED" not in os.environ:
        logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        logger.setLevel(level)


def _update(item: tuple[Model, Any]) -> Any:
    model, as_of = item
    return model.update(as_of=as_of)


def updates(models: Sequence[Model], as_of: Any = None, *, runner: Runner | None = None,
            progress: Callable[[int], None] | None = None) -> list[Any]:
    """Every model's beliefs at ``as_of`` (each compiled once, where it is updated), in order."""
    return (runner or InProcess()).map(_update, [(m, as_of) for m in models], progress=progress)
