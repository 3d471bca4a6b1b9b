using System.Diagnostics;
using Microsoft.Data.Sqlite;

namespace Aio.Bench;

/// <summary>
/// The SQLite workloads of the <c>db</c> suite done the plain synchronous way: Microsoft.Data.Sqlite
/// called on one thread, no loop, no thread hop, one prepared command per statement. Not a way to serve
/// anything (it blocks its thread for every statement); it is the floor that a hop to a connection's
/// thread is added to, as the C server is for the echo benchmark. Same files, SQL, ids and counts as
/// <see cref="AioDb"/>; the reads come from one connection, since one thread can use only one at a time.
/// </summary>
internal static class DirectSqlite
{
    public static readonly string[] Benchmarks = [DbArgs.SqliteInsertTx100, DbArgs.SqlitePointRead];

    public static int Run(IEnumerable<string> args)
    {
        DbArgs? parsed = DbArgs.Parse(args, Benchmarks);
        if (parsed is null)
        {
            return 2;
        }

        if (parsed.Only.Includes(DbArgs.SqliteInsertTx100))
        {
            double[] best = Harness.Measure(DbArgs.SqliteInsertTx100, () =>
            {
                string directory = DbWorkload.ScratchDirectory();
                try
                {
                    using SqliteConnection connection = Open(Path.Combine(directory, "inserts.db"), readOnly: false);
                    Execute(connection, DbWorkload.SqliteCreate);
                    long start = Stopwatch.GetTimestamp();
                    Insert(connection);
                    long end = Stopwatch.GetTimestamp();
                    return [Harness.NsPerOp(start, end, DbWorkload.SqliteInserts)];
                }
                finally
                {
                    Directory.Delete(directory, recursive: true);
                }
            });
            Harness.Report(DbArgs.SqliteInsertTx100, DbWorkload.OpsPerSecond(best[0]), "ops/s");
        }

        if (parsed.Only.Includes(DbArgs.SqlitePointRead))
        {
            string directory = DbWorkload.ScratchDirectory();
            try
            {
                string path = Path.Combine(directory, "reads.db");
                using (SqliteConnection writer = Open(path, readOnly: false))
                {
                    Execute(writer, DbWorkload.SqliteCreate);
                    Insert(writer);
                }

                using SqliteConnection reader = Open(path, readOnly: true);
                int[] ids = DbWorkload.RandomIds(DbWorkload.SqliteReads, DbWorkload.SqliteInserts, seed: 2);
                double[] best = Harness.Measure(DbArgs.SqlitePointRead, () => Read(reader, ids));
                Harness.Report(DbArgs.SqlitePointRead, DbWorkload.OpsPerSecond(best[0]), "ops/s");
            }
            finally
            {
                Directory.Delete(directory, recursive: true);
            }
        }

        return 0;
    }

    private static SqliteConnection Open(string path, bool readOnly)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = readOnly ? SqliteOpenMode.ReadOnly : SqliteOpenMode.ReadWriteCreate,
            Pooling = false,
        }.ToString());
        connection.Open();
        if (!readOnly)
        {
            Execute(connection, "PRAGMA journal_mode = WAL");
        }

        return connection;
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using SqliteCommand command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private static void Insert(SqliteConnection connection)
    {
        using SqliteCommand command = connection.CreateCommand();
        command.CommandText = DbWorkload.SqliteInsert;
        SqliteParameter id = command.Parameters.Add("$1", SqliteType.Integer);
        SqliteParameter name = command.Parameters.Add("$2", SqliteType.Text);
        SqliteParameter value = command.Parameters.Add("$3", SqliteType.Real);
        for (int first = 1; first <= DbWorkload.SqliteInserts; first += DbWorkload.SqliteTransactionSize)
        {
            using SqliteTransaction transaction = connection.BeginTransaction();
            command.Transaction = transaction;
            for (int row = first; row < first + DbWorkload.SqliteTransactionSize; row++)
            {
                id.Value = row;
                name.Value = DbWorkload.RowName(row);
                value.Value = DbWorkload.RowValue(row);
                command.ExecuteNonQuery();
            }

            transaction.Commit();
        }
    }

    private static double[] Read(SqliteConnection connection, int[] ids)
    {
        using SqliteCommand command = connection.CreateCommand();
        command.CommandText = DbWorkload.SqliteSelect;
        SqliteParameter parameter = command.Parameters.Add("$1", SqliteType.Integer);
        long start = Stopwatch.GetTimestamp();
        foreach (int id in ids)
        {
            parameter.Value = id;
            using SqliteDataReader reader = command.ExecuteReader();
            reader.Read();
            DbWorkload.CheckRow(id, reader.GetString(0), reader.GetDouble(1));
        }

        long end = Stopwatch.GetTimestamp();
        return [Harness.NsPerOp(start, end, ids.Length)];
    }
}
