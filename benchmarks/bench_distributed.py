"""Monte Carlo on Dask: draws per second in this process, and on local clusters of 1, 2 and N
worker processes, printed as ratios against the in-process loop (above 1: faster), each run
checked bit-identical to the in-process one.

    python benchmarks/bench_distributed.py [--model models/russia_china.yaml] [--target cooperation]
                                          [--draws 16384] [--workers 1,2,4] [--correlated]

Needs argmap[distributed]. A cluster's start (processes spawned, argmap imported in each) is
timed apart from the draws: it is paid once per command. The load average is printed before
and after: on a shared machine the ratios say more than the seconds.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)


def load_average() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "n/a"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=os.path.join(ROOT, "models", "russia_china.yaml"))
    parser.add_argument("--target", default="cooperation")
    parser.add_argument("--draws", type=int, default=16 * 1024)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workers", default=f"1,2,{os.cpu_count() or 2}",
                        help="local cluster sizes, separated by commas (default 1,2,CPUs)")
    parser.add_argument("--correlated", action="store_true", help="correlated draws instead of independent ones")
    args = parser.parse_args()

    import argmap
    from argmap.analysis.distributed import runner
    from argmap.analysis.sensitivity import CHUNK_DRAWS, monte_carlo
    from argmap.engine.compile import network_of

    model = argmap.load(args.model)
    network_of(model)
    sizes = sorted({int(w) for w in args.workers.split(",") if w.strip()})
    print(f"Monte Carlo of {args.target} on {os.path.relpath(args.model, ROOT)} ({len(model.claims)} claims, "
          f"{len(model.evidence)} items): {args.draws:,} {'correlated' if args.correlated else 'independent'} draws "
          f"in pieces of {CHUNK_DRAWS}; {os.cpu_count()} CPUs; load average {load_average()}")
    monte_carlo(model, args.target, draws=CHUNK_DRAWS, seed=args.seed, correlated=args.correlated)  # warm: tree built
    start = time.perf_counter()
    reference = monte_carlo(model, args.target, draws=args.draws, seed=args.seed, correlated=args.correlated)
    alone = time.perf_counter() - start
    rows = [("in this process", "", alone)]
    for n in sizes:
        began = time.perf_counter()
        with runner(workers=n) as where:
            started = time.perf_counter() - began
            begin = time.perf_counter()
            result = monte_carlo(model, args.target, draws=args.draws, seed=args.seed, correlated=args.correlated,
                                 runner=where)
            took = time.perf_counter() - begin
        if result != reference:
            raise SystemExit(f"{n} workers: the result differs from the in-process run")
        rows.append((f"{n} local worker{'s' if n > 1 else ''}", f"{started:.1f} s", took))
    print()
    print(f"| where | cluster start | draws | draws/s | against in-process |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for name, started, took in rows:
        print(f"| {name} | {started or '—'} | {took:.2f} s | {args.draws / took:,.0f} | {alone / took:.2f}× |")
    print(f"\nevery cluster's result is bit-identical to the in-process one; load average {load_average()}")


if __name__ == "__main__":
    main()
