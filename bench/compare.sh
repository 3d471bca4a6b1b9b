#!/usr/bin/env bash
# Runs one benchmark suite on Aio, on its .NET reference, on asyncio and on uvloop, all in this one run,
# then prints one markdown table comparing them with Aio's targets. Raw result lines go to
# bench/results/<suite>-<date>.jsonl.
#
#   bench/compare.sh tasks    # also bench/compare-tasks.sh; the .NET reference is the thread pool
#   bench/compare.sh sync     # also bench/compare-sync.sh; the .NET reference is System.Threading.Channels
#
# Aio, asyncio and uvloop run single-threaded loops and are pinned to the same single core; so is the
# thread-pool reference of `tasks`, so that its threads compete as a loop's would. The Channels reference
# of `sync` passes items between two threads and is pinned to every core this script may use (the table
# says which).
#
# BENCH_QUICK=1 (sync only) divides every count by 10: a trial that checks the whole chain in a few
# minutes; the table says so, and its figures are not the ones to publish.
#
# Installs Debian's python3 and python3-uvloop when they are missing (needs root or sudo); the .NET SDK
# must be on PATH. Exits non-zero if the build or any run fails; a missed target is reported in the
# table, not as a failure of the script.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)

# Debian's interpreter on purpose: it is the one python3-uvloop installs into, whatever else is on PATH.
PYTHON=/usr/bin/python3

# log, run_impl, tag_results
. "$ROOT/bench/common.sh"

SUITE=${1:-}
case "$SUITE" in
    tasks)
        REFERENCE=dotnet-threadpool
        BENCHMARKS="spawn_await suspended_task call_soon timers threadsafe_wakeups"
        ;;
    sync)
        REFERENCE=dotnet-channels
        BENCHMARKS="queue_pingpong queue_throughput lock_uncontended lock_contended semaphore_contended"
        ;;
    *)
        log "usage: bench/compare.sh tasks|sync"
        exit 2
        ;;
esac

QUICK=0
if [ "${BENCH_QUICK:-}" = 1 ]; then
    if [ "$SUITE" != sync ]; then
        log "error: BENCH_QUICK applies to the sync suite only"
        exit 2
    fi
    QUICK=1
fi

if ! command -v dotnet >/dev/null 2>&1; then
    log "error: the .NET SDK (dotnet) is not on PATH"
    exit 1
fi

if ! command -v taskset >/dev/null 2>&1 || ! "$PYTHON" -c 'import uvloop' >/dev/null 2>&1; then
    log "== installing python3, python3-uvloop and taskset (util-linux)"
    SUDO=
    if [ "$(id -u)" -ne 0 ]; then
        SUDO=sudo
    fi
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -q >&2
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3 python3-uvloop util-linux >&2
    "$PYTHON" -c 'import uvloop' || { log "error: uvloop is still not importable by $PYTHON"; exit 1; }
fi

log "== building bench/Aio.Bench (Release)"
dotnet build "$ROOT/bench/Aio.Bench/Aio.Bench.csproj" -c Release -nologo -v quiet >&2
BENCH_DLL="$ROOT/bench/Aio.Bench/bin/Release/net10.0/Aio.Bench.dll"

# One core for the loops: the second of the cores this script may use (the first stays for the rest of
# the machine), or the only one. ALL_CPUS: every core this script may use, for the two-thread reference.
CPU=$("$PYTHON" -c 'import os; cpus = sorted(os.sched_getaffinity(0)); print(cpus[1] if len(cpus) > 1 else cpus[0])')
ALL_CPUS=$("$PYTHON" -c 'import os; print(",".join(map(str, sorted(os.sched_getaffinity(0)))))')
case "$SUITE" in
    tasks) REFERENCE_CPUS=$CPU ;;
    sync) REFERENCE_CPUS=$ALL_CPUS ;;
esac

STAMP=$(date -u +%Y-%m-%dT%H%M%SZ)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
# Collected here and copied to bench/results/ only once every run has succeeded.
RESULTS="$WORK/results.jsonl"

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)

# The .NET runs take each benchmark in a fresh process, as BenchmarkDotNet does: the JIT compiles code
# shared by several benchmarks (a wait node, the ready queue) with the profile of whichever ran first,
# so in one process a benchmark's figure would depend on its neighbours. Python has no such state; one
# process per implementation is the same thing there.
run_dotnet_impl() {
    local impl=$1 cpus=$2 suite=$3
    log "== $impl (taskset -c $cpus, one process per benchmark)"
    local started=$SECONDS
    : > "$WORK/$impl.jsonl"
    local name
    for name in $BENCHMARKS; do
        if ! taskset -c "$cpus" dotnet "$BENCH_DLL" "$suite" "$name" >> "$WORK/$impl.jsonl"; then
            log "error: the $impl run of $name failed"
            exit 1
        fi
    done
    log "   $impl took $((SECONDS - started)) s"
    tag_results "$impl"
}

: > "$RESULTS"
run_dotnet_impl aio "$CPU" "$SUITE"
run_dotnet_impl "$REFERENCE" "$REFERENCE_CPUS" "$SUITE-dotnet"
run_impl asyncio "$CPU" "$PYTHON" "$ROOT/bench/python/${SUITE}_bench.py" asyncio
run_impl uvloop "$CPU" "$PYTHON" "$ROOT/bench/python/${SUITE}_bench.py" uvloop

LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)
mkdir -p "$ROOT/bench/results"
SAVED="$ROOT/bench/results/$SUITE-$STAMP.jsonl"
if [ "$QUICK" = 1 ]; then
    SAVED="$ROOT/bench/results/$SUITE-quick-$STAMP.jsonl"
fi
cp "$RESULTS" "$SAVED"
log "== raw results: ${SAVED#"$ROOT"/}"

QUICK_ARGS=()
if [ "$QUICK" = 1 ]; then
    QUICK_ARGS=(--quick)
fi
"$PYTHON" "$ROOT/bench/python/compare_report.py" "$SAVED" --suite "$SUITE" \
    --cpu "$CPU" --reference-cpus "$REFERENCE_CPUS" \
    --load-before "$LOAD_BEFORE" --load-after "$LOAD_AFTER" "${QUICK_ARGS[@]}"
