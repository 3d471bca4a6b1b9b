using System.Diagnostics;
using Aio.Data;

namespace Aio.Bench;

/// <summary>
/// The <c>db</c> suite on Aio's loop with Aio.Data: point selects on PostgreSQL from a shared pool,
/// inserts in transactions into a fresh SQLite file, and point reads from SQLite's read-only connections.
/// Every figure is operations per second; see <see cref="DbWorkload"/> and <see cref="Harness"/>.
/// </summary>
internal static class AioDb
{
    public static readonly string[] Benchmarks = [DbArgs.PgSelectByPk, DbArgs.SqliteInsertTx100, DbArgs.SqlitePointRead];

    public static int Run(IEnumerable<string> args)
    {
        DbArgs? parsed = DbArgs.Parse(args, Benchmarks);
        if (parsed is null)
        {
            return 2;
        }

        if (parsed.Pg is null && parsed.Only.Includes(DbArgs.PgSelectByPk))
        {
            if (!parsed.Only.IsEmpty)
            {
                Console.Error.WriteLine($"error: {DbArgs.PgSelectByPk} needs --pg CONNECTION");
                return 2;
            }

            Console.Error.WriteLine($"no --pg CONNECTION: skipping {DbArgs.PgSelectByPk}");
        }

        AsyncIO.Run(Suite(parsed));
        return 0;
    }

    private static async Coroutine Suite(DbArgs args)
    {
        if (args.Pg is not null && args.Only.Includes(DbArgs.PgSelectByPk))
        {
            await using Database db = await Database.OpenAsync(args.Pg, new DatabaseOptions { MaxConnections = DbWorkload.PgConnections });
            foreach (string sql in DbWorkload.PgSetup)
            {
                await db.ExecuteAsync(sql);
            }

            int[] ids = DbWorkload.RandomIds(DbWorkload.PgSelects, DbWorkload.PgRows, seed: 1);
            double[] best = await Harness.MeasureAsync(DbArgs.PgSelectByPk, () => SelectRun(db, ids));
            Harness.Report(DbArgs.PgSelectByPk, DbWorkload.OpsPerSecond(best[0]), "ops/s");
        }

        if (args.Only.Includes(DbArgs.SqliteInsertTx100))
        {
            double[] best = await Harness.MeasureAsync(DbArgs.SqliteInsertTx100, InsertRun);
            Harness.Report(DbArgs.SqliteInsertTx100, DbWorkload.OpsPerSecond(best[0]), "ops/s");
        }

        if (args.Only.Includes(DbArgs.SqlitePointRead))
        {
            string directory = DbWorkload.ScratchDirectory();
            try
            {
                string path = Path.Combine(directory, "reads.db");
                await using (Database writer = await Database.OpenAsync(path))
                {
                    await CreateAndFill(writer);
                }

                await using Database db = await Database.OpenAsync(path, new DatabaseOptions { MaxConnections = DbWorkload.SqliteReaders });
                int[] ids = DbWorkload.RandomIds(DbWorkload.SqliteReads, DbWorkload.SqliteInserts, seed: 2);
                double[] best = await Harness.MeasureAsync(DbArgs.SqlitePointRead, () => PointReadRun(db, ids));
                Harness.Report(DbArgs.SqlitePointRead, DbWorkload.OpsPerSecond(best[0]), "ops/s");
            }
            finally
            {
                Directory.Delete(directory, recursive: true);
            }
        }
    }

    // ---- PostgreSQL -----------------------------------------------------------------------------

    /// <summary>PgTasks tasks share the pool and select PgSelects rows between them by primary key.</summary>
    private static async Coroutine<double[]> SelectRun(Database db, int[] ids)
    {
        var tasks = new Future[DbWorkload.PgTasks];
        int share = ids.Length / tasks.Length;
        long start = Stopwatch.GetTimestamp();
        for (int t = 0; t < tasks.Length; t++)
        {
            tasks[t] = AsyncIO.CreateTask(Select(db, ids, t * share, share));
        }

        await AsyncIO.Gather(tasks);
        long end = Stopwatch.GetTimestamp();
        return [Harness.NsPerOp(start, end, share * tasks.Length)];
    }

    private static async Coroutine Select(Database db, int[] ids, int from, int count)
    {
        for (int i = from; i < from + count; i++)
        {
            int id = ids[i];
            List<DbRow> rows = await db.FetchAsync(DbWorkload.PgSelect, id);
            DbWorkload.CheckRow(id, rows[0].Get<string>(0), rows[0].Get<double>(1));
        }
    }

    // ---- SQLite ---------------------------------------------------------------------------------

    /// <summary>A fresh write-ahead-logged file with its table; only the inserts are timed.</summary>
    private static async Coroutine<double[]> InsertRun()
    {
        string directory = DbWorkload.ScratchDirectory();
        try
        {
            await using Database db = await Database.OpenAsync(Path.Combine(directory, "inserts.db"));
            await db.ExecuteAsync(DbWorkload.SqliteCreate);
            long start = Stopwatch.GetTimestamp();
            await Insert(db);
            long end = Stopwatch.GetTimestamp();
            return [Harness.NsPerOp(start, end, DbWorkload.SqliteInserts)];
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static async Coroutine CreateAndFill(Database db)
    {
        await db.ExecuteAsync(DbWorkload.SqliteCreate);
        await Insert(db);
    }

    /// <summary>SqliteInserts single-row inserts, committed every SqliteTransactionSize.</summary>
    private static async Coroutine Insert(Database db)
    {
        await using DatabaseConnection connection = await db.ConnectAsync();
        for (int first = 1; first <= DbWorkload.SqliteInserts; first += DbWorkload.SqliteTransactionSize)
        {
            await InsertTransaction(connection, first);
        }
    }

    // A coroutine per transaction, so the JIT sees it called often enough to reach the final tier.
    private static async Coroutine InsertTransaction(DatabaseConnection connection, int first)
    {
        await using DatabaseTransaction transaction = await connection.BeginTransactionAsync();
        for (int id = first; id < first + DbWorkload.SqliteTransactionSize; id++)
        {
            await connection.ExecuteAsync(DbWorkload.SqliteInsert, id, DbWorkload.RowName(id), DbWorkload.RowValue(id));
        }

        await transaction.CommitAsync();
    }

    /// <summary>SqliteReaders tasks read SqliteReads rows between them by primary key, each read a
    /// statement of its own on whichever read-only connection the database gives it.</summary>
    private static async Coroutine<double[]> PointReadRun(Database db, int[] ids)
    {
        var tasks = new Future[DbWorkload.SqliteReaders];
        int share = ids.Length / tasks.Length;
        long start = Stopwatch.GetTimestamp();
        for (int t = 0; t < tasks.Length; t++)
        {
            tasks[t] = AsyncIO.CreateTask(PointRead(db, ids, t * share, share));
        }

        await AsyncIO.Gather(tasks);
        long end = Stopwatch.GetTimestamp();
        return [Harness.NsPerOp(start, end, share * tasks.Length)];
    }

    private static async Coroutine PointRead(Database db, int[] ids, int from, int count)
    {
        for (int i = from; i < from + count; i++)
        {
            int id = ids[i];
            List<DbRow> rows = await db.FetchAsync(DbWorkload.SqliteSelect, id);
            DbWorkload.CheckRow(id, rows[0].Get<string>(0), rows[0].Get<double>(1));
        }
    }
}
