using System.Diagnostics;
using Npgsql;

namespace Aio.Bench;

/// <summary>
/// <c>pg_select_by_pk</c> of the <c>db</c> suite in plain .NET, as a reference: an
/// <see cref="NpgsqlDataSource"/> pooling the same number of connections, and as many
/// <see cref="Task.Run(Func{Task})"/> workers as Aio has tasks, each making asynchronous Npgsql calls on
/// the thread pool; same table, ids and counts. See <see cref="DbWorkload"/> and <see cref="Harness"/>.
/// </summary>
/// <remarks>Each select takes a connection from the pool and gives it back, as Aio's
/// <c>Database.FetchAsync</c> and asyncpg's <c>Pool.fetchrow</c> do.</remarks>
internal static class DotnetDb
{
    public static readonly string[] Benchmarks = [DbArgs.PgSelectByPk];

    public static int Run(IEnumerable<string> args)
    {
        DbArgs? parsed = DbArgs.Parse(args, Benchmarks);
        if (parsed is null)
        {
            return 2;
        }

        if (parsed.Pg is null)
        {
            Console.Error.WriteLine("error: db-dotnet needs --pg CONNECTION");
            return 2;
        }

        var builder = new NpgsqlDataSourceBuilder(parsed.Pg);
        builder.ConnectionStringBuilder.MaxPoolSize = DbWorkload.PgConnections;
        builder.ConnectionStringBuilder.Enlist = false;
        using NpgsqlDataSource dataSource = builder.Build();
        foreach (string sql in DbWorkload.PgSetup)
        {
            using NpgsqlCommand command = dataSource.CreateCommand(sql);
            command.ExecuteNonQuery();
        }

        int[] ids = DbWorkload.RandomIds(DbWorkload.PgSelects, DbWorkload.PgRows, seed: 1);
        double[] best = Harness.Measure(DbArgs.PgSelectByPk, () => SelectRun(dataSource, ids).GetAwaiter().GetResult());
        Harness.Report(DbArgs.PgSelectByPk, DbWorkload.OpsPerSecond(best[0]), "ops/s");
        return 0;
    }

    private static async Task<double[]> SelectRun(NpgsqlDataSource dataSource, int[] ids)
    {
        var workers = new Task[DbWorkload.PgTasks];
        int share = ids.Length / workers.Length;
        long start = Stopwatch.GetTimestamp();
        for (int t = 0; t < workers.Length; t++)
        {
            int from = t * share;
            workers[t] = Task.Run(() => Select(dataSource, ids, from, share));
        }

        await Task.WhenAll(workers);
        long end = Stopwatch.GetTimestamp();
        return [Harness.NsPerOp(start, end, share * workers.Length)];
    }

    private static async Task Select(NpgsqlDataSource dataSource, int[] ids, int from, int count)
    {
        for (int i = from; i < from + count; i++)
        {
            int id = ids[i];
            await using NpgsqlConnection connection = await dataSource.OpenConnectionAsync();
            await using var command = new NpgsqlCommand(DbWorkload.PgSelect, connection);
            command.Parameters.Add(new NpgsqlParameter { Value = id });
            await using NpgsqlDataReader reader = await command.ExecuteReaderAsync();
            if (!await reader.ReadAsync())
            {
                throw new InvalidOperationException($"Row {id} is missing.");
            }

            DbWorkload.CheckRow(id, reader.GetString(0), reader.GetDouble(1));
        }
    }
}
