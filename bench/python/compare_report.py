#!/usr/bin/python3
"""Turns the result lines of one bench/compare.sh run into the markdown comparison table.

    python3 compare_report.py RESULTS.jsonl [--suite tasks|sync] [--cpu N] [--reference-cpus LIST]
                              [--load-before L] [--load-after L] [--quick]

Each line of RESULTS.jsonl is {"impl": ..., "bench": ..., "value": ..., "unit": ...}.
"""

import argparse
import json
import sys

LOOPS = ("aio", "asyncio", "uvloop")


class Suite:
    """What one suite's table shows.

    reference: the .NET implementation tag and its column label; rows: every row in table order;
    reference_rows: the rows the .NET reference measures; targets: for each row with a target,
    (description, check), where check gets the Aio value and a ratio function.
    """

    def __init__(self, reference, label, rows, reference_rows, targets, notes):
        self.reference = reference
        self.label = label
        self.rows = rows
        self.reference_rows = reference_rows
        self.targets = targets
        self.notes = notes

    @property
    def impls(self):
        return LOOPS + (self.reference,)

    def expected(self, bench):
        return LOOPS + (self.reference,) if bench in self.reference_rows else LOOPS


TASKS_ROWS = (
    "spawn_await",
    "suspended_task",
    "suspended_task_heap",
    "call_soon",
    "timers_schedule",
    "timers_late",
    "threadsafe_wakeups",
)

SYNC_ROWS = ("queue_pingpong", "queue_throughput", "lock_uncontended", "lock_contended", "semaphore_contended")

SUITES = {
    "tasks": Suite(
        reference="dotnet-threadpool",
        label=".NET thread pool",
        rows=TASKS_ROWS,
        reference_rows=TASKS_ROWS,
        targets={
            "spawn_await": ("≥25× uvloop, faster than .NET",
                            lambda aio, r: r("uvloop") >= 25 and r("dotnet-threadpool") > 1),
            "suspended_task": ("≤250 bytes", lambda aio, r: aio <= 250),
            "call_soon": ("≥20× uvloop, ≥2× .NET",
                          lambda aio, r: r("uvloop") >= 20 and r("dotnet-threadpool") >= 2),
            "timers_schedule": ("≤300 ns", lambda aio, r: aio <= 300),
            "timers_late": ("≤1 ms", lambda aio, r: aio <= 1),
            "threadsafe_wakeups": ("≥10× uvloop", lambda aio, r: r("uvloop") >= 10),
        },
        notes=("suspended_task is resident memory growth per task in a fresh process; "
               "suspended_task_heap the managed-heap part (.NET only)",)),
    "sync": Suite(
        reference="dotnet-channels",
        label="Channels",
        rows=SYNC_ROWS,
        reference_rows=("queue_pingpong", "queue_throughput"),
        targets={
            "queue_pingpong": ("≥20× uvloop, ≥2× Channels",
                               lambda aio, r: r("uvloop") >= 20 and r("dotnet-channels") >= 2),
            "queue_throughput": ("≥20× uvloop", lambda aio, r: r("uvloop") >= 20),
            "lock_uncontended": ("≥20× uvloop", lambda aio, r: r("uvloop") >= 20),
            "lock_contended": ("≥20× uvloop", lambda aio, r: r("uvloop") >= 20),
            "semaphore_contended": ("≥20× uvloop", lambda aio, r: r("uvloop") >= 20),
        },
        notes=("the Channels column is a channel bounded to the queue's size between two thread-pool "
               "tasks; the lock and semaphore rows have no .NET reference",)),
}


def ratio(values, reference):
    """Reference / Aio: every figure here is lower-is-better, so above 1 means Aio wins."""
    aio, other = values.get("aio"), values.get(reference)
    if aio is None or other is None or aio <= 0:
        return None
    return other / aio


def fmt_value(value):
    if value is None:
        return "—"
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.3g}"


def fmt_ratio(value):
    if value is None:
        return "—"
    return f"{value:.1f}×" if value >= 10 else f"{value:.2f}×"


def main(argv):
    parser = argparse.ArgumentParser()
    parser.add_argument("results")
    parser.add_argument("--suite", choices=sorted(SUITES), default="tasks")
    parser.add_argument("--cpu")
    parser.add_argument("--reference-cpus")
    parser.add_argument("--load-before")
    parser.add_argument("--load-after")
    parser.add_argument("--quick", action="store_true", help="the run had BENCH_QUICK=1")
    args = parser.parse_args(argv)
    suite = SUITES[args.suite]

    table = {}
    units = {}
    with open(args.results) as lines:
        for line in lines:
            line = line.strip()
            if not line:
                continue
            record = json.loads(line)
            table.setdefault(record["bench"], {})[record["impl"]] = float(record["value"])
            units[record["bench"]] = record["unit"]

    missing = [f"{bench}/{impl}" for bench in suite.targets for impl in suite.expected(bench)
               if impl not in table.get(bench, {})]
    if missing:
        print(f"error: no result for {', '.join(missing)}", file=sys.stderr)
        return 1

    if args.quick:
        print("**Trial run (BENCH_QUICK=1): every count divided by 10; not the figures to publish.**")
        print()
    print(f"| benchmark | unit | Aio | asyncio | uvloop | {suite.label} "
          f"| vs asyncio | vs uvloop | vs {suite.label} | target | |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---|---|")
    for bench in suite.rows:
        values = table.get(bench)
        if not values:
            continue
        cells = [bench, units[bench]] + [fmt_value(values.get(impl)) for impl in suite.impls]
        cells += [fmt_ratio(ratio(values, impl)) for impl in suite.impls[1:]]
        if bench in suite.targets:
            description, check = suite.targets[bench]

            def r(reference, values=values):
                return ratio(values, reference) or 0.0

            passed = check(values["aio"], r)
            cells += [description, "✅ pass" if passed else "❌ fail"]
        else:
            cells += ["", ""]
        print("| " + " | ".join(cells) + " |")

    print()
    print("Ratios are reference ÷ Aio: how many times faster (ns, ms) or smaller (bytes) Aio is than that "
          "implementation; above 1× Aio wins. Every figure is lower-is-better.")
    notes = []
    if args.cpu is not None:
        pinning = f"Aio, asyncio and uvloop pinned to CPU {args.cpu}"
        if args.reference_cpus is not None:
            if args.reference_cpus == args.cpu:
                pinning = f"every implementation pinned to CPU {args.cpu}"
            else:
                pinning += f", {suite.label} to CPUs {args.reference_cpus} (it runs on two threads)"
        notes.append(pinning + ", all measured in this one run")
    if args.quick:
        notes.append("each figure the best of 5 runs after ≥1 s of warm-up on the same work, "
                     "with every count divided by 10 (BENCH_QUICK=1)")
    else:
        notes.append("each figure the best of 5 runs after ≥1 s of warm-up on the same work")
    notes.extend(suite.notes)
    if args.load_before and args.load_after:
        notes.append(f"load average {args.load_before} before, {args.load_after} after")
    text = "; ".join(notes)
    print(text[0].upper() + text[1:] + ".")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
