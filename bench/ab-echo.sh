#!/usr/bin/env bash
# Compares echo servers in paired windows (bench/echo/c/pairgen.c): every server is started once and
# keeps its connections, and they take turns of one window each, ABBA, so that a server and the first
# one named (the reference) always meet the machine in the same state. For deciding whether a change to
# Aio helped, where bench/compare-echo.sh's whole-run rounds are too noisy: its rounds' ratios spread
# over ±20%, paired windows' over a few percent.
#
#   bench/ab-echo.sh c-epoll aio-sock aio-streams           # Aio's modes against the C server
#   bench/ab-echo.sh aio-sock@/path/to/other/checkout aio-sock
#                                                            # another build of the same mode
#   bench/ab-echo.sh aio-sock DOTNET_GCgen0size=0x4000000:aio-sock
#                                                            # the same build with different settings
#
# A server is any of bench/compare-echo.sh's (c-epoll, dotnet-threadpool, asyncio-MODE, uvloop-MODE,
# aio-MODE; MODE one of sock, streams, protocol), or aio-MODE@DIR (examples/EchoServer of the checkout
# at DIR, which this script builds), each optionally preceded by NAME=VALUE[,NAME=VALUE...]: for the
# environment it runs in. Servers are pinned to CPU 1, the load generator to CPU 0, as in
# bench/compare-echo.sh. A pair is one turn of every server named, so with more than two servers each
# window of a server is at most a few windows away from one of the reference.
#
# AB_WORKLOADS picks the workloads (default "pingpong-100x1k pingpong-1000x64"), AB_PAIRS the measured
# pairs of windows per workload (default 20), AB_WINDOW_MS the window (default 1000), AB_BASE_PORT the
# first server's port (default 27600, the next ones follow). Prints one markdown table per workload:
# each server's median window, the median and quartiles of its in-pair ratio to the reference, and its
# user and kernel CPU time per message (means over the windows). Raw lines go to
# bench/results/ab-echo-<date>.jsonl, or to AB_RESULTS. Exits non-zero if a build, a server or the load
# generator fails; every process it started is stopped first.
#
# AB_KERNEL_PROFILE=1 also samples the servers' CPU in the kernel (perf, Debian's linux-perf) while the
# windows run, and prints where each server's kernel time per message goes, function by function, beside
# the reference's: a kernel cost measured in separate runs moves with the machine's slow spells, one
# measured in the same windows does not. A function's figure is its share of the server's kernel samples
# times the server's kernel µs per message. The profile of a workload goes to bench/results/ too.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)
PYTHON=/usr/bin/python3
SERVER_CPU=1
LOADGEN_CPU=0
BASE_PORT=${AB_BASE_PORT:-27600}
WORKLOADS=${AB_WORKLOADS:-"pingpong-100x1k pingpong-1000x64"}
PAIRS=${AB_PAIRS:-20}
WINDOW_MS=${AB_WINDOW_MS:-1000}
START_SECONDS=30
KERNEL_PROFILE=${AB_KERNEL_PROFILE:-0}

. "$ROOT/bench/common.sh"

if [ $# -lt 2 ]; then
    log "usage: bench/ab-echo.sh REFERENCE SERVER... (see the comment at the top)"
    exit 2
fi
for workload in $WORKLOADS; do
    case "$workload" in
        pingpong-100x1k | pingpong-1000x64) ;;
        *) log "error: unknown workload $workload (pingpong-100x1k, pingpong-1000x64)"; exit 2 ;;
    esac
done
case "$PAIRS$WINDOW_MS" in
    *[!0-9]*) log "error: AB_PAIRS and AB_WINDOW_MS must be numbers"; exit 2 ;;
esac

# uvloop only when a uvloop server is named.
NEEDS_UVLOOP=0
case " $* " in
    *uvloop-*) NEEDS_UVLOOP=1 ;;
esac
if ! command -v gcc >/dev/null 2>&1 || ! command -v taskset >/dev/null 2>&1 || ! command -v "$PYTHON" >/dev/null 2>&1 \
    || { [ "$NEEDS_UVLOOP" = 1 ] && ! "$PYTHON" -c 'import uvloop' >/dev/null 2>&1; } \
    || { [ "$KERNEL_PROFILE" = 1 ] && ! command -v perf >/dev/null 2>&1; }; then
    SUDO=
    if [ "$(id -u)" -ne 0 ]; then
        SUDO=sudo
    fi
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -q >&2
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q gcc libc6-dev util-linux python3 python3-uvloop \
        $([ "$KERNEL_PROFILE" = 1 ] && echo linux-perf) >&2
fi

# Each workload opens its connections for every server at once.
NEED_FDS=$(( $# * 1000 + 1024 ))
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt "$NEED_FDS" ]; then
    ulimit -n "$NEED_FDS"
fi

WORK=$(mktemp -d)
PIDS=()
# On any exit: SIGTERM to every server, SIGKILL to one still running 10 s later.
cleanup() {
    stop_processes 10 "${PIDS[@]}"
    rm -rf "$WORK"
}
trap cleanup EXIT

log "== building the C echo server, the load generators (gcc -O2) and examples/EchoServer"
gcc -O2 -Wall -Wextra -o "$WORK/epoll_echo" "$ROOT/bench/echo/c/epoll_echo.c"
gcc -O2 -Wall -Wextra -o "$WORK/loadgen" "$ROOT/bench/echo/c/loadgen.c"
gcc -O2 -Wall -Wextra -o "$WORK/pairgen" "$ROOT/bench/echo/c/pairgen.c"
declare -A BUILT
build_echo_server() {
    if [ -z "${BUILT[$1]:-}" ]; then
        dotnet build "$1/examples/EchoServer" -c Release -nologo -v quiet >&2
        BUILT[$1]=1
    fi
}
build_dotnet_server() {
    if [ -z "${BUILT[dotnet-threadpool]:-}" ]; then
        dotnet build "$ROOT/bench/EchoDotnet/EchoDotnet.csproj" -c Release -nologo -v quiet >&2
        BUILT[dotnet-threadpool]=1
    fi
}

# Starts server spec $1 on port $2; its pid goes to PIDS.
start() {
    local spec=$1 port=$2 env=() name dir
    if [[ "$spec" == *=*:* ]]; then
        IFS=, read -r -a env <<< "${spec%%:*}"
        spec=${spec#*:}
    fi
    name=${spec%%@*}
    dir=$ROOT
    if [[ "$spec" == *@* ]]; then
        dir=${spec#*@}
    fi
    case "$name" in
        aio-*) build_echo_server "$dir" ;;
        dotnet-threadpool) build_dotnet_server ;;
    esac
    if ! echo_server_command "$name" "$port" "$dir"; then
        log "error: unknown server $spec"
        exit 2
    fi
    taskset -c "$SERVER_CPU" env "${env[@]}" "${COMMAND[@]}" > "$WORK/$port.log" 2>&1 &
    PIDS+=($!)
    local deadline=$((SECONDS + START_SECONDS))
    until timeout 5 "$WORK/loadgen" --idle --port "$port" --conns 1 --duration 0 >/dev/null 2>&1; do
        if [ "$SECONDS" -ge "$deadline" ]; then
            log "error: $1 did not answer on port $port"
            tail -n 20 "$WORK/$port.log" >&2 || true
            exit 1
        fi
        sleep 0.1
    done
}

mkdir -p "$ROOT/bench/results"
RESULTS=${AB_RESULTS:-"$ROOT/bench/results/ab-echo-$(date -u +%Y-%m-%dT%H%M%SZ).jsonl"}
SPECS=("$@")
PORTS=()
i=0
for spec in "${SPECS[@]}"; do
    port=$((BASE_PORT + i))
    i=$((i + 1))
    log "== starting $spec (taskset -c $SERVER_CPU, port $port)"
    start "$spec" "$port"
    PORTS+=("$port")
done

for workload in $WORKLOADS; do
    case "$workload" in
        pingpong-100x1k) conns=100 size=1024 ;;
        pingpong-1000x64) conns=1000 size=64 ;;
    esac
    log "== $workload: $PAIRS pairs of ${WINDOW_MS} ms windows"
    PERF_PID=
    if [ "$KERNEL_PROFILE" = 1 ]; then
        # The whole server CPU, kernel side only; the report keeps the servers' own samples.
        perf record -q -e cpu-clock:k -F 5000 -C "$SERVER_CPU" -o "$WORK/kernel-$workload.data" \
            > "$WORK/perf-$workload.log" 2>&1 &
        PERF_PID=$!
    fi
    taskset -c "$LOADGEN_CPU" "$WORK/pairgen" --ports "$(IFS=,; echo "${PORTS[*]}")" \
        --server-pids "$(IFS=,; echo "${PIDS[*]}")" --conns "$conns" --size "$size" \
        --window-ms "$WINDOW_MS" --pairs "$PAIRS" > "$WORK/lines.jsonl"
    if [ -n "$PERF_PID" ]; then
        kill -INT "$PERF_PID"
        wait "$PERF_PID" || true
        perf script -i "$WORK/kernel-$workload.data" -F pid,ip,sym 2>/dev/null \
            | awk '{ print $1, $3 }' | sort | uniq -c > "${RESULTS%.jsonl}-kernel-$workload.txt"
    fi
    sed "s/^{/{\"workload\": \"$workload\", /" "$WORK/lines.jsonl" >> "$RESULTS"
done

"$PYTHON" - "$RESULTS" "$KERNEL_PROFILE" "$(IFS=,; echo "${PIDS[*]}")" "${SPECS[@]}" <<'PY'
import collections, json, statistics, sys
rows = [json.loads(line) for line in open(sys.argv[1])]
profile = sys.argv[2] == "1"
pids = sys.argv[3].split(",")
specs = sys.argv[4:]
def quartiles(values):
    q = statistics.quantiles(values, n=4) if len(values) > 1 else [values[0]] * 3
    return q[0], statistics.median(values), q[2]
for workload in dict.fromkeys(r["workload"] for r in rows):
    mine = [r for r in rows if r["workload"] == workload]
    by_pair = {}
    for r in mine:
        by_pair.setdefault(r["pair"], {})[r["server"]] = r
    print(f"\n### {workload}, {len(by_pair)} pairs of windows\n")
    print(f"| server | msgs/s (median window) | vs `{specs[0]}` in pair: median | quartiles | user µs/msg | kernel µs/msg |")
    print("|---|---:|---:|---:|---:|---:|")
    for index, spec in enumerate(specs):
        windows = [pair[index] for pair in by_pair.values() if index in pair]
        ratios = [pair[index]["msgs_per_sec"] / pair[0]["msgs_per_sec"] for pair in by_pair.values()
                  if index in pair and 0 in pair and pair[0]["msgs_per_sec"] > 0]
        low, mid, high = quartiles(ratios)
        print(f"| `{spec}` | {statistics.median(w['msgs_per_sec'] for w in windows):,.0f} | {mid:.3f} | "
              f"{low:.3f}–{high:.3f} | {statistics.mean(w['user_us_per_msg'] for w in windows):.3f} | "
              f"{statistics.mean(w['kernel_us_per_msg'] for w in windows):.3f} |")
    if not profile:
        continue
    # "count pid symbol" lines: each server's kernel samples by function.
    samples = {pid: collections.Counter() for pid in pids}
    for line in open(f"{sys.argv[1][:-len('.jsonl')]}-kernel-{workload}.txt"):
        fields = line.split()
        if len(fields) == 3 and fields[1] in samples:
            samples[fields[1]][fields[2]] += int(fields[0])
    kernel = [statistics.mean(r["kernel_us_per_msg"] for r in mine if r["server"] == index)
              for index in range(len(specs))]
    cost = [{name: count / max(1, sum(samples[pid].values())) * kernel[index]
             for name, count in samples[pid].items()} for index, pid in enumerate(pids)]
    names = set()
    for index in range(len(specs)):
        names |= set(sorted(cost[index], key=cost[index].get, reverse=True)[:40])
    last = len(specs) - 1
    ranked = sorted(names, key=lambda n: abs(cost[last].get(n, 0) - cost[0].get(n, 0)), reverse=True)[:30]
    print(f"\n#### {workload}: kernel µs per message by function (the 30 that differ most between "
          f"`{specs[0]}` and `{specs[last]}`)\n")
    print("| function | " + " | ".join(f"`{spec}`" for spec in specs) + " | last − first |")
    print("|---|" + "---:|" * (len(specs) + 1))
    for name in ranked:
        values = [cost[index].get(name, 0.0) for index in range(len(specs))]
        print(f"| `{name}` | " + " | ".join(f"{v:.3f}" for v in values) + f" | {values[-1] - values[0]:+.3f} |")
PY
log "== raw lines: $RESULTS"
