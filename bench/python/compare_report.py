#!/usr/bin/python3
"""Turns the result lines of one compare-tasks.sh run into the markdown comparison table.

    python3 compare_report.py RESULTS.jsonl [--cpu N] [--load-before L] [--load-after L]

Each line of RESULTS.jsonl is {"impl": ..., "bench": ..., "value": ..., "unit": ...}.
"""

import argparse
import json
import sys

IMPLS = ("aio", "asyncio", "uvloop", "dotnet-threadpool")
REFERENCES = (("asyncio", "asyncio"), ("uvloop", "uvloop"), ("dotnet-threadpool", ".NET"))

ROWS = (
    "spawn_await",
    "suspended_task",
    "suspended_task_heap",
    "call_soon",
    "timers_schedule",
    "timers_late",
    "threadsafe_wakeups",
)


def ratio(values, reference):
    """Reference / Aio: every figure here is lower-is-better, so above 1 means Aio wins."""
    aio, other = values.get("aio"), values.get(reference)
    if aio is None or other is None or aio <= 0:
        return None
    return other / aio


# Each target: (description, check) where check gets the Aio value and a ratio function.
TARGETS = {
    "spawn_await": ("≥25× uvloop, faster than .NET",
                    lambda aio, r: r("uvloop") >= 25 and r("dotnet-threadpool") > 1),
    "suspended_task": ("≤250 bytes", lambda aio, r: aio <= 250),
    "call_soon": ("≥20× uvloop, ≥2× .NET", lambda aio, r: r("uvloop") >= 20 and r("dotnet-threadpool") >= 2),
    "timers_schedule": ("≤300 ns", lambda aio, r: aio <= 300),
    "timers_late": ("≤1 ms", lambda aio, r: aio <= 1),
    "threadsafe_wakeups": ("≥10× uvloop", lambda aio, r: r("uvloop") >= 10),
}


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
    parser.add_argument("--cpu")
    parser.add_argument("--load-before")
    parser.add_argument("--load-after")
    args = parser.parse_args(argv)

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

    missing = [f"{bench}/{impl}" for bench in TARGETS for impl in IMPLS if impl not in table.get(bench, {})]
    if missing:
        print(f"error: no result for {', '.join(missing)}", file=sys.stderr)
        return 1

    print("| benchmark | unit | Aio | asyncio | uvloop | .NET thread pool "
          "| vs asyncio | vs uvloop | vs .NET | target | |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---|---|")
    for bench in ROWS:
        values = table.get(bench)
        if not values:
            continue
        cells = [bench, units[bench]] + [fmt_value(values.get(impl)) for impl in IMPLS]
        cells += [fmt_ratio(ratio(values, impl)) for impl, _ in REFERENCES]
        if bench in TARGETS:
            description, check = TARGETS[bench]

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
        notes.append(f"every implementation pinned to CPU {args.cpu} and measured in this one run")
    notes.append("each figure the best of 5 runs after ≥1 s of warm-up on the same work")
    notes.append("suspended_task is resident memory growth per task in a fresh process; "
                 "suspended_task_heap the managed-heap part (.NET only)")
    if args.load_before and args.load_after:
        notes.append(f"load average {args.load_before} before, {args.load_after} after")
    text = "; ".join(notes)
    print(text[0].upper() + text[1:] + ".")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
