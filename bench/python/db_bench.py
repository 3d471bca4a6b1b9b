#!/usr/bin/python3
"""The `db` benchmark suite with asyncpg or aiosqlite, for comparison with Aio.Data.

    python3 db_bench.py asyncpg --pg DSN [BENCH ...]    # pg_select_by_pk
    python3 db_bench.py aiosqlite [BENCH ...]           # sqlite_insert_tx100, sqlite_point_read

Prints one JSON object per line, {"bench": NAME, "value": NUMBER, "unit": "ops/s"}, with the same
workloads, SQL and counts as `Aio.Bench db` (see bench/Aio.Bench/DbWorkload.cs), and the same method
as tasks_bench.py (whose helpers it uses): each measurement repeats its whole run for at least a second,
then takes RUNS runs; a run returns nanoseconds per operation, the lowest is kept and reported as
operations per second. Progress goes to stderr. Runs on asyncio's own loop.

- pg_select_by_pk: a 10,000-row table (id int primary key, name text, value double precision), then
  20,000 `SELECT name, value ... WHERE id = $1` with random ids from 32 tasks sharing a pool of 32
  connections (Pool.fetchrow, which takes a connection and gives it back per select).
- sqlite_insert_tx100: 20,000 single-row inserts into a fresh WAL file database, in transactions of
  100 (BEGIN, 100 execute, COMMIT); only the inserts are timed.
- sqlite_point_read: 20,000 reads by primary key from a 20,000-row WAL database, from 8 tasks, each
  with its own aiosqlite connection (a thread each), opened before the measurement.

DSN may be an Npgsql connection string (Host=...;Port=...;Username=...;Database=...), as the .NET
suites take, or a postgresql:// address.
"""

import asyncio
import os
import random
import shutil
import sys
import tempfile
import time

from tasks_bench import measure, report

PG_TABLE = "aio_bench_pk"
PG_ROWS = 10_000
PG_SELECTS = 20_000
PG_TASKS = 32
PG_CONNECTIONS = 32

SQLITE_INSERTS = 20_000
SQLITE_TRANSACTION_SIZE = 100
SQLITE_READS = 20_000
SQLITE_READERS = 8

PG_SETUP = (
    f"DROP TABLE IF EXISTS {PG_TABLE}",
    f"CREATE TABLE {PG_TABLE} (id int PRIMARY KEY, name text NOT NULL, value double precision NOT NULL)",
    f"INSERT INTO {PG_TABLE} (id, name, value) SELECT g, 'name-' || g, g * 0.5 "
    f"FROM generate_series(1, {PG_ROWS}) AS g",
    f"ANALYZE {PG_TABLE}",
)
PG_SELECT = f"SELECT name, value FROM {PG_TABLE} WHERE id = $1"

SQLITE_CREATE = "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL, value REAL NOT NULL)"
SQLITE_INSERT = "INSERT INTO items (id, name, value) VALUES (?, ?, ?)"
SQLITE_SELECT = "SELECT name, value FROM items WHERE id = ?"

BENCHES = {
    "asyncpg": ("pg_select_by_pk",),
    "aiosqlite": ("sqlite_insert_tx100", "sqlite_point_read"),
}


def random_ids(count, rows, seed):
    """The ids each run reads, drawn once with a fixed seed, so drawing them is not timed."""
    rng = random.Random(seed)
    return [rng.randint(1, rows) for _ in range(count)]


def check_row(row_id, name, value):
    if name != f"name-{row_id}" or value != row_id * 0.5:
        raise RuntimeError(f"row {row_id} read back as ({name!r}, {value!r})")


def ops_per_second(ns_per_op):
    return 1e9 / ns_per_op


def scratch_directory():
    """Under BENCH_DB_DIR if set (a real disk, so commits cost what they do), else the temp directory."""
    return tempfile.mkdtemp(prefix="aio-bench-db-", dir=os.environ.get("BENCH_DB_DIR") or None)


def asyncpg_dsn(dsn):
    """postgresql://user@host:port/database from an Npgsql connection string; an address as it is."""
    if "://" in dsn:
        return dsn
    keys = {}
    for part in dsn.split(";"):
        if "=" in part:
            key, value = part.split("=", 1)
            keys[key.strip().lower().replace(" ", "")] = value.strip()
    host = keys.get("host") or keys.get("server") or "127.0.0.1"
    port = keys.get("port", "5432")
    user = keys.get("username") or keys.get("userid") or keys.get("user") or "postgres"
    password = keys.get("password")
    database = keys.get("database") or keys.get("db") or "postgres"
    credentials = user if password is None else f"{user}:{password}"
    return f"postgresql://{credentials}@{host}:{port}/{database}"


# ---- asyncpg ------------------------------------------------------------------------------------

async def pg_select_by_pk(dsn):
    import asyncpg

    pool = await asyncpg.create_pool(asyncpg_dsn(dsn), min_size=PG_CONNECTIONS, max_size=PG_CONNECTIONS)
    try:
        async with pool.acquire() as connection:
            for sql in PG_SETUP:
                await connection.execute(sql)
        ids = random_ids(PG_SELECTS, PG_ROWS, seed=1)
        share = len(ids) // PG_TASKS

        async def select(first):
            fetchrow = pool.fetchrow
            for row_id in ids[first:first + share]:
                row = await fetchrow(PG_SELECT, row_id)
                check_row(row_id, row[0], row[1])

        async def one_run():
            loop = asyncio.get_running_loop()
            start = time.perf_counter_ns()
            tasks = [loop.create_task(select(t * share)) for t in range(PG_TASKS)]
            await asyncio.gather(*tasks)
            end = time.perf_counter_ns()
            return [(end - start) / (share * PG_TASKS)]

        best = await measure("pg_select_by_pk", one_run)
        report("pg_select_by_pk", ops_per_second(best[0]), "ops/s")
    finally:
        await pool.close()


# ---- aiosqlite ----------------------------------------------------------------------------------

async def insert(db):
    """SQLITE_INSERTS single-row inserts, committed every SQLITE_TRANSACTION_SIZE."""
    execute = db.execute
    for first in range(1, SQLITE_INSERTS + 1, SQLITE_TRANSACTION_SIZE):
        await execute("BEGIN")
        for row_id in range(first, first + SQLITE_TRANSACTION_SIZE):
            await execute(SQLITE_INSERT, (row_id, f"name-{row_id}", row_id * 0.5))
        await execute("COMMIT")


async def open_writer(path):
    import aiosqlite

    # Autocommit mode: the transactions are the explicit BEGIN and COMMIT above, as Aio's are.
    db = await aiosqlite.connect(path, isolation_level=None)
    await db.execute("PRAGMA busy_timeout = 5000")
    await db.execute("PRAGMA journal_mode = WAL")
    return db


async def sqlite_insert_tx100():
    async def one_run():
        directory = scratch_directory()
        try:
            db = await open_writer(os.path.join(directory, "inserts.db"))
            try:
                await db.execute(SQLITE_CREATE)
                start = time.perf_counter_ns()
                await insert(db)
                end = time.perf_counter_ns()
            finally:
                await db.close()
            return [(end - start) / SQLITE_INSERTS]
        finally:
            shutil.rmtree(directory)

    best = await measure("sqlite_insert_tx100", one_run)
    report("sqlite_insert_tx100", ops_per_second(best[0]), "ops/s")


async def sqlite_point_read():
    import aiosqlite

    directory = scratch_directory()
    try:
        path = os.path.join(directory, "reads.db")
        writer = await open_writer(path)
        try:
            await writer.execute(SQLITE_CREATE)
            await insert(writer)
        finally:
            await writer.close()

        readers = []
        try:
            for _ in range(SQLITE_READERS):
                reader = await aiosqlite.connect(f"file:{path}?mode=ro", uri=True, isolation_level=None)
                readers.append(reader)
                await reader.execute("PRAGMA busy_timeout = 5000")
            ids = random_ids(SQLITE_READS, SQLITE_INSERTS, seed=2)
            share = len(ids) // SQLITE_READERS

            async def read(reader, first):
                fetch = reader.execute_fetchall
                for row_id in ids[first:first + share]:
                    rows = await fetch(SQLITE_SELECT, (row_id,))
                    check_row(row_id, rows[0][0], rows[0][1])

            async def one_run():
                loop = asyncio.get_running_loop()
                start = time.perf_counter_ns()
                tasks = [loop.create_task(read(reader, t * share)) for t, reader in enumerate(readers)]
                await asyncio.gather(*tasks)
                end = time.perf_counter_ns()
                return [(end - start) / (share * SQLITE_READERS)]

            best = await measure("sqlite_point_read", one_run)
            report("sqlite_point_read", ops_per_second(best[0]), "ops/s")
        finally:
            for reader in readers:
                await reader.close()
    finally:
        shutil.rmtree(directory)


# ---- main ---------------------------------------------------------------------------------------

async def suite(implementation, only, dsn):
    if implementation == "asyncpg":
        if "pg_select_by_pk" in only:
            await pg_select_by_pk(dsn)
    else:
        if "sqlite_insert_tx100" in only:
            await sqlite_insert_tx100()
        if "sqlite_point_read" in only:
            await sqlite_point_read()


def main(argv):
    usage = "usage: db_bench.py asyncpg --pg DSN [BENCH ...] | aiosqlite [BENCH ...]"
    if not argv or argv[0] not in BENCHES:
        raise SystemExit(usage)
    implementation = argv[0]
    dsn = None
    names = []
    rest = iter(argv[1:])
    for arg in rest:
        if arg == "--pg":
            dsn = next(rest, None)
            if dsn is None:
                raise SystemExit("--pg needs a DSN")
        else:
            names.append(arg)
    only = set(names) or set(BENCHES[implementation])
    unknown = only - set(BENCHES[implementation])
    if unknown:
        raise SystemExit(f"unknown benchmarks for {implementation}: {', '.join(sorted(unknown))}")
    if implementation == "asyncpg" and dsn is None:
        raise SystemExit("asyncpg needs --pg DSN")
    asyncio.run(suite(implementation, only, dsn))


if __name__ == "__main__":
    main(sys.argv[1:])
