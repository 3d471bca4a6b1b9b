using Aio.Data;
using Aio.Data.Sqlite;
using Aio.Sync;
using Aio.Tests.Support;
using Microsoft.Data.Sqlite;

namespace Aio.Tests.Data;

/// <summary>SQLite on the loop: statements on worker threads, rows streamed, transactions, readers beside
/// the writer, cancellation by interrupt, and no thread left after a close.</summary>
[Collection(SqliteThreadCountingCollection.Name)]
public sealed class SqliteDatabaseTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Statements_WithPositionalParameters_RoundTrip_AndNoWorkerOutlivesTheClose()
    {
        int before = SqliteThreads.Before();
        string path = _dir.File("app.db");
        GuardedLoop.Run(async _ =>
        {
            await using Database db = await Database.OpenAsync(path);
            Assert.Equal(DatabaseKind.Sqlite, db.Kind);
            await db.ExecuteAsync("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL, score REAL)");
            Assert.Equal(1, await db.ExecuteAsync("INSERT INTO users (id, name, score) VALUES ($1, $2, $3)", 1, "ada", 9.5));
            Assert.Equal(1, await db.ExecuteAsync("INSERT INTO users (id, name, score) VALUES ($1, $2, $3)", 2, "alan", null));

            Assert.Equal("ada", await db.ScalarAsync<string>("SELECT name FROM users WHERE id = $1", 1));
            Assert.Equal(2, await db.ScalarAsync<int>("SELECT count(*) FROM users"));
            Assert.Null(await db.ScalarAsync<double?>("SELECT score FROM users WHERE id = $1", 2));
            Assert.Null(await db.ScalarAsync<string>("SELECT name FROM users WHERE id = $1", 99));

            List<DbRow> rows = await db.FetchAsync("SELECT id, name, score FROM users ORDER BY id");
            Assert.Equal(2, rows.Count);
            Assert.Equal(1L, rows[0]["id"]);
            Assert.Equal("ada", rows[0].Get<string>("name"));
            Assert.Equal(9.5, rows[0].Get<double>(2));
            Assert.Null(rows[1]["score"]);
            Assert.Equal("score", rows[1].GetName(2));
            Assert.True(SqliteThreads.Count() > before, "statements ran on worker threads");
        });
        SqliteThreads.AssertBackTo(before);
    }

    [Fact]
    public void AnOpenDatabase_IsALoopResource_UntilItIsClosed()
    {
        GuardedLoop.Run(async loop =>
        {
            int before = loop.GetResources().OpenResources;
            Database db = await Database.OpenAsync(_dir.File("tracked.db"));
            Assert.Equal(before + 1, loop.GetResources().OpenResources);
            await db.DisposeAsync();
            Assert.Equal(before, loop.GetResources().OpenResources);
        });
    }

    [Fact]
    public void TheReadmeExample_Runs()
    {
        string path = _dir.File("readme.db");
        var lines = new List<string>();
        GuardedLoop.Run(async _ =>
        {
            // As in README.md, "Databases", with Console.WriteLine collected.
            await using Database db = await Database.OpenAsync(path);
            await db.ExecuteAsync("CREATE TABLE IF NOT EXISTS users (id integer PRIMARY KEY, name text)");
            await db.ExecuteAsync("INSERT INTO users VALUES ($1, $2)", 1, "ada");
            string? name = await db.ScalarAsync<string>("SELECT name FROM users WHERE id = $1", 1);
            await foreach (DbRow row in db.QueryAsync("SELECT id, name FROM users"))
            {
                lines.Add($"{row.Get<int>("id")}: {row["name"]}");
            }

            await db.TransactionAsync(async c => await c.ExecuteAsync("DELETE FROM users WHERE id = $1", 1));
            Assert.Equal("ada", name);
            Assert.Equal(0, await db.ScalarAsync<int>("SELECT count(*) FROM users"));
        });
        Assert.Equal(["1: ada"], lines);
    }

    [Fact]
    public void QueryAsync_StreamsInBatches_AndLeavingEarlyClosesTheQuery()
    {
        string path = _dir.File("rows.db");
        GuardedLoop.Run(async _ =>
        {
            await using SqliteDatabase db = await SqliteDatabase.OpenAsync(path);
            await db.ExecuteAsync("CREATE TABLE n (i INTEGER PRIMARY KEY)");
            await db.ExecuteAsync("WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 10000) INSERT INTO n SELECT i FROM c");

            await using DatabaseConnection connection = await db.ConnectAsync();
            long expected = 1;
            await foreach (DbRow row in connection.QueryAsync("SELECT i FROM n ORDER BY i"))
            {
                Assert.Equal(expected++, row.Get<long>(0));
            }

            Assert.Equal(10001, expected);

            // Leaving after three rows closes the query: the same statement then runs again at once.
            int seen = 0;
            await foreach (DbRow row in connection.QueryAsync("SELECT i FROM n ORDER BY i"))
            {
                if (++seen == 3)
                {
                    break;
                }
            }

            Assert.Equal(10000, await connection.ScalarAsync<int>("SELECT count(*) FROM n"));
            Assert.Equal(3, seen);
        });
    }

    [Fact]
    public void Transaction_CommitsOnReturn_RollsBackOnException()
    {
        string path = _dir.File("tx.db");
        GuardedLoop.Run(async _ =>
        {
            await using Database db = await Database.OpenAsync(path);
            await db.ExecuteAsync("CREATE TABLE t (v INTEGER)");
            await db.TransactionAsync(async c =>
            {
                await c.ExecuteManyAsync("INSERT INTO t VALUES ($1)", [[1], [2], [3]]);
            });
            Assert.Equal(3, await db.ScalarAsync<int>("SELECT count(*) FROM t"));

            await Assert.ThrowsAsync<InvalidOperationException>(async () => await db.TransactionAsync(async c =>
            {
                await c.ExecuteAsync("INSERT INTO t VALUES (4)");
                throw new InvalidOperationException("boom");
            }));
            Assert.Equal(3, await db.ScalarAsync<int>("SELECT count(*) FROM t"));

            await using DatabaseConnection connection = await db.ConnectAsync();
            await using (DatabaseTransaction tx = await connection.BeginTransactionAsync())
            {
                await connection.ExecuteAsync("INSERT INTO t VALUES (5)");
                Assert.Same(tx, connection.Transaction);
            }

            Assert.Null(connection.Transaction);
            Assert.Equal(3, await connection.ScalarAsync<int>("SELECT count(*) FROM t"));
        });
    }

    [Fact]
    public void Cancellation_InterruptsARunningStatement_AndTheConnectionStaysUsable()
    {
        GuardedLoop.Run(async _ =>
        {
            await using Database db = await Database.OpenAsync(":memory:");
            await using DatabaseConnection connection = await db.ConnectAsync();

            // Counts to ten billion: minutes, unless interrupted.
            AioTask<long> counting = AsyncIO.CreateTask(connection.ScalarAsync<long>(
                "WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 10000000000) SELECT count(*) FROM c"));
            await AsyncIO.Sleep(0.1);
            counting.Cancel();
            await Assert.ThrowsAsync<CancelledException>(async () => await counting);

            Assert.Equal(42, await connection.ScalarAsync<int>("SELECT 42"));
        });
    }

    [Fact]
    public void Cancellation_OfAQueuedStatement_MeansItNeverRuns_AndTheOneAheadGoesOn()
    {
        GuardedLoop.Run(async _ =>
        {
            await using Database db = await Database.OpenAsync(":memory:");
            await using DatabaseConnection connection = await db.ConnectAsync();
            await connection.ExecuteAsync("CREATE TABLE t (v INTEGER)");
            const string Slow = "WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 2000000) SELECT count(*) FROM c";

            // The insert queues behind the slow count on the connection's thread; cancelled there, it
            // ends at once and never runs, while the count ahead of it finishes.
            AioTask<long> counting = AsyncIO.CreateTask(connection.ScalarAsync<long>(Slow));
            AioTask<int> inserting = AsyncIO.CreateTask(connection.ExecuteAsync("INSERT INTO t VALUES (1)"));
            await AsyncIO.Sleep(0.01);
            inserting.Cancel();
            await Assert.ThrowsAsync<CancelledException>(async () => await inserting);
            Assert.Equal(2_000_000, await counting);
            Assert.Equal(0, await connection.ScalarAsync<int>("SELECT count(*) FROM t"));

            // The other way round: the running count is interrupted and the insert behind it runs.
            counting = AsyncIO.CreateTask(connection.ScalarAsync<long>(Slow.Replace("2000000", "10000000000")));
            inserting = AsyncIO.CreateTask(connection.ExecuteAsync("INSERT INTO t VALUES (2)"));
            await AsyncIO.Sleep(0.05);
            counting.Cancel();
            await Assert.ThrowsAsync<CancelledException>(async () => await counting);
            Assert.Equal(1, await inserting);
            Assert.Equal(2, await connection.ScalarAsync<int>("SELECT v FROM t"));
        });
    }

    [Fact]
    public void Cancellation_InsideATransaction_RollsItBack()
    {
        string path = _dir.File("cancel.db");
        GuardedLoop.Run(async _ =>
        {
            await using Database db = await Database.OpenAsync(path);
            await db.ExecuteAsync("CREATE TABLE t (v INTEGER)");
            var inserted = new AsyncEvent();
            AioTask work = AsyncIO.CreateTask(db.TransactionAsync(async c =>
            {
                await c.ExecuteAsync("INSERT INTO t VALUES (1)");
                inserted.Set();
                await AsyncIO.Sleep(30);
            }));
            await inserted.WaitAsync();
            work.Cancel();
            await Assert.ThrowsAsync<CancelledException>(async () => await work);
            Assert.Equal(0, await db.ScalarAsync<int>("SELECT count(*) FROM t"));
        });
    }

    [Fact]
    public void BadSql_ThrowsTheDriversError_AndTheConnectionStaysUsable()
    {
        GuardedLoop.Run(async _ =>
        {
            await using Database db = await Database.OpenAsync("Data Source=:memory:");
            await using DatabaseConnection connection = await db.ConnectAsync();
            var error = await Assert.ThrowsAsync<SqliteException>(async () => await connection.ExecuteAsync("SELEC nonsense"));
            Assert.Contains("syntax error", error.Message);
            await Assert.ThrowsAsync<SqliteException>(async () => await connection.FetchAsync("SELECT * FROM missing"));
            Assert.Equal(7, await connection.ScalarAsync<int>("SELECT $1 + $2", 3, 4));
        });
    }

    [Fact]
    public void Readers_ServeConcurrentReads_BesideTheWriter_WithinTheirLimit()
    {
        string path = _dir.File("wal.db");
        int before = SqliteThreads.Before();
        GuardedLoop.Run(async _ =>
        {
            await using SqliteDatabase db = await SqliteDatabase.OpenAsync(path, new DatabaseOptions { MaxConnections = 3 });
            Assert.Equal("wal", await db.ScalarAsync<string>("PRAGMA journal_mode"));
            await db.ExecuteAsync("CREATE TABLE kv (k INTEGER PRIMARY KEY, v TEXT)");
            await using (DatabaseConnection writer = await db.ConnectAsync())
            {
                await writer.ExecuteManyAsync("INSERT INTO kv VALUES ($1, $2)", Enumerable.Range(1, 200).Select(i => new object?[] { i, "v" + i }));
            }

            // The writer holds an open transaction meanwhile: WAL readers still read the last commit.
            await using DatabaseConnection holding = await db.ConnectAsync();
            await using DatabaseTransaction tx = await holding.BeginTransactionAsync();
            await holding.ExecuteAsync("DELETE FROM kv");

            var reads = new List<AioTask<string?>>();
            for (int i = 1; i <= 40; i++)
            {
                reads.Add(AsyncIO.CreateTask(db.ScalarAsync<string>("SELECT v FROM kv WHERE k = $1", i)));
            }

            for (int i = 0; i < reads.Count; i++)
            {
                Assert.Equal("v" + (i + 1), await reads[i]);
            }

            Assert.InRange(db.OpenReaders, 1, 3);
            await using DatabaseConnection reader = await db.ConnectReadOnlyAsync();
            var refused = await Assert.ThrowsAsync<SqliteException>(async () => await reader.ExecuteAsync("INSERT INTO kv VALUES (1000, 'x')"));
            Assert.Contains("readonly", refused.Message);
        });
        SqliteThreads.AssertBackTo(before);
    }

    [Fact]
    public void SingleReads_QueueOnAFewReaders_AndWaitForALeasedOne()
    {
        string path = _dir.File("shared.db");
        int before = SqliteThreads.Before();
        GuardedLoop.Run(async _ =>
        {
            SqliteDatabase db = await SqliteDatabase.OpenAsync(path, new DatabaseOptions { MaxConnections = 1 });
            await db.ExecuteAsync("CREATE TABLE t (v INTEGER)");
            await db.ExecuteAsync("INSERT INTO t VALUES (7)");

            // Sixteen reads at once share the one reader: they queue on its thread.
            var reads = Enumerable.Range(0, 16).Select(_ => AsyncIO.CreateTask(db.ScalarAsync<int>("SELECT v FROM t"))).ToList();
            foreach (AioTask<int> read in reads)
            {
                Assert.Equal(7, await read);
            }

            Assert.Equal(1, db.OpenReaders);

            // Leased, the reader is the lessee's alone: a single read waits for it to come back.
            DatabaseConnection lease = await db.ConnectReadOnlyAsync();
            AioTask<int> waiting = AsyncIO.CreateTask(db.ScalarAsync<int>("SELECT v + 1 FROM t"));
            AioTask<int> cancelled = AsyncIO.CreateTask(db.ScalarAsync<int>("SELECT v + 2 FROM t"));
            await AsyncIO.Sleep(0.05);
            Assert.False(waiting.IsDone);
            cancelled.Cancel();
            await Assert.ThrowsAsync<CancelledException>(async () => await cancelled);
            await lease.DisposeAsync();
            Assert.Equal(8, await waiting);

            // Closing while a query streams: the reader closes when the query ends.
            await using (db)
            {
                await foreach (DbRow row in db.QueryAsync("SELECT v FROM t"))
                {
                    await db.DisposeAsync();
                    Assert.Equal(7L, row[0]);
                }
            }
        });
        SqliteThreads.AssertBackTo(before);
    }

    [Fact]
    public void RunAsync_GivesAdoNetCodeTheConnection_OnTheWorker_InTheOpenTransaction()
    {
        GuardedLoop.Run(async loop =>
        {
            await using Database db = await Database.OpenAsync(":memory:");
            await using DatabaseConnection connection = await db.ConnectAsync();
            await connection.ExecuteAsync("CREATE TABLE t (v INTEGER)");
            await using DatabaseTransaction tx = await connection.BeginTransactionAsync();
            int loopThread = Environment.CurrentManagedThreadId;
            int workerThread = await connection.RunAsync(c =>
            {
                using var command = c.CreateCommand();
                command.Transaction = connection.CurrentDbTransaction;
                command.CommandText = "INSERT INTO t VALUES (1)";
                command.ExecuteNonQuery();
                return Environment.CurrentManagedThreadId;
            });
            Assert.NotEqual(loopThread, workerThread);

            long count = await connection.RunAsync(async (c, token) =>
            {
                using var command = c.CreateCommand();
                command.Transaction = connection.CurrentDbTransaction;
                command.CommandText = "SELECT count(*) FROM t";
                return (long)(await command.ExecuteScalarAsync(token))!;
            });
            Assert.Equal(1, count);
            await tx.RollbackAsync();
            Assert.Equal(0, await connection.ScalarAsync<int>("SELECT count(*) FROM t"));
        });
    }

    [Fact]
    public void ALongStatement_DoesNotBlockTheLoop()
    {
        GuardedLoop.Run(async _ =>
        {
            await using Database db = await Database.OpenAsync(":memory:");
            int ticks = 0;
            AioTask ticking = AsyncIO.CreateTask(Tick());
            long n = await db.ScalarAsync<long>(
                "WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 3000000) SELECT count(*) FROM c");
            ticking.Cancel();
            Assert.Equal(3_000_000, n);
            Assert.True(ticks >= 3, $"the loop ran {ticks} timer ticks while the statement ran");

            async Coroutine Tick()
            {
                while (true)
                {
                    await AsyncIO.Sleep(0.01);
                    ticks++;
                }
            }
        });
    }

    [Fact]
    public void ConnectAsync_GivesTheWriterInTurns()
    {
        string path = _dir.File("turns.db");
        GuardedLoop.Run(async _ =>
        {
            await using Database db = await Database.OpenAsync(path);
            DatabaseConnection first = await db.ConnectAsync();
            AioTask<DatabaseConnection> second = AsyncIO.CreateTask(db.ConnectAsync());
            await AsyncIO.Sleep(0.05);
            Assert.False(second.IsDone);
            await first.DisposeAsync();
            await using DatabaseConnection got = await second;
            await Assert.ThrowsAsync<ObjectDisposedException>(async () => await first.ExecuteAsync("SELECT 1"));
        });
    }
}

/// <summary>Tests that count SQLite worker threads run alone.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SqliteThreadCountingCollection
{
    /// <summary>The collection's name.</summary>
    public const string Name = "SQLite thread counting";
}
