# Shell functions the comparison scripts share; sourced, not run. The caller sets WORK (its scratch
# directory) and RESULTS (the file that collects every implementation's lines).

log() { printf '%s\n' "$*" >&2; }

# Appends $WORK/$1.jsonl to the results, each line tagged with its implementation $1.
tag_results() {
    local impl=$1
    sed "s/^{/{\"impl\": \"$impl\", /" "$WORK/$impl.jsonl" >> "$RESULTS"
}

# Runs implementation $1 pinned to CPUs $2: the command that follows, its JSON lines to $WORK/$1.jsonl,
# then tagged into the results. A failed run ends the script.
run_impl() {
    local impl=$1 cpus=$2
    shift 2
    log "== $impl (taskset -c $cpus)"
    local started=$SECONDS
    if ! taskset -c "$cpus" "$@" > "$WORK/$impl.jsonl"; then
        log "error: the $impl run failed"
        exit 1
    fi
    log "   $impl took $((SECONDS - started)) s"
    tag_results "$impl"
}

# Whether PID has ended: a child that has exited stays a zombie, still signalable, until waited for.
has_ended() {
    local state
    state=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1) || return 0
    [ -z "$state" ] || [ "$state" = Z ]
}

# Waits up to $2 seconds for PID $1 to end; fails if it has not.
wait_ended() {
    local pid=$1 tenths=$(($2 * 10))
    while [ "$tenths" -gt 0 ]; do
        if has_ended "$pid"; then
            return 0
        fi
        sleep 0.1
        tenths=$((tenths - 1))
    done
    has_ended "$pid"
}

# Stops the processes PID... that this script started: SIGTERM to each, then SIGKILL to any still
# running $1 seconds later; reaps them all.
stop_processes() {
    local seconds=$1 pid
    shift
    for pid in "$@"; do
        kill -TERM "$pid" 2>/dev/null || true
    done
    for pid in "$@"; do
        if ! wait_ended "$pid" "$seconds"; then
            kill -KILL "$pid" 2>/dev/null || true
        fi
        wait "$pid" 2>/dev/null || true
    done
}

# The command line of echo server $1 listening on port $2, into the array COMMAND; fails for a name it
# does not know. aio-MODE runs examples/EchoServer of the checkout at $3 (default ROOT). The caller sets
# ROOT, PYTHON and WORK, and has built what the server needs: $WORK/epoll_echo (bench/echo/c/epoll_echo.c),
# bench/EchoDotnet, examples/EchoServer.
echo_server_command() {
    local name=$1 port=$2 dir=${3:-$ROOT}
    # The .NET servers start with the JIT's tier-up delay removed, as bench/Aio.Bench runs itself (see
    # SelfProcess.cs): on one core that delay keeps hot code half-compiled for seconds, a start-up effect
    # a short warm-up would otherwise measure.
    local dotnet=(env DOTNET_TC_CallCountingDelayMs=0 dotnet)
    local python=("$PYTHON" "$ROOT/bench/echo/python/echo_server.py" --port "$port")
    case "$name" in
        c-epoll) COMMAND=("$WORK/epoll_echo" "$port") ;;
        dotnet-threadpool) COMMAND=("${dotnet[@]}" "$ROOT/bench/EchoDotnet/bin/Release/net10.0/EchoDotnet.dll" --port "$port") ;;
        asyncio-sock | asyncio-streams | asyncio-protocol) COMMAND=("${python[@]}" --mode "${name#asyncio-}") ;;
        uvloop-sock | uvloop-streams | uvloop-protocol) COMMAND=("${python[@]}" --mode "${name#uvloop-}" --uvloop) ;;
        aio-sock | aio-streams | aio-protocol)
            COMMAND=("${dotnet[@]}" "$dir/examples/EchoServer/bin/Release/net10.0/EchoServer.dll" --port "$port" --mode "${name#aio-}") ;;
        *) return 1 ;;
    esac
}
