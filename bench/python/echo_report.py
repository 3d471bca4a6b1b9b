#!/usr/bin/python3
"""Turns the result lines of one bench/compare-echo.sh run into markdown tables and an SVG chart.

    python3 echo_report.py RESULTS.jsonl [--svg PATH] [--server-cpu N] [--loadgen-cpu N]
                           [--warmup S] [--duration S] [--load-before L] [--load-after L] [--quick]

Each line of RESULTS.jsonl is one load generator result tagged with "server" and "workload" (see
bench/echo/c/loadgen.c for the fields), or, for the idle workload, {"server", "workload": "idle",
"conns", "rss_before_kb", "rss_after_kb"}, or, for the paired windows, a bench/echo/c/pairgen.c line
tagged with "server", "workload" and "phase": "paired". Prints one table per workload, the paired
windows' table if there are some, the idle table if there is one, and the targets check when the Aio
rows are there; writes the chart to --svg (docs/images/echo-throughput.svg by default).
"""

import argparse
import json
import os
import statistics
import sys
from xml.sax.saxutils import escape

from compare_report import fmt_ratio, fmt_value

REFERENCE = "c-epoll"
SERVERS = (
    "c-epoll",
    "dotnet-threadpool",
    "asyncio-sock",
    "asyncio-streams",
    "asyncio-protocol",
    "uvloop-sock",
    "uvloop-streams",
    "uvloop-protocol",
    "aio-sock",
    "aio-streams",
    "aio-protocol",
)
AIO = ("aio-sock", "aio-streams", "aio-protocol")

# workload tag -> (title, whether it is ping-pong at full speed or a fixed rate)
WORKLOADS = {
    "pingpong-100x1k": ("100 connections × 1 KiB, ping-pong", "pingpong"),
    "pingpong-1000x64": ("1,000 connections × 64 B, ping-pong", "pingpong"),
    "rate-50k-100x1k": ("50,000 messages/s over 100 connections × 1 KiB", "rate"),
}
IDLE = "idle"
PAIRED = "paired"

# Above this share of the measured window on CPU, the load generator may be what limits a ping-pong row;
# below it on both sides, neither was the limit.
BUSY = 0.9
# At a fixed rate, a window further than this from the rate was off the schedule: behind it, or
# catching up from behind.
RATE_TOLERANCE = 0.01

DEFAULT_SVG = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "docs", "images",
                           "echo-throughput.svg")


def result_lines(path):
    """The result lines of the file, parsed."""
    with open(path) as lines:
        for line in lines:
            line = line.strip()
            if line:
                yield json.loads(line)


def load(path):
    """{workload: {server: record}}; where a server ran several rounds, the record of its median round
    (by msgs/s at full speed, by server CPU per message at a fixed rate), with the range of msgs/s over
    the rounds in "msgs_range" and their count in "rounds"."""
    runs = {}
    for record in result_lines(path):
        if record.get("phase") != PAIRED:
            runs.setdefault(record["workload"], {}).setdefault(record["server"], []).append(record)
    rows = {}
    for workload, servers in runs.items():
        for server, records in servers.items():
            key = "server_cpu_us_per_msg" if WORKLOADS.get(workload, ("", ""))[1] == "rate" else "msgs_per_sec"
            ranked = sorted(records, key=lambda r: r.get(key) or 0)
            median = dict(ranked[(len(ranked) - 1) // 2] if key == "server_cpu_us_per_msg" else ranked[len(ranked) // 2])
            median["rounds"] = len(records)
            if len(records) > 1 and "msgs_per_sec" in median:
                median["msgs_range"] = (min(r["msgs_per_sec"] for r in records),
                                        max(r["msgs_per_sec"] for r in records))
            median["by_round"] = {r.get("round", 1): r for r in records}
            rows.setdefault(workload, {})[server] = median
    return rows


def ratio_in_rounds(row, reference, key):
    """row[key] / reference[key] within each round both ran (each round is one complete run of every
    server): (the median of those ratios, the ratios in round order); (None, []) without rounds."""
    mine, theirs = row.get("by_round", {}), reference.get("by_round", {})
    ratios = [mine[r][key] / theirs[r][key] for r in sorted(set(mine) & set(theirs))
              if mine[r].get(key) and theirs[r].get(key)]
    return (statistics.median(ratios), ratios) if len(ratios) > 1 else (None, [])


def ratio(row, reference, key):
    """The figure a target checks, and how it reads: with one run, row ÷ reference; with rounds, the
    median of the ratios measured inside each round, the servers' median rows' ratio beside it (that
    one compares figures from different rounds)."""
    of_medians = row[key] / reference[key]
    in_rounds, ratios = ratio_in_rounds(row, reference, key)
    if in_rounds is None:
        return of_medians, None
    shown = ", ".join(f"{r:.2f}" for r in ratios)
    return in_rounds, f"the median of the rounds' own ratios ({shown}); the median rows' ratio is {of_medians:.2f}"


def load_paired(path):
    """{workload: {pair: {server: record}}} of the paired windows' lines."""
    pairs = {}
    for record in result_lines(path):
        if record.get("phase") == PAIRED:
            pairs.setdefault(record["workload"], {}).setdefault(record["pair"], {})[record["server"]] = record
    return pairs


def ratio_in_pairs(pairs, server, reference):
    """The ratios of server's msgs/s to reference's within each pair of windows both ran in."""
    return [p[server]["msgs_per_sec"] / p[reference]["msgs_per_sec"] for p in pairs.values()
            if server in p and reference in p and p[reference]["msgs_per_sec"] > 0]


def quartiles(values):
    """(lower quartile, median, upper quartile)."""
    if len(values) == 1:
        return values[0], values[0], values[0]
    low, mid, high = statistics.quantiles(values, n=4)
    return low, statistics.median(values), high


def paired_table(tag, pairs):
    title = WORKLOADS.get(tag, (tag, ""))[0]
    servers = ordered({s for p in pairs.values() for s in p})
    print(f"### {title}: paired windows")
    print()
    print("| server | msgs/s (median window) | vs C in the same pair: median | quartiles | user µs/msg "
          "| kernel µs/msg |")
    print("|---|---:|---:|---:|---:|---:|")
    for server in servers:
        windows = [p[server] for p in pairs.values() if server in p]
        ratios = ratio_in_pairs(pairs, server, REFERENCE)
        low, mid, high = quartiles(ratios) if ratios else (None, None, None)
        cells = [
            f"`{server}`",
            fmt_value(statistics.median(w["msgs_per_sec"] for w in windows)),
            fmt_ratio(mid),
            "—" if low is None else f"{low:.2f}–{high:.2f}",
            f"{statistics.mean(w['user_us_per_msg'] for w in windows):.3f}",
            f"{statistics.mean(w['kernel_us_per_msg'] for w in windows):.3f}",
        ]
        print("| " + " | ".join(cells) + " |")
    print()


def paired_ratio(pairs, server, reference):
    """The median in-pair ratio of server to reference and how it reads; (None, None) without pairs."""
    ratios = ratio_in_pairs(pairs or {}, server, reference)
    if not ratios:
        return None, None
    low, mid, high = quartiles(ratios)
    return mid, f"paired windows: the median of {len(ratios)} in-pair ratios, quartiles {low:.2f}–{high:.2f}"


def ordered(servers):
    known = [s for s in SERVERS if s in servers]
    return known + sorted(s for s in servers if s not in SERVERS)


def share(value, reference):
    """value / reference, or None when either is missing."""
    if value is None or reference is None or reference <= 0:
        return None
    return value / reference


def fmt_percent(value):
    return "—" if value is None else f"{value * 100:.0f}%"


def workload_table(tag, rows):
    """Prints one workload's table; returns the servers whose row the load generator may have limited."""
    title, kind = WORKLOADS.get(tag, (tag, "pingpong"))
    reference = rows.get(REFERENCE, {})
    print(f"### {title}")
    print()
    ranged = any("msgs_range" in r for r in rows.values())
    print("| server | msgs/s |" + (" rounds' range |" if ranged else "") + " vs C | p50 µs | p99 µs "
          "| server CPU µs/msg | of which kernel | vs C | server busy | load gen. CPU µs/msg | load gen. busy |")
    print("|---|---:|" + ("---:|" if ranged else "") + "---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    saturated, starved, behind = [], [], []
    for server in ordered(rows):
        r = rows[server]
        busy = r.get("loadgen_cpu_util")
        # At full speed a busy load generator may be what sets the pace; at a fixed rate it wakes for
        # nearly every message and is busier for it, and what matters is whether the rate was kept.
        if kind == "pingpong" and busy is not None and busy >= BUSY:
            saturated.append(server)
        # At full speed one side or the other should be busy all the time; if neither is, something
        # else had their cores.
        if kind == "pingpong" and busy is not None and busy < BUSY and r.get("server_cpu_util", 1) < BUSY:
            starved.append(server)
        if kind == "rate" and off_schedule(r):
            behind.append(server)
        cells = [
            f"`{server}`",
            fmt_value(r.get("msgs_per_sec")) + (" ⚠" if server in behind else ""),
            *([f"{fmt_value(r['msgs_range'][0])}–{fmt_value(r['msgs_range'][1])}" if "msgs_range" in r else "—"]
              if ranged else []),
            fmt_ratio(share(r.get("msgs_per_sec"), reference.get("msgs_per_sec"))),
            fmt_value(r.get("p50_us")),
            fmt_value(r.get("p99_us")),
            fmt_value(r.get("server_cpu_us_per_msg")),
            fmt_value(r.get("server_sys_us_per_msg")),
            fmt_ratio(share(r.get("server_cpu_us_per_msg"), reference.get("server_cpu_us_per_msg"))),
            fmt_percent(r.get("server_cpu_util")) + (" ⚠" if server in starved else ""),
            fmt_value(r.get("loadgen_cpu_us_per_msg")),
            fmt_percent(busy) + (" ⚠" if server in saturated else ""),
        ]
        print("| " + " | ".join(cells) + " |")
    print()
    if saturated:
        print(f"⚠ The load generator was on CPU for ≥{BUSY:.0%} of the window with {names(saturated)}: "
              "those rows may measure the load generator as much as the server, and are a lower bound of "
              "what the server can do.")
        print()
    if starved:
        print(f"⚠ Neither the server nor the load generator was on CPU for {BUSY:.0%} of the window with "
              f"{names(starved)}: other work on the machine likely had their cores (see the load average), "
              "and those rows are not the server's speed.")
        print()
    if behind:
        print(f"⚠ {names(behind)} did not keep to the schedule: messages due queued up (a server above the "
              "rate was catching up on them), and the latencies include that queue.")
        print()
    return saturated


def off_schedule(record):
    """At a fixed rate: whether the window's messages per second strayed from the rate."""
    rate = record.get("rate")
    return bool(rate) and abs(record["msgs_per_sec"] - rate) > RATE_TOLERANCE * rate


def names(servers):
    return ", ".join(f"`{s}`" for s in servers)


def idle_table(rows):
    print("### Idle connections: resident memory per connection")
    print()
    print("| server | connections | RSS before | RSS after | bytes per connection | vs C |")
    print("|---|---:|---:|---:|---:|---:|")
    per_conn = {s: (r["rss_after_kb"] - r["rss_before_kb"]) * 1024 / r["conns"] for s, r in rows.items()}
    for server in ordered(rows):
        r = rows[server]
        cells = [
            f"`{server}`",
            f"{r['conns']:,}",
            f"{r['rss_before_kb'] / 1024:,.1f} MiB",
            f"{r['rss_after_kb'] / 1024:,.1f} MiB",
            fmt_value(per_conn[server]),
            fmt_ratio(share(per_conn[server], per_conn.get(REFERENCE))),
        ]
        print("| " + " | ".join(cells) + " |")
    print()


def kernel_bound(record, needed):
    """A note when a server's kernel time per message alone forbids the rate needed of it on one core.

    The kernel's share (the TCP send and receive on the server's behalf) is the same whatever runs above
    it; a rate above one core divided by it cannot be reached by any program on that core."""
    kernel = (record or {}).get("server_sys_us_per_msg")
    if not kernel:
        return ""
    ceiling = 1e6 / kernel
    if needed <= ceiling:
        return ""
    return (f" (out of reach on this machine: its kernel time alone, {kernel:.2f} µs per message, caps one "
            f"server core at {ceiling:,.0f} msgs/s, and the target needs {needed:,.0f})")


def targets(rows, saturated_by_workload, paired=None):
    """The target check lines; an empty list when there is no Aio row to check. A ping-pong target is
    checked on the paired windows where the run has them for both servers, and on the rounds otherwise."""
    paired = paired or {}
    if not any(server in AIO for workload in rows.values() for server in workload):
        return []
    lines = []

    def check(passed, text):
        lines.append(f"- {'✅' if passed else '❌'} {text}")

    def missing(text):
        lines.append(f"- ❔ {text}: no result")

    for tag, (title, kind) in WORKLOADS.items():
        workload = rows.get(tag, {})
        if kind == "pingpong":
            c = workload.get(REFERENCE, {}).get("msgs_per_sec")
            for server in AIO:
                value = workload.get(server, {}).get("msgs_per_sec")
                text = f"`{server}` ≥95% of `{REFERENCE}`'s msgs/s, {title}"
                if value is None or c is None:
                    missing(text)
                else:
                    in_rounds, how = ratio(workload[server], workload[REFERENCE], "msgs_per_sec")
                    notes = [how] if how else []
                    if REFERENCE in saturated_by_workload.get(tag, ()):
                        notes.append(f"the load generator was ≥{BUSY:.0%} busy with the C server")
                    share_of_c, how = paired_ratio(paired.get(tag), server, REFERENCE)
                    if share_of_c is None:
                        share_of_c = in_rounds
                    else:
                        # The rounds' figure stays beside it, without its details.
                        notes = [how, f"the rounds gave {in_rounds:.0%}"]
                    note = f" ({'; '.join(notes)})" if notes else ""
                    # A figure that rounds to the bar is shown finely enough to tell which side it is on.
                    shown = f"{share_of_c:.2%}" if round(share_of_c, 3) == 0.95 else f"{share_of_c:.1%}"
                    check(share_of_c >= 0.95, f"{text}: {shown}{note}")
            aio, uv = (workload.get(s, {}).get("msgs_per_sec") for s in ("aio-sock", "uvloop-sock"))
            text = f"`aio-sock` ≥3× `uvloop-sock`'s msgs/s, {title}"
            if aio is None or uv is None:
                missing(text)
            else:
                times, how = paired_ratio(paired.get(tag), "aio-sock", "uvloop-sock")
                if times is None:
                    times, how = ratio(workload["aio-sock"], workload["uvloop-sock"], "msgs_per_sec")
                note = f" ({how})" if how else ""
                check(times >= 3, f"{text}: {times:.2f}×{note}{kernel_bound(workload.get('aio-sock'), 3 * uv)}")
        else:
            c = workload.get(REFERENCE, {}).get("server_cpu_us_per_msg")
            for server in AIO:
                value = workload.get(server, {}).get("server_cpu_us_per_msg")
                text = f"`{server}` server CPU per message ≤1.3× `{REFERENCE}`'s, {title}"
                if value is None or c is None:
                    missing(text)
                else:
                    times, how = ratio(workload[server], workload[REFERENCE], "server_cpu_us_per_msg")
                    note = f" ({how})" if how else ""
                    note += "".join(f" (`{s}` did not keep to the schedule)" for s in (REFERENCE, server)
                                    if off_schedule(workload[s]))
                    check(times <= 1.3, f"{text}: {times:.2f}×{note}")
    return lines


# ---- the chart ---------------------------------------------------------------------------------

COLOURS = {"c": "#555555", "dotnet": "#7a4fb5", "asyncio": "#3572a5", "uvloop": "#2e9e5e", "aio": "#e07b1a"}
LABEL_WIDTH = 160
BAR_WIDTH = 520
VALUE_WIDTH = 100
ROW = 22
PANEL_TITLE = 34
PANEL_GAP = 18


def colour(server):
    return COLOURS.get(server.split("-")[0], "#999999")


def svg_chart(rows, path, heading):
    """Horizontal bars, one panel per workload: msgs/s for ping-pong, server CPU µs/msg at a fixed rate."""
    panels = []
    for tag, (title, kind) in WORKLOADS.items():
        workload = rows.get(tag)
        if not workload:
            continue
        if kind == "pingpong":
            field, label = "msgs_per_sec", f"{title}: messages per second (higher is better)"
        else:
            field, label = "server_cpu_us_per_msg", f"{title}: server CPU µs per message (lower is better)"
        bars = [(s, workload[s].get(field)) for s in ordered(workload) if workload[s].get(field) is not None]
        if bars:
            panels.append((label, bars))

    width = LABEL_WIDTH + BAR_WIDTH + VALUE_WIDTH + 20
    y = 44
    parts = []
    for label, bars in panels:
        parts.append(f'<text x="10" y="{y + 16}" class="panel">{escape(label)}</text>')
        y += PANEL_TITLE
        top = max(value for _, value in bars) or 1
        for server, value in bars:
            length = max(1.0, BAR_WIDTH * value / top)
            parts.append(f'<text x="{LABEL_WIDTH - 8}" y="{y + 15}" class="name">{escape(server)}</text>')
            parts.append(f'<rect x="{LABEL_WIDTH}" y="{y + 3}" width="{length:.1f}" height="{ROW - 6}" '
                         f'fill="{colour(server)}"/>')
            parts.append(f'<text x="{LABEL_WIDTH + length + 6:.1f}" y="{y + 15}" class="value">'
                         f'{escape(fmt_value(value))}</text>')
            y += ROW
        y += PANEL_GAP
    height = y + 10
    svg = "\n".join([
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="13">',
        "<style>.title{font-size:16px;font-weight:bold}.panel{font-weight:bold}"
        ".name{text-anchor:end}.value{fill:#333}</style>",
        f'<rect width="{width}" height="{height}" fill="white"/>',
        f'<text x="10" y="26" class="title">{escape(heading)}</text>',
        *parts,
        "</svg>",
        "",
    ])
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w") as out:
        out.write(svg)


def main(argv):
    parser = argparse.ArgumentParser()
    parser.add_argument("results")
    parser.add_argument("--svg", default=DEFAULT_SVG, help="where to write the chart")
    parser.add_argument("--server-cpu")
    parser.add_argument("--loadgen-cpu")
    parser.add_argument("--warmup")
    parser.add_argument("--duration")
    parser.add_argument("--load-before")
    parser.add_argument("--load-after")
    parser.add_argument("--quick", action="store_true", help="the run had BENCH_QUICK=1")
    args = parser.parse_args(argv)

    rows = load(args.results)
    failed = [f"{w}/{s}" for w, servers in rows.items() for s, r in servers.items() if r.get("errors")]
    if failed:
        print(f"error: errors reported by the load generator for {', '.join(failed)}", file=sys.stderr)
        return 1

    if args.quick:
        print("**Trial run (BENCH_QUICK=1): short warm-up and window; not the figures to publish.**")
        print()
    saturated = {}
    for tag in list(WORKLOADS) + sorted(set(rows) - set(WORKLOADS) - {IDLE}):
        if tag in rows:
            saturated[tag] = workload_table(tag, rows[tag])
    paired = load_paired(args.results)
    for tag in paired:
        paired_table(tag, paired[tag])
    if IDLE in rows:
        idle_table(rows[IDLE])

    notes = ["msgs/s counts the messages echoed back whole inside the measured window",
             "p50 and p99 are round trips in microseconds, from when a message was due (at a fixed rate, "
             "its slot in the schedule) to when its last byte was read back",
             "CPU µs/msg is user + system time over the window divided by its messages, for the server "
             "(all its threads, from /proc/PID/stat) and the load generator (getrusage); busy is that CPU "
             "time over the window's length",
             "vs C is the row ÷ `c-epoll`: above 1× is more messages, or more CPU per message"]
    if args.server_cpu is not None and args.loadgen_cpu is not None:
        notes.append(f"servers pinned to CPU {args.server_cpu}, the load generator to CPU {args.loadgen_cpu}, "
                     "all measured in this one run")
    if args.warmup and args.duration:
        notes.append(f"each workload {args.warmup} s of warm-up, then a {args.duration} s window")
    rounds = max((r.get("rounds", 1) for w in rows.values() for r in w.values()), default=1)
    if rounds > 1:
        notes.append(f"every server ran {rounds} rounds, one round of all the servers after the other "
                     "(every second one in reverse order), and each "
                     "row is its median round (by msgs/s; at a fixed rate, by server CPU per message); "
                     "a target is checked on the ratio measured inside each round, one complete run of every "
                     "server, and the median of those ratios is its figure")
    if paired:
        notes.append("in the paired windows (bench/echo/c/pairgen.c, one client for every server) the "
                     "servers named there ran side by side, each with its own connections, and took turns "
                     "of one window each, in order and then in reverse; a ping-pong target is checked on "
                     "the median of its ratios inside each such turn, where the machine's slow spells "
                     "meet both servers alike")
    if args.load_before and args.load_after:
        notes.append(f"load average {args.load_before} before, {args.load_after} after")
    text = "; ".join(notes)
    print(text[0].upper() + text[1:] + ".")
    print()

    lines = targets(rows, saturated, paired)
    if lines:
        print("Targets:")
        print()
        print("\n".join(lines))
    else:
        print("Targets: not evaluated, there is no Aio row in these results.")

    heading = "Echo servers on 127.0.0.1, each on one core, the load generator on another"
    if args.quick:
        heading += " (trial run, not for publishing)"
    svg_chart(rows, args.svg, heading)
    print(file=sys.stderr)
    shown = os.path.relpath(args.svg)
    print(f"chart: {os.path.abspath(args.svg) if shown.startswith('..') else shown}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
