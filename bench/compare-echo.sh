#!/usr/bin/env bash
# Runs the echo-server comparison: the same TCP ping-pong load, from one load generator, against a plain
# C epoll server (the reference), a .NET thread-pool server, asyncio's and uvloop's three usual servers
# and Aio's, all in this one run; prints one markdown table per workload and writes an SVG chart. Raw
# result lines go to bench/results/echo-<date>.jsonl.
#
#   bench/compare-echo.sh                      # every server, every workload
#   bench/compare-echo.sh c-epoll aio-sock     # only those servers
#   bench/compare-echo.sh --idle               # also memory per idle connection
#   ECHO_ROUNDS=12 ECHO_WORKLOADS=pingpong-100x1k bench/compare-echo.sh c-epoll uvloop-sock aio-sock
#                                              # one workload, 12 interleaved rounds
#
# Workloads: 100 connections × 1 KiB ping-pong; 1,000 connections × 64 B ping-pong; 50,000 messages a
# second over 100 connections × 1 KiB, where the server's CPU time per message is the figure. Each
# server runs alone, pinned to CPU 1; the load generator (bench/echo/c/loadgen.c) is pinned to CPU 0
# and reads the server's CPU time from /proc at the edges of each measured window. With --idle, each
# server is started once more and given 10,000 idle connections, and its resident memory is read before
# and after. Then the servers the ping-pong targets name run side by side in paired windows
# (bench/ab-echo.sh; ECHO_PAIRS below), and those targets are checked on them.
#
# BENCH_QUICK=1 shortens each workload to 1 s of warm-up and a 2 s window: a trial that checks the whole
# chain in a few minutes; the table says so, its figures are not the ones to publish, and its chart goes
# to bench/results/ instead of docs/images/echo-throughput.svg, as does a run of only some servers or
# workloads.
#
# The Aio rows run examples/EchoServer (--port P --mode sock|streams|protocol); until that project exists
# they are skipped with a note. Installs Debian's python3, python3-uvloop, gcc and taskset when missing
# (needs root or sudo); the .NET SDK must be on PATH. Exits non-zero if a build, a server or a load run
# fails, or a server does not exit 0 within 10 s of SIGTERM; every process it started is stopped first.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)

# Debian's interpreter on purpose: it is the one python3-uvloop installs into, whatever else is on PATH.
PYTHON=/usr/bin/python3

ALL_SERVERS="c-epoll dotnet-threadpool asyncio-sock asyncio-streams asyncio-protocol uvloop-sock uvloop-streams uvloop-protocol aio-sock aio-streams aio-protocol"
WORKLOADS="pingpong-100x1k pingpong-1000x64 rate-50k-100x1k"
SERVER_CPU=1
LOADGEN_CPU=0
# One port per server, so that a server that failed to stop can never answer for the next one.
BASE_PORT=${ECHO_BASE_PORT:-27500}
IDLE_CONNS=10000
STOP_SECONDS=10
START_SECONDS=30

. "$ROOT/bench/common.sh"

usage() {
    log "usage: bench/compare-echo.sh [--idle] [SERVER ...]"
    log "servers: $ALL_SERVERS"
    exit 2
}

IDLE=0
SERVERS=()
for arg in "$@"; do
    case "$arg" in
        --idle) IDLE=1 ;;
        -h | --help) usage ;;
        *)
            case " $ALL_SERVERS " in
                *" $arg "*) SERVERS+=("$arg") ;;
                *) log "error: unknown server $arg"; usage ;;
            esac
            ;;
    esac
done
if [ ${#SERVERS[@]} -eq 0 ]; then
    read -r -a SERVERS <<< "$ALL_SERVERS"
fi

QUICK=0
WARMUP=5
DURATION=10
# ECHO_ROUNDS=N runs every server N times, one round after the other (the servers interleaved, every
# second round in reverse order), and the report takes each figure's median round: machine noise that
# comes and goes then hits every server.
ROUNDS=${ECHO_ROUNDS:-1}
case "$ROUNDS" in
    '' | *[!0-9]* | 0) log "error: ECHO_ROUNDS must be a positive number"; exit 2 ;;
esac
# ECHO_PAIRS=N (default 20, 0 for none): after the rounds, the servers the ping-pong targets name
# (c-epoll, uvloop-sock and Aio's modes, those of them in this run) run once more, side by side, in N
# pairs of one-second windows per ping-pong workload (bench/ab-echo.sh): each keeps its connections and
# they take turns, so that the machine's slow spells, which last longer than a window, meet a server
# and the C server alike. The ping-pong targets are checked on those windows' ratios; whole rounds'
# ratios spread over ±20% and decide a 95% target by which rounds fell in a slow spell.
PAIRS=${ECHO_PAIRS:-20}
PAIR_WINDOW_MS=1000
case "$PAIRS" in
    '' | *[!0-9]*) log "error: ECHO_PAIRS must be a number"; exit 2 ;;
esac
# ECHO_WORKLOADS="pingpong-100x1k" runs only those workloads: many rounds of one target's workload fit
# in the time a few rounds of all three take.
if [ -n "${ECHO_WORKLOADS:-}" ]; then
    for workload in $ECHO_WORKLOADS; do
        case " $WORKLOADS " in
            *" $workload "*) ;;
            *) log "error: unknown workload $workload (the workloads: $WORKLOADS)"; exit 2 ;;
        esac
    done
    WORKLOADS=$ECHO_WORKLOADS
fi
if [ "${BENCH_QUICK:-}" = 1 ]; then
    QUICK=1
    WARMUP=1
    DURATION=2
    PAIRS=$((PAIRS < 3 ? PAIRS : 3))
    PAIR_WINDOW_MS=500
fi

# ---- what the run needs ------------------------------------------------------------------------

if ! command -v dotnet >/dev/null 2>&1; then
    log "error: the .NET SDK (dotnet) is not on PATH"
    exit 1
fi

if ! command -v taskset >/dev/null 2>&1 || ! command -v gcc >/dev/null 2>&1 \
    || ! "$PYTHON" -c 'import uvloop' >/dev/null 2>&1; then
    log "== installing python3, python3-uvloop, gcc and taskset (util-linux)"
    SUDO=
    if [ "$(id -u)" -ne 0 ]; then
        SUDO=sudo
    fi
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -q >&2
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3 python3-uvloop gcc libc6-dev util-linux >&2
    "$PYTHON" -c 'import uvloop' || { log "error: uvloop is still not importable by $PYTHON"; exit 1; }
fi

ALLOWED_CPUS=$("$PYTHON" -c 'import os; print(" ".join(map(str, sorted(os.sched_getaffinity(0)))))')
for cpu in "$SERVER_CPU" "$LOADGEN_CPU"; do
    case " $ALLOWED_CPUS " in
        *" $cpu "*) ;;
        *) log "error: this run needs CPUs $LOADGEN_CPU and $SERVER_CPU; it may use only $ALLOWED_CPUS"; exit 1 ;;
    esac
done

# Every connection is a descriptor in the load generator and another in the server; both inherit this.
NEED_FDS=$((IDLE_CONNS + 1024))
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt "$NEED_FDS" ]; then
    HARD_FDS=$(ulimit -Hn)
    if [ "$HARD_FDS" != unlimited ] && [ "$HARD_FDS" -lt "$NEED_FDS" ]; then
        log "error: $NEED_FDS open files are needed, the hard limit is $HARD_FDS (raise it: ulimit -Hn)"
        exit 1
    fi
    ulimit -n "$NEED_FDS"
fi

# ---- processes ---------------------------------------------------------------------------------

WORK=$(mktemp -d)
SERVER_PID=
HOLDER_PID=

# On any exit, stop what this script started (by process id) and remove the scratch files.
cleanup() {
    # Unquoted on purpose: either may be empty.
    stop_processes "$STOP_SECONDS" $HOLDER_PID $SERVER_PID
    rm -rf "$WORK"
}
trap cleanup EXIT

# ---- build ---------------------------------------------------------------------------------------

log "== building the C echo server and load generator (gcc -O2)"
gcc -O2 -Wall -Wextra -o "$WORK/epoll_echo" "$ROOT/bench/echo/c/epoll_echo.c"
gcc -O2 -Wall -Wextra -o "$WORK/loadgen" "$ROOT/bench/echo/c/loadgen.c"

log "== building bench/EchoDotnet (Release)"
dotnet build "$ROOT/bench/EchoDotnet/EchoDotnet.csproj" -c Release -nologo -v quiet >&2

HAVE_AIO=0
if [ -d "$ROOT/examples/EchoServer" ]; then
    log "== building examples/EchoServer (Release)"
    dotnet build "$ROOT/examples/EchoServer" -c Release -nologo -v quiet >&2
    HAVE_AIO=1
fi

# ---- servers -------------------------------------------------------------------------------------

# Whether an echo server answers on port $1: one connection, one message echoed back intact, within 5 s.
answers() {
    timeout 5 taskset -c "$LOADGEN_CPU" "$WORK/loadgen" --idle --port "$1" --conns 1 --duration 0 \
        >/dev/null 2>&1
}

show_log() {
    log "-- last lines of its output:"
    tail -n 20 "$WORK/$1.log" >&2 || true
}

# Starts server $1 on port $2, pinned to SERVER_CPU, and waits until it echoes.
start_server() {
    local name=$1 port=$2 deadline=$((SECONDS + START_SECONDS))
    if answers "$port"; then
        log "error: something already answers on port $port (set ECHO_BASE_PORT to move)"
        exit 1
    fi
    echo_server_command "$name" "$port"
    taskset -c "$SERVER_CPU" "${COMMAND[@]}" > "$WORK/$name.log" 2>&1 &
    SERVER_PID=$!
    until answers "$port"; do
        if has_ended "$SERVER_PID"; then
            log "error: $name exited before it answered"
            show_log "$name"
            exit 1
        fi
        if [ "$SECONDS" -ge "$deadline" ]; then
            log "error: $name did not answer on port $port within $START_SECONDS s"
            show_log "$name"
            exit 1
        fi
        sleep 0.1
    done
}

# Sends SIGTERM to the running server $1 and checks that it exits 0 in time.
stop_server() {
    local name=$1 pid=$SERVER_PID status=0
    kill -TERM "$pid"
    if ! wait_ended "$pid" "$STOP_SECONDS"; then
        log "error: $name was still running $STOP_SECONDS s after SIGTERM"
        show_log "$name"
        exit 1
    fi
    wait "$pid" || status=$?
    SERVER_PID=
    if [ "$status" -ne 0 ]; then
        log "error: $name exited with status $status after SIGTERM"
        show_log "$name"
        exit 1
    fi
}

# Appends the JSON line in file $3 to the results, tagged with server $1, workload $2 and round $4.
record() {
    sed "s/^{/{\"server\": \"$1\", \"workload\": \"$2\", \"round\": $4, /" "$3" >> "$RESULTS"
}

# ---- workloads -----------------------------------------------------------------------------------

workload_args() {
    case "$1" in
        pingpong-100x1k) LOAD=(--conns 100 --size 1024) ;;
        pingpong-1000x64) LOAD=(--conns 1000 --size 64) ;;
        rate-50k-100x1k) LOAD=(--conns 100 --size 1024 --rate 50000) ;;
    esac
}

run_workload() {
    local name=$1 port=$2 workload=$3 round=$4
    workload_args "$workload"
    log "   $workload"
    if ! taskset -c "$LOADGEN_CPU" "$WORK/loadgen" --port "$port" "${LOAD[@]}" \
        --warmup "$WARMUP" --duration "$DURATION" --server-pid "$SERVER_PID" > "$WORK/line.json"; then
        log "error: the $workload run against $name failed"
        show_log "$name"
        exit 1
    fi
    record "$name" "$workload" "$WORK/line.json" "$round"
}

rss_kb() {
    awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"
}

# Resident memory of server $1 (already started on port $2) before and after IDLE_CONNS idle connections.
run_idle() {
    local name=$1 port=$2 before after deadline=$((SECONDS + START_SECONDS))
    # A file of its own: its first line says that every connection is open.
    local ready="$WORK/$name.idle.json"
    log "   idle: $IDLE_CONNS connections"
    before=$(rss_kb "$SERVER_PID")
    # Held for at most a minute; stopped with SIGTERM as soon as the memory has been read.
    taskset -c "$LOADGEN_CPU" "$WORK/loadgen" --idle --port "$port" --conns "$IDLE_CONNS" --duration 60 \
        > "$ready" &
    HOLDER_PID=$!
    until [ -s "$ready" ]; do
        if has_ended "$HOLDER_PID"; then
            wait "$HOLDER_PID" || true
            HOLDER_PID=
            log "error: the idle connections to $name failed"
            show_log "$name"
            exit 1
        fi
        if [ "$SECONDS" -ge "$deadline" ]; then
            log "error: $IDLE_CONNS connections to $name were not all open within $START_SECONDS s"
            exit 1
        fi
        sleep 0.1
    done
    # Every connection has echoed one message, so the server has accepted and served each; a moment
    # more lets it finish whatever it does after a read.
    sleep 1
    after=$(rss_kb "$SERVER_PID")
    kill -TERM "$HOLDER_PID"
    if ! wait "$HOLDER_PID"; then
        HOLDER_PID=
        log "error: the idle connections to $name broke while held"
        exit 1
    fi
    HOLDER_PID=
    printf '{"server": "%s", "workload": "idle", "conns": %d, "rss_before_kb": %d, "rss_after_kb": %d}\n' \
        "$name" "$IDLE_CONNS" "$before" "$after" >> "$RESULTS"
}

# ---- the run ---------------------------------------------------------------------------------------

STAMP=$(date -u +%Y-%m-%dT%H%M%SZ)
# Collected here and copied to bench/results/ only once every run has succeeded.
RESULTS="$WORK/results.jsonl"
: > "$RESULTS"
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)

SKIPPED_AIO=0
for round in $(seq 1 "$ROUNDS"); do
    [ "$ROUNDS" = 1 ] || log "== round $round of $ROUNDS"
    # Every second round runs the servers in reverse order (A B, then B A): a server that runs early or
    # late in a round, and whatever the machine's pace does over one, is then early in one round and
    # late in the next, so the rounds' ratios do not all lean the same way.
    order=("${SERVERS[@]}")
    if [ $((round % 2)) = 0 ]; then
        order=()
        for ((i = ${#SERVERS[@]} - 1; i >= 0; i--)); do
            order+=("${SERVERS[i]}")
        done
    fi
    index=0
    for name in "${order[@]}"; do
        # A port per server and round: a restarted server never waits for the last one's port.
        port=$((BASE_PORT + (round - 1) * ${#SERVERS[@]} + index))
        index=$((index + 1))
        if [[ $name == aio-* ]] && [ "$HAVE_AIO" = 0 ]; then
            SKIPPED_AIO=1
            continue
        fi
        log "== $name (taskset -c $SERVER_CPU, port $port)"
        started=$SECONDS
        start_server "$name" "$port"
        for workload in $WORKLOADS; do
            run_workload "$name" "$port" "$workload" "$round"
        done
        stop_server "$name"
        if [ "$IDLE" = 1 ] && [ "$round" = 1 ]; then
            # A fresh process: what the workloads left allocated and freed would hide part of the growth.
            start_server "$name" "$port"
            run_idle "$name" "$port"
            stop_server "$name"
        fi
        log "   $name took $((SECONDS - started)) s"
    done
done
if [ "$SKIPPED_AIO" = 1 ]; then
    log "note: examples/EchoServer does not exist yet: the aio-sock, aio-streams and aio-protocol rows were skipped"
fi

PAIRED=()
for name in c-epoll uvloop-sock aio-sock aio-streams aio-protocol; do
    case " ${SERVERS[*]} " in
        *" $name "*) PAIRED+=("$name") ;;
    esac
done
PAIRED_WORKLOADS=
for workload in $WORKLOADS; do
    case "$workload" in
        pingpong-*) PAIRED_WORKLOADS="$PAIRED_WORKLOADS $workload" ;;
    esac
done
if [ "$PAIRS" -gt 0 ] && [ "$HAVE_AIO" = 1 ] && [ "${PAIRED[0]:-}" = c-epoll ] && [ ${#PAIRED[@]} -gt 1 ] \
    && [ -n "$PAIRED_WORKLOADS" ]; then
    log "== paired windows: ${PAIRED[*]}"
    # Its tables go to the log; the report prints its own from the lines.
    if ! AB_WORKLOADS="${PAIRED_WORKLOADS# }" AB_PAIRS="$PAIRS" AB_WINDOW_MS="$PAIR_WINDOW_MS" \
        AB_BASE_PORT=$((BASE_PORT + ROUNDS * ${#SERVERS[@]})) AB_RESULTS="$WORK/paired.jsonl" \
        "$ROOT/bench/ab-echo.sh" "${PAIRED[@]}" >&2; then
        log "error: the paired windows failed"
        exit 1
    fi
    # Its lines name a server by its place on the command line.
    "$PYTHON" - "$WORK/paired.jsonl" "${PAIRED[@]}" >> "$RESULTS" <<'PY'
import json, sys
names = sys.argv[2:]
for line in open(sys.argv[1]):
    record = json.loads(line)
    record.update(server=names[record["server"]], phase="paired")
    print(json.dumps(record))
PY
fi

LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)
mkdir -p "$ROOT/bench/results"
SAVED="$ROOT/bench/results/echo-$STAMP.jsonl"
SVG="$ROOT/docs/images/echo-throughput.svg"
if [ ${#SERVERS[@]} -ne "$(wc -w <<< "$ALL_SERVERS")" ] || [ -n "${ECHO_WORKLOADS:-}" ]; then
    # The published chart shows every server and workload: a partial run's goes next to its results.
    SVG="$ROOT/bench/results/echo-$STAMP.svg"
fi
QUICK_ARGS=()
if [ "$QUICK" = 1 ]; then
    SAVED="$ROOT/bench/results/echo-quick-$STAMP.jsonl"
    SVG="$ROOT/bench/results/echo-quick-$STAMP.svg"
    QUICK_ARGS=(--quick)
fi
cp "$RESULTS" "$SAVED"
log "== raw results: ${SAVED#"$ROOT"/}"

"$PYTHON" "$ROOT/bench/python/echo_report.py" "$SAVED" --svg "$SVG" \
    --server-cpu "$SERVER_CPU" --loadgen-cpu "$LOADGEN_CPU" --warmup "$WARMUP" --duration "$DURATION" \
    --load-before "$LOAD_BEFORE" --load-after "$LOAD_AFTER" "${QUICK_ARGS[@]}"
