namespace Aio.Bench;

/// <summary>What the <c>db</c> suites measure, shared by Aio's (<see cref="AioDb"/>) and the plain .NET
/// reference (<see cref="DotnetDb"/>); <c>bench/python/db_bench.py</c> has the same counts and SQL.</summary>
/// <remarks>
/// <para>Every figure is operations per second, higher is better. A run returns nanoseconds per
/// operation, so that <see cref="Harness"/> keeps its rule (the lowest of the runs, since outside noise
/// only adds time); the reported figure is that best run turned into operations per second.</para>
/// <para>The ids each run reads are drawn once, before any run, with a fixed seed: every run reads the
/// same ids, and drawing them is not timed.</para>
/// </remarks>
internal static class DbWorkload
{
    public const string PgTable = "aio_bench_pk";
    public const int PgRows = 10_000;
    public const int PgSelects = 20_000;
    public const int PgTasks = 32;
    public const int PgConnections = 32;

    public const int SqliteInserts = 20_000;
    public const int SqliteTransactionSize = 100;
    public const int SqliteReads = 20_000;
    public const int SqliteReaders = 8;

    public static readonly string[] PgSetup =
    [
        $"DROP TABLE IF EXISTS {PgTable}",
        $"CREATE TABLE {PgTable} (id int PRIMARY KEY, name text NOT NULL, value double precision NOT NULL)",
        $"INSERT INTO {PgTable} (id, name, value) SELECT g, 'name-' || g, g * 0.5 FROM generate_series(1, {PgRows}) AS g",
        $"ANALYZE {PgTable}",
    ];

    public const string PgSelect = $"SELECT name, value FROM {PgTable} WHERE id = $1";

    public const string SqliteCreate = "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL, value REAL NOT NULL)";
    public const string SqliteInsert = "INSERT INTO items (id, name, value) VALUES ($1, $2, $3)";
    public const string SqliteSelect = "SELECT name, value FROM items WHERE id = $1";

    public static string RowName(int id) => "name-" + id;

    public static double RowValue(int id) => id * 0.5;

    /// <summary><paramref name="count"/> ids in 1 .. <paramref name="rows"/>, the same every time.</summary>
    public static int[] RandomIds(int count, int rows, int seed)
    {
        var random = new Random(seed);
        var ids = new int[count];
        for (int i = 0; i < ids.Length; i++)
        {
            ids[i] = random.Next(1, rows + 1);
        }

        return ids;
    }

    public static void CheckRow(int id, string? name, double value)
    {
        if (name != RowName(id) || value != RowValue(id))
        {
            throw new InvalidOperationException($"Row {id} read back as ({name}, {value}).");
        }
    }

    /// <summary>Operations per second from the best run's nanoseconds per operation.</summary>
    public static double OpsPerSecond(double nsPerOp) => 1e9 / nsPerOp;

    /// <summary>A fresh directory for SQLite files, under BENCH_DB_DIR if set (it must be on a real
    /// disk for the commits to cost what they do), else the system's temporary directory.</summary>
    public static string ScratchDirectory()
    {
        string parent = Environment.GetEnvironmentVariable("BENCH_DB_DIR") is { Length: > 0 } dir ? dir : Path.GetTempPath();
        string path = Path.Combine(parent, "aio-bench-db-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(path);
        return path;
    }
}

/// <summary>The command line of the <c>db</c> suites: <c>[--pg CONNECTION] [BENCH...]</c>.</summary>
internal sealed class DbArgs
{
    public const string PgSelectByPk = "pg_select_by_pk";
    public const string SqliteInsertTx100 = "sqlite_insert_tx100";
    public const string SqlitePointRead = "sqlite_point_read";

    private DbArgs(string? pg, BenchFilter only)
    {
        Pg = pg;
        Only = only;
    }

    /// <summary>The Npgsql connection string given with --pg, or null.</summary>
    public string? Pg { get; }

    public BenchFilter Only { get; }

    /// <summary>Reads the arguments after the suite's name; null (with a message) when they are wrong.</summary>
    public static DbArgs? Parse(IEnumerable<string> args, string[] known)
    {
        string? pg = null;
        var names = new List<string>();
        using IEnumerator<string> arg = args.GetEnumerator();
        while (arg.MoveNext())
        {
            if (arg.Current == "--pg")
            {
                if (!arg.MoveNext())
                {
                    Console.Error.WriteLine("error: --pg needs a connection string");
                    return null;
                }

                pg = arg.Current;
            }
            else if (Array.IndexOf(known, arg.Current) >= 0)
            {
                names.Add(arg.Current);
            }
            else
            {
                Console.Error.WriteLine($"error: unknown benchmark {arg.Current} (known: {string.Join(", ", known)})");
                return null;
            }
        }

        return new DbArgs(pg, new BenchFilter(names));
    }
}
