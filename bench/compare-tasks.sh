#!/usr/bin/env bash
# Runs the `tasks` benchmark suite on Aio, asyncio, uvloop and the .NET thread pool, each pinned to the
# same single core and all in this one run, then prints one markdown table comparing them with Aio's
# targets. Raw result lines go to bench/results/tasks-<date>.jsonl.
#
#   bench/compare-tasks.sh
#
# Installs Debian's python3 and python3-uvloop when they are missing (needs root or sudo); the .NET SDK
# must be on PATH. Exits non-zero if the build or any run fails; a missed target is reported in the
# table, not as a failure of the script.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)

# Debian's interpreter on purpose: it is the one python3-uvloop installs into, whatever else is on PATH.
PYTHON=/usr/bin/python3

log() { printf '%s\n' "$*" >&2; }

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

# One core for every implementation, so threads compete as they would on a loop's own core: the second
# of the cores this script may use (the first stays for the rest of the machine), or the only one.
CPU=$("$PYTHON" -c 'import os; cpus = sorted(os.sched_getaffinity(0)); print(cpus[1] if len(cpus) > 1 else cpus[0])')

STAMP=$(date -u +%Y-%m-%dT%H%M%SZ)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
# Collected here and copied to bench/results/ only once every run has succeeded.
RESULTS="$WORK/results.jsonl"

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)

run_impl() {
    local impl=$1
    shift
    log "== $impl (taskset -c $CPU)"
    local started=$SECONDS
    if ! taskset -c "$CPU" "$@" > "$WORK/$impl.jsonl"; then
        log "error: the $impl run failed"
        exit 1
    fi
    log "   $impl took $((SECONDS - started)) s"
    # Tag each line with its implementation for the saved results.
    sed "s/^{/{\"impl\": \"$impl\", /" "$WORK/$impl.jsonl" >> "$RESULTS"
}

: > "$RESULTS"
run_impl aio dotnet "$BENCH_DLL" tasks
run_impl dotnet-threadpool dotnet "$BENCH_DLL" tasks-dotnet
run_impl asyncio "$PYTHON" "$ROOT/bench/python/tasks_bench.py" asyncio
run_impl uvloop "$PYTHON" "$ROOT/bench/python/tasks_bench.py" uvloop

LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)
mkdir -p "$ROOT/bench/results"
SAVED="$ROOT/bench/results/tasks-$STAMP.jsonl"
cp "$RESULTS" "$SAVED"
log "== raw results: ${SAVED#"$ROOT"/}"

"$PYTHON" "$ROOT/bench/python/compare_report.py" "$SAVED" \
    --cpu "$CPU" --load-before "$LOAD_BEFORE" --load-after "$LOAD_AFTER"
