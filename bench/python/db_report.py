#!/usr/bin/python3
"""Turns the result lines of one bench/compare-db.sh run into the markdown comparison table.

    python3 db_report.py RESULTS.jsonl [--client-cpu N] [--server-cpu N] [--load-before L] [--load-after L]

Each line of RESULTS.jsonl is {"impl": ..., "bench": ..., "value": ..., "unit": "ops/s"}, impl one of
aio, dotnet-npgsql, asyncpg, aiosqlite. Every figure is operations per second: higher is better.
"""

import argparse
import json
import statistics
import sys

IMPLS = ("aio", "dotnet-npgsql", "asyncpg", "aiosqlite", "aiosqlite-one-core", "sqlite-direct")
LABELS = {"aio": "Aio", "dotnet-npgsql": ".NET Npgsql", "asyncpg": "asyncpg", "aiosqlite": "aiosqlite",
          "aiosqlite-one-core": "aiosqlite, one core", "sqlite-direct": "SQLite direct"}
ROWS = ("pg_select_by_pk", "sqlite_insert_tx100", "sqlite_point_read")

# For each row: the implementations expected, and (description, check on the Aio ÷ other ratios).
EXPECTED = {
    "pg_select_by_pk": ("aio", "dotnet-npgsql", "asyncpg"),
    "sqlite_insert_tx100": ("aio", "aiosqlite", "sqlite-direct"),
    "sqlite_point_read": ("aio", "aiosqlite", "sqlite-direct"),
}
TARGETS = {
    "pg_select_by_pk": ("≥ asyncpg", lambda r: r("asyncpg") >= 1),
    # Against aiosqlite's better figure: with SQLite's clients on two cores, aiosqlite also ran on one.
    "sqlite_insert_tx100": ("≥5× aiosqlite", lambda r: min(r("aiosqlite"), r("aiosqlite-one-core") or 1e9) >= 5),
    "sqlite_point_read": ("≥5× aiosqlite", lambda r: min(r("aiosqlite"), r("aiosqlite-one-core") or 1e9) >= 5),
}


def ratio(values, other):
    """Aio ÷ other: above 1 means Aio does more operations per second."""
    aio, theirs = values.get("aio"), values.get(other)
    if aio is None or theirs is None or theirs <= 0:
        return None
    return aio / theirs


def fmt_value(value):
    return "—" if value is None else f"{value:,.0f}"


def fmt_ratio(value):
    if value is None:
        return "—"
    return f"{value:.1f}×" if value >= 10 else f"{value:.2f}×"


def main(argv):
    parser = argparse.ArgumentParser()
    parser.add_argument("results")
    parser.add_argument("--client-cpu")
    parser.add_argument("--server-cpu")
    parser.add_argument("--sqlite-cpus")
    parser.add_argument("--load-before")
    parser.add_argument("--load-after")
    args = parser.parse_args(argv)

    runs = {}
    units = {}
    with open(args.results) as lines:
        for line in lines:
            line = line.strip()
            if line:
                record = json.loads(line)
                runs.setdefault(record["bench"], {}).setdefault(record["impl"], []).append(float(record["value"]))
                units[record["bench"]] = record["unit"]
    # Several rounds: each figure is its median round.
    table = {bench: {impl: statistics.median(values) for impl, values in impls.items()} for bench, impls in runs.items()}
    rounds = max((len(v) for impls in runs.values() for v in impls.values()), default=1)

    missing = [f"{bench}/{impl}" for bench in ROWS for impl in EXPECTED[bench] if impl not in table.get(bench, {})]
    if missing:
        print(f"error: no result for {', '.join(missing)}", file=sys.stderr)
        return 1

    others = IMPLS[1:]
    print("| benchmark | unit | " + " | ".join(LABELS[i] for i in IMPLS) + " | "
          + " | ".join(f"vs {LABELS[i]}" for i in others) + " | target | |")
    print("|---|---|" + "---:|" * (len(IMPLS) + len(others)) + "---|---|")
    beyond = []
    for bench in ROWS:
        values = table[bench]
        cells = [bench, units[bench]] + [fmt_value(values.get(impl)) for impl in IMPLS]
        cells += [fmt_ratio(ratio(values, impl)) for impl in others]
        description, check = TARGETS[bench]
        passed = check(lambda other, values=values: ratio(values, other) or 0.0)
        cells += [description, "✅ pass" if passed else "❌ fail"]
        print("| " + " | ".join(cells) + " |")
        floor, theirs = values.get("sqlite-direct"), values.get("aiosqlite")
        if not passed and floor and theirs and floor < 5 * theirs:
            beyond.append(f"{bench}: 5× aiosqlite is {5 * theirs:,.0f} ops/s, above the {floor:,.0f} of SQLite "
                          "called directly on one thread")

    print()
    notes = ["ratios are Aio ÷ that implementation, in operations per second: above 1× Aio does more",
             *([f"every implementation ran {rounds} rounds, one after the other, and each figure is its median"]
               if rounds > 1 else []),
             "each figure the best of 5 runs after ≥1 s of warm-up on the same work",
             "PostgreSQL 15 with fsync on, its own throwaway cluster"]
    if args.client_cpu is not None and args.server_cpu is not None:
        notes.append(f"PostgreSQL clients pinned to CPU {args.client_cpu}, the PostgreSQL server to CPU "
                     f"{args.server_cpu}, SQLite clients to CPUs {args.sqlite_cpus or args.client_cpu}, all measured "
                     "in this one run")
    notes.append("asyncpg and aiosqlite on asyncio's own loop")
    notes.append("SQLite direct is Microsoft.Data.Sqlite called synchronously on one thread, no loop and no "
                 "thread hop: the floor that any hop to a connection's thread is added to")
    if args.load_before and args.load_after:
        notes.append(f"load average {args.load_before} before, {args.load_after} after")
    text = "; ".join(notes)
    print(text[0].upper() + text[1:] + ".")
    if beyond:
        print()
        print("Out of reach on this machine, with or without a loop: " + "; ".join(beyond) + ".")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
