#!/usr/bin/env bash
# Runs the `db` suite on Aio (Aio.Data: Npgsql and SQLite on the loop), its .NET reference (plain Npgsql
# on the thread pool), asyncpg and aiosqlite, all in this one run, against a PostgreSQL cluster of its
# own, then prints one markdown table comparing them with Aio's targets. Raw result lines go to
# bench/results/db-<date>.jsonl.
#
#   bench/compare-db.sh
#
# The PostgreSQL server (scripts/pg-cluster.sh, PG_FSYNC=on so that commits are durable as on a real
# server) is pinned to the second core this script may use, and the PostgreSQL clients to the first, so
# that client and server do not take turns on one core. SQLite has no server: its clients (Aio,
# aiosqlite, SQLite called directly) may use both cores, as an application would; set
# DB_BENCH_SQLITE_ONE_CORE=1 to pin them to the first core too. SQLite files go to a scratch directory under bench/results/
# (a real disk: the commits fsync), removed at the end; so is the cluster, whatever happens.
#
# Installs Debian's python3-asyncpg, python3-aiosqlite, postgresql and taskset when they are missing
# (needs root or sudo); the .NET SDK must be on PATH. DB_BENCH_PG_PORT picks the cluster's port (25490
# by default, below the ephemeral ports). Exits non-zero if the build, the cluster or any run fails; a
# missed target is reported in the table, not as a failure of the script.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)

# Debian's interpreter on purpose: it is the one python3-asyncpg and python3-aiosqlite install into.
PYTHON=/usr/bin/python3
PG_PORT=${DB_BENCH_PG_PORT:-25490}
BENCHMARKS="pg_select_by_pk sqlite_insert_tx100 sqlite_point_read"

# log, run_impl, tag_results
. "$ROOT/bench/common.sh"

if ! command -v dotnet >/dev/null 2>&1; then
    log "error: the .NET SDK (dotnet) is not on PATH"
    exit 1
fi

have_postgres() { ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; }

if ! command -v taskset >/dev/null 2>&1 || ! have_postgres \
    || ! "$PYTHON" -c 'import asyncpg, aiosqlite' >/dev/null 2>&1; then
    log "== installing python3, python3-asyncpg, python3-aiosqlite, postgresql and taskset (util-linux)"
    SUDO=
    if [ "$(id -u)" -ne 0 ]; then
        SUDO=sudo
    fi
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -q >&2
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
        python3 python3-asyncpg python3-aiosqlite postgresql util-linux >&2
    "$PYTHON" -c 'import asyncpg, aiosqlite' || { log "error: asyncpg or aiosqlite is still not importable by $PYTHON"; exit 1; }
fi

log "== building bench/Aio.Bench (Release)"
dotnet build "$ROOT/bench/Aio.Bench/Aio.Bench.csproj" -c Release -nologo -v quiet >&2
BENCH_DLL="$ROOT/bench/Aio.Bench/bin/Release/net10.0/Aio.Bench.dll"

# Clients on the first core this script may use, the server on the second (or both on the only one).
CLIENT_CPU=$("$PYTHON" -c 'import os; print(sorted(os.sched_getaffinity(0))[0])')
SERVER_CPU=$("$PYTHON" -c 'import os; cpus = sorted(os.sched_getaffinity(0)); print(cpus[1] if len(cpus) > 1 else cpus[0])')
if [ "$CLIENT_CPU" = "$SERVER_CPU" ]; then
    log "warning: only one core available; the clients and the server share CPU $CLIENT_CPU"
fi

STAMP=$(date -u +%Y-%m-%dT%H%M%SZ)
WORK=$(mktemp -d)
# The cluster's folder is handed to the postgres user, so it is not inside $WORK (root's, mode 700).
PG_DIR=$(mktemp -d -t aio-db-bench-pg.XXXXXX)
mkdir -p "$ROOT/bench/results"
export BENCH_DB_DIR
BENCH_DB_DIR=$(mktemp -d "$ROOT/bench/results/db-scratch.XXXXXX")

cleanup() {
    "$ROOT/scripts/pg-cluster.sh" stop "$PG_DIR" || true
    rm -rf "$WORK" "$BENCH_DB_DIR"
}
trap cleanup EXIT

log "== starting PostgreSQL (fsync on) on 127.0.0.1:$PG_PORT, pinned to CPU $SERVER_CPU"
# The postmaster inherits the affinity of pg_ctl, and every backend it forks inherits the postmaster's.
PG=$(PG_FSYNC=on taskset -c "$SERVER_CPU" "$ROOT/scripts/pg-cluster.sh" start "$PG_DIR" "$PG_PORT")

RESULTS="$WORK/results.jsonl"
: > "$RESULTS"
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)

SQLITE_CPUS="$CLIENT_CPU,$SERVER_CPU"
if [ "${DB_BENCH_SQLITE_ONE_CORE:-}" = 1 ]; then
    SQLITE_CPUS=$CLIENT_CPU
fi

# Each Aio benchmark in a fresh process, as bench/compare.sh does: the JIT's profile of code shared by
# several benchmarks would otherwise depend on which ran first.
run_aio() {
    log "== aio (one process per benchmark; PostgreSQL's on CPU $CLIENT_CPU, SQLite's on $SQLITE_CPUS)"
    local started=$SECONDS
    : > "$WORK/aio.jsonl"
    local name cpus
    for name in $BENCHMARKS; do
        cpus=$CLIENT_CPU
        [[ $name != sqlite_* ]] || cpus=$SQLITE_CPUS
        if ! taskset -c "$cpus" dotnet "$BENCH_DLL" db --pg "$PG" "$name" >> "$WORK/aio.jsonl"; then
            log "error: the aio run of $name failed"
            exit 1
        fi
    done
    log "   aio took $((SECONDS - started)) s"
    tag_results aio
}

# DB_ROUNDS=N runs every implementation N times, one round of all of them after the other; the report
# takes each figure's median. Where SQLite's clients have both cores, aiosqlite also runs on one core
# ("aiosqlite-one-core"), where it is faster, and the SQLite targets are checked against its better figure.
ROUNDS=${DB_ROUNDS:-1}
case "$ROUNDS" in
    '' | *[!0-9]* | 0) log "error: DB_ROUNDS must be a positive number"; exit 2 ;;
esac
for round in $(seq 1 "$ROUNDS"); do
    [ "$ROUNDS" = 1 ] || log "== round $round of $ROUNDS"
    run_aio
    run_impl dotnet-npgsql "$CLIENT_CPU" dotnet "$BENCH_DLL" db-dotnet --pg "$PG"
    run_impl asyncpg "$CLIENT_CPU" "$PYTHON" "$ROOT/bench/python/db_bench.py" asyncpg --pg "$PG"
    run_impl aiosqlite "$SQLITE_CPUS" "$PYTHON" "$ROOT/bench/python/db_bench.py" aiosqlite
    if [ "$SQLITE_CPUS" != "$CLIENT_CPU" ]; then
        run_impl aiosqlite-one-core "$CLIENT_CPU" "$PYTHON" "$ROOT/bench/python/db_bench.py" aiosqlite
    fi
    run_impl sqlite-direct "$SQLITE_CPUS" dotnet "$BENCH_DLL" db-sqlite-direct
done

LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)
SAVED="$ROOT/bench/results/db-$STAMP.jsonl"
cp "$RESULTS" "$SAVED"
log "== raw results: ${SAVED#"$ROOT"/}"

"$PYTHON" "$ROOT/bench/python/db_report.py" "$SAVED" --client-cpu "$CLIENT_CPU" --server-cpu "$SERVER_CPU" \
    --sqlite-cpus "$SQLITE_CPUS" \
    --load-before "$LOAD_BEFORE" --load-after "$LOAD_AFTER"
