using System.Diagnostics;
using System.Runtime.CompilerServices;
using Aio.Data;
using Aio.Data.Postgres;
using Aio.Sync;
using Aio.Tests.Support;
using Npgsql;

namespace Aio.Tests.Data;

/// <summary>PostgreSQL on the loop, against a real server: a shared pool under many tasks, transactions
/// rolled back by exceptions and cancellations, cancellation on the server, a connection killed under
/// us, errors, LISTEN/NOTIFY, streamed rows, batches, and ADO.NET code on and off the loop.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresDatabaseTests(PostgresServer server)
{
    /// <summary>A table name no other test uses, since the tests share one server.</summary>
    private static string UniqueTable(string prefix) => prefix + "_" + Guid.NewGuid().ToString("N");

    /// <summary>Runs <paramref name="test"/> on a guarded loop with the server's database open and a table
    /// of its own, named after <paramref name="prefix"/> and dropped afterwards, whatever the test did.</summary>
    private void RunWithTable(string prefix, string columns, Func<Database, string, Coroutine> test,
        DatabaseOptions? options = null, [CallerMemberName] string name = "")
    {
        string table = UniqueTable(prefix);
        GuardedLoop.Run(async _ =>
        {
            await using Database db = await Database.OpenAsync(server.ConnectionString, options);
            await db.ExecuteAsync($"CREATE TABLE {table} {columns}");
            try
            {
                await test(db, table);
            }
            finally
            {
                await db.ExecuteAsync($"DROP TABLE IF EXISTS {table}");
            }
        }, name: name);
    }

    [Fact]
    public void ManyTasks_ShareTheLimitedPool_AndEveryResultIsRight()
    {
        GuardedLoop.Run(async _ =>
        {
            string application = "pool_" + Guid.NewGuid().ToString("N");
            await using Database db = await Database.OpenAsync(
                server.ConnectionString + ";Application Name=" + application, new DatabaseOptions { MaxConnections = 10 });
            const int tasks = 50;
            const int queriesPerTask = 20;
            var running = new List<AioTask<int>>();
            for (int t = 0; t < tasks; t++)
            {
                running.Add(AsyncIO.CreateTask(Queries(t)));
            }

            for (int t = 0; t < tasks; t++)
            {
                Assert.Equal(queriesPerTask, await running[t]);
            }

            // The pool keeps what it opened, never more than its limit: the server sees as many sessions.
            Assert.InRange(
                await db.ScalarAsync<int>("SELECT count(*) FROM pg_stat_activity WHERE application_name = $1", application),
                1,
                10);

            async Coroutine<int> Queries(int task)
            {
                int right = 0;
                for (int q = 0; q < queriesPerTask; q++)
                {
                    int n = (task * 1000) + q;
                    List<DbRow> rows = await db.FetchAsync("SELECT $1::int * 2 AS doubled, $2::text AS label", n, "t" + n);
                    DbRow row = Assert.Single(rows);
                    Assert.Equal(n * 2, row.Get<int>("doubled"));
                    Assert.Equal("t" + n, row.Get<string>("label"));
                    right++;
                }

                return right;
            }
        });
    }

    [Fact]
    public void Transaction_RollsBackOnException()
    {
        RunWithTable("tx_error", "(v int)", async (db, table) =>
        {
            await db.TransactionAsync(async c => await c.ExecuteManyAsync($"INSERT INTO {table} VALUES ($1)", [[1], [2]]));
            Assert.Equal(2, await db.ScalarAsync<int>($"SELECT count(*) FROM {table}"));

            var thrown = await Assert.ThrowsAsync<InvalidOperationException>(async () => await db.TransactionAsync(async c =>
            {
                await c.ExecuteAsync($"INSERT INTO {table} VALUES (3)");
                Assert.Equal(3, await c.ScalarAsync<int>($"SELECT count(*) FROM {table}"));
                throw new InvalidOperationException("boom");
            }));
            Assert.Equal("boom", thrown.Message);
            Assert.Equal(2, await db.ScalarAsync<int>($"SELECT count(*) FROM {table}"));

            // The result-returning form rolls back the same way.
            await Assert.ThrowsAsync<InvalidOperationException>(async () => await db.TransactionAsync<int>(async c =>
            {
                await c.ExecuteAsync($"INSERT INTO {table} VALUES (4)");
                throw new InvalidOperationException("boom");
            }));
            Assert.Equal(2, await db.ScalarAsync<int>($"SELECT count(*) FROM {table}"));
        });
    }

    [Fact]
    public void Transaction_RollsBackOnCancellation()
    {
        RunWithTable("tx_cancel", "(v int)", async (db, table) =>
        {
            var inserted = new AsyncEvent();
            AioTask work = AsyncIO.CreateTask(db.TransactionAsync(async c =>
            {
                await c.ExecuteAsync($"INSERT INTO {table} VALUES (1)");
                inserted.Set();
                await AsyncIO.Sleep(30);
            }));
            await inserted.WaitAsync();

            // Uncommitted: another session does not see the row yet.
            Assert.Equal(0, await db.ScalarAsync<int>($"SELECT count(*) FROM {table}"));
            work.Cancel();
            await Assert.ThrowsAsync<CancelledException>(async () => await work);
            Assert.Equal(0, await db.ScalarAsync<int>($"SELECT count(*) FROM {table}"));

            // No session is left idle in a transaction holding the row.
            Assert.Equal(0, await db.ScalarAsync<int>(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND state LIKE 'idle in transaction%'"));
        });
    }

    [Fact]
    public void Cancellation_StopsTheQueryOnTheServer_AndTheConnectionStaysUsable()
    {
        string marker = "sleep_" + Guid.NewGuid().ToString("N");
        GuardedLoop.Run(async _ =>
        {
            await using Database db = await Database.OpenAsync(server.ConnectionString);
            await using DatabaseConnection connection = await db.ConnectAsync();
            AioTask<object?> sleeping = AsyncIO.CreateTask(connection.ScalarAsync<object>($"SELECT pg_sleep(10) /* {marker} */"));
            await AsyncIO.Sleep(0.2);
            Assert.False(sleeping.IsDone);
            Assert.Equal(1, await Running(db, marker));

            var clock = Stopwatch.StartNew();
            sleeping.Cancel();
            await Assert.ThrowsAsync<CancelledException>(async () => await sleeping);
            clock.Stop();
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1), $"the cancelled task ended {clock.Elapsed.TotalMilliseconds:F0} ms after the cancel");

            Assert.Equal(1, await connection.ScalarAsync<int>("SELECT 1"));
            Assert.Equal(0, await Running(db, marker));
        });

        // The backends running the marked query, other than the one asking.
        static Coroutine<int> Running(Database db, string marker) => db.ScalarAsync<int>(
            "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND pid <> pg_backend_pid() AND query LIKE '%pg_sleep%' AND strpos(query, $1) > 0",
            marker);
    }

    [Fact]
    public void ATerminatedConnection_FailsItsNextStatement_AndThePoolRecovers()
    {
        GuardedLoop.Run(async _ =>
        {
            await using Database db = await Database.OpenAsync(server.ConnectionString, new DatabaseOptions { MaxConnections = 2 });
            DatabaseConnection doomed = await db.ConnectAsync();
            int pid = await doomed.ScalarAsync<int>("SELECT pg_backend_pid()");
            Assert.True(await db.ScalarAsync<bool>("SELECT pg_terminate_backend($1)", pid));

            // The server says why before it closes the socket: the next statement reads that FATAL error.
            var error = await Assert.ThrowsAnyAsync<NpgsqlException>(async () => await doomed.ScalarAsync<int>("SELECT 1"));
            var fatal = Assert.IsType<PostgresException>(error);
            Assert.Equal(PostgresErrorCodes.AdminShutdown, fatal.SqlState);
            Assert.Equal("FATAL", fatal.Severity);

            // Still broken, and said so, until it is given back.
            await Assert.ThrowsAnyAsync<InvalidOperationException>(async () => await doomed.ScalarAsync<int>("SELECT 1"));
            await doomed.DisposeAsync();

            // Every new statement gets a live backend, as many times as the pool has connections and more.
            for (int i = 0; i < 5; i++)
            {
                int other = await db.ScalarAsync<int>("SELECT pg_backend_pid()");
                Assert.NotEqual(pid, other);
            }

            Assert.Equal(1, await db.ScalarAsync<int>("SELECT 1"));
        });
    }

    [Fact]
    public void BadSql_ThrowsPostgresException_AndTheConnectionStaysUsable()
    {
        string missing = UniqueTable("missing");
        GuardedLoop.Run(async _ =>
        {
            await using Database db = await Database.OpenAsync(server.ConnectionString);
            await using DatabaseConnection connection = await db.ConnectAsync();

            var syntax = await Assert.ThrowsAsync<PostgresException>(async () => await connection.ExecuteAsync("SELEC nonsense"));
            Assert.Equal(PostgresErrorCodes.SyntaxError, syntax.SqlState);
            Assert.Equal("42601", syntax.SqlState);
            Assert.Contains("syntax error", syntax.MessageText);
            Assert.Equal(1, await connection.ScalarAsync<int>("SELECT 1"));

            var table = await Assert.ThrowsAsync<PostgresException>(async () => await connection.FetchAsync($"SELECT * FROM {missing}"));
            Assert.Equal("42P01", table.SqlState);
            Assert.Contains(missing, table.MessageText);

            Assert.Equal(7, await connection.ScalarAsync<int>("SELECT $1::int + $2::int", 3, 4));
            Assert.Null(connection.Transaction);

            // The same through the database's own single statements.
            var viaDb = await Assert.ThrowsAsync<PostgresException>(async () => await db.ScalarAsync<int>($"SELECT count(*) FROM {missing}"));
            Assert.Equal("42P01", viaDb.SqlState);
            Assert.Equal(2, await db.ScalarAsync<int>("SELECT 2"));
        });
    }

    [Fact]
    public void ListenAsync_ReceivesNotificationsInOrder_AndLeavingGivesTheConnectionBack()
    {
        string channel = "chan_" + Guid.NewGuid().ToString("N");
        GuardedLoop.Run(async _ =>
        {
            // The listener's database has one connection, so the statement after the listening can only
            // run if leaving the loop gave that connection back.
            await using var listenDb = (PostgresDatabase)await Database.OpenAsync(server.ConnectionString, new DatabaseOptions { MaxConnections = 1 });
            await using var notifyDb = (PostgresDatabase)await Database.OpenAsync(server.ConnectionString);
            var received = new List<DatabaseNotification>();
            bool ready = false;
            AioTask listening = AsyncIO.CreateTask(Listen());

            // A NOTIFY sent before LISTEN took effect is lost, by PostgreSQL's design: send "ready" until
            // one arrives, and only then the numbered ones.
            var clock = Stopwatch.StartNew();
            while (!ready)
            {
                Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), "no notification arrived within 10 s");
                Assert.False(listening.IsDone, "the listener ended early");
                await notifyDb.NotifyAsync(channel, "ready");
                await AsyncIO.Sleep(0.05);
            }

            int notifierPid = await notifyDb.ScalarAsync<int>("SELECT pg_backend_pid()");
            for (int n = 1; n <= 5; n++)
            {
                await notifyDb.NotifyAsync(channel, "payload-" + n);
            }

            await AsyncIO.WaitFor(Wait(listening), 10);
            Assert.Equal(["payload-1", "payload-2", "payload-3", "payload-4", "payload-5"], received.Select(n => n.Payload));
            Assert.All(received, n => Assert.Equal(channel, n.Channel));
            Assert.All(received, n => Assert.NotEqual(0, n.ProcessId));
            Assert.Contains(received, n => n.ProcessId == notifierPid);

            // Back in the pool, and no longer listening once it is used again.
            Assert.Equal(0, await listenDb.ScalarAsync<int>("SELECT count(*) FROM pg_listening_channels()"));

            async Coroutine Listen()
            {
                await foreach (DatabaseNotification notification in listenDb.ListenAsync(channel))
                {
                    if (notification.Payload == "ready")
                    {
                        ready = true;
                        continue;
                    }

                    received.Add(notification);
                    if (received.Count == 5)
                    {
                        break;
                    }
                }
            }

            static async Coroutine Wait(AioTask task) => await task;
        });
    }

    [Fact]
    public void QueryAsync_StreamsManyRows_AndLeavingEarlyLeavesTheConnectionUsable()
    {
        GuardedLoop.Run(async _ =>
        {
            await using Database db = await Database.OpenAsync(server.ConnectionString, new DatabaseOptions { MaxConnections = 1 });
            long count = 0;
            long sum = 0;
            await foreach (DbRow row in db.QueryAsync("SELECT i FROM generate_series(1, 100000) AS i"))
            {
                count++;
                sum += row.Get<long>(0);
            }

            Assert.Equal(100_000, count);
            Assert.Equal(100_000L * 100_001 / 2, sum);

            await using (DatabaseConnection connection = await db.ConnectAsync())
            {
                int seen = 0;
                await foreach (DbRow row in connection.QueryAsync("SELECT i FROM generate_series(1, 100000) AS i"))
                {
                    Assert.Equal(++seen, row.Get<int>(0));
                    if (seen == 3)
                    {
                        break;
                    }
                }

                Assert.Equal(3, seen);
                Assert.Equal(42, await connection.ScalarAsync<int>("SELECT 42"));
            }

            // Leaving the database's own stream early gives its one connection back.
            await foreach (DbRow row in db.QueryAsync("SELECT i FROM generate_series(1, 100000) AS i"))
            {
                break;
            }

            Assert.Equal(43, await db.ScalarAsync<int>("SELECT 43"));
        });
    }

    [Fact]
    public void ATerminatedConnection_InsideATransaction_ReportsTheServersError()
    {
        GuardedLoop.Run(async _ =>
        {
            await using Database db = await Database.OpenAsync(server.ConnectionString, new DatabaseOptions { MaxConnections = 2 });
            var error = await Assert.ThrowsAnyAsync<Exception>(async () => await db.TransactionAsync(async c =>
            {
                int pid = await c.ScalarAsync<int>("SELECT pg_backend_pid()");
                Assert.True(await db.ScalarAsync<bool>("SELECT pg_terminate_backend($1)", pid));
                await c.ScalarAsync<int>("SELECT 1");
            }));
            var fatal = Assert.IsType<PostgresException>(error);
            Assert.Equal(PostgresErrorCodes.AdminShutdown, fatal.SqlState);
            Assert.Equal(1, await db.ScalarAsync<int>("SELECT 1"));

            // Killed just before the commit: the commit reports it.
            var atCommit = await Assert.ThrowsAnyAsync<Exception>(async () => await db.TransactionAsync(async c =>
            {
                int pid = await c.ScalarAsync<int>("SELECT pg_backend_pid()");
                Assert.True(await db.ScalarAsync<bool>("SELECT pg_terminate_backend($1)", pid));
            }));
            Assert.Equal(PostgresErrorCodes.AdminShutdown, Assert.IsType<PostgresException>(atCommit).SqlState);

            // Killed under a transaction taken by hand: disposing it and the connection is quiet.
            await using (DatabaseConnection connection = await db.ConnectAsync())
            {
                await using DatabaseTransaction tx = await connection.BeginTransactionAsync();
                int pid = await connection.ScalarAsync<int>("SELECT pg_backend_pid()");
                Assert.True(await db.ScalarAsync<bool>("SELECT pg_terminate_backend($1)", pid));
                await Assert.ThrowsAsync<PostgresException>(async () => await connection.ExecuteAsync("SELECT 1"));
            }

            Assert.Equal(2, await db.ScalarAsync<int>("SELECT 2"));
        });
    }

    [Fact]
    public void ListenAsync_CancelledWhileWaiting_GivesTheConnectionBack()
    {
        string channel = "chan_" + Guid.NewGuid().ToString("N");
        GuardedLoop.Run(async _ =>
        {
            await using var db = (PostgresDatabase)await Database.OpenAsync(server.ConnectionString, new DatabaseOptions { MaxConnections = 1 });
            bool started = false;
            AioTask listening = AsyncIO.CreateTask(Listen());
            await AsyncIO.Sleep(0.3);
            Assert.False(listening.IsDone);
            listening.Cancel();
            await Assert.ThrowsAsync<CancelledException>(async () => await listening);
            Assert.False(started);
            Assert.Equal(0, await db.ScalarAsync<int>("SELECT count(*) FROM pg_listening_channels()"));

            async Coroutine Listen()
            {
                await foreach (DatabaseNotification notification in db.ListenAsync(channel))
                {
                    started = true;
                }
            }
        });
    }

    [Fact]
    public void Cancellation_OfAStatementInATransaction_RollsItBack_AndOfAWaitForThePool_EndsTheWait()
    {
        RunWithTable("tx_cancel_statement", "(v int)", async (db, table) =>
        {
            var inserted = new AsyncEvent();
            AioTask work = AsyncIO.CreateTask(db.TransactionAsync(async c =>
            {
                await c.ExecuteAsync($"INSERT INTO {table} VALUES (1)");
                inserted.Set();
                await c.ExecuteAsync("SELECT pg_sleep(10)");
            }));
            await inserted.WaitAsync();
            await AsyncIO.Sleep(0.1);
            work.Cancel();
            await Assert.ThrowsAsync<CancelledException>(async () => await work);
            Assert.Equal(0, await db.ScalarAsync<int>($"SELECT count(*) FROM {table}"));

            // Both connections taken: a third task waits for one, and cancelling it ends the wait.
            await using DatabaseConnection first = await db.ConnectAsync();
            await using DatabaseConnection second = await db.ConnectAsync();
            AioTask<DatabaseConnection> waiting = AsyncIO.CreateTask(db.ConnectAsync());
            await AsyncIO.Sleep(0.1);
            Assert.False(waiting.IsDone);
            var clock = Stopwatch.StartNew();
            waiting.Cancel();
            await Assert.ThrowsAsync<CancelledException>(async () => await waiting);
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1), $"the wait ended {clock.Elapsed.TotalMilliseconds:F0} ms after the cancel");
            await second.DisposeAsync();
            Assert.Equal(1, await db.ScalarAsync<int>("SELECT 1"));
        }, options: new DatabaseOptions { MaxConnections = 2 });
    }

    [Fact]
    public void ExecuteManyAsync_InsertsAThousandRowsInOneCall()
    {
        RunWithTable("many", "(id int PRIMARY KEY, name text NOT NULL)", async (db, table) =>
        {
            await using DatabaseConnection connection = await db.ConnectAsync();
            int changed = await connection.ExecuteManyAsync(
                $"INSERT INTO {table} VALUES ($1, $2)",
                Enumerable.Range(1, 1000).Select(i => new object?[] { i, "n" + i }));
            Assert.Equal(1000, changed);
            Assert.Equal(1000, await db.ScalarAsync<int>($"SELECT count(*) FROM {table}"));
            Assert.Equal(500_500L, await db.ScalarAsync<long>($"SELECT sum(id) FROM {table}"));
            Assert.Equal("n777", await db.ScalarAsync<string>($"SELECT name FROM {table} WHERE id = $1", 777));
            Assert.Equal(0, await connection.ExecuteManyAsync($"INSERT INTO {table} VALUES ($1, $2)", []));
        });
    }

    [Fact]
    public void RunAsync_AsyncCodeRunsOnTheLoop_SyncCodeRunsOffIt()
    {
        GuardedLoop.Run(async _ =>
        {
            int loopThread = Environment.CurrentManagedThreadId;
            await using Database db = await Database.OpenAsync(server.ConnectionString);
            await using DatabaseConnection connection = await db.ConnectAsync();

            (long value, int before, int after) = await connection.RunAsync(async (c, token) =>
            {
                int before = Environment.CurrentManagedThreadId;
                await using var command = (NpgsqlCommand)c.CreateCommand();
                command.CommandText = "SELECT $1::bigint * 3";
                command.Parameters.Add(new NpgsqlParameter { Value = 14L });
                long value = (long)(await command.ExecuteScalarAsync(token))!;
                return (value, before, Environment.CurrentManagedThreadId);
            });
            Assert.Equal(42, value);
            Assert.Equal(loopThread, before);
            Assert.Equal(loopThread, after);

            (int pid, int thread) = await connection.RunAsync(c =>
            {
                using var command = c.CreateCommand();
                command.CommandText = "SELECT pg_backend_pid()";
                return ((int)command.ExecuteScalar()!, Environment.CurrentManagedThreadId);
            });
            Assert.NotEqual(loopThread, thread);
            Assert.Equal(await connection.ScalarAsync<int>("SELECT pg_backend_pid()"), pid);
        });
    }
}
