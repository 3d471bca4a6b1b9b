using System.Data.Common;
using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Aio;
using Aio.Data;
using Aio.Queues;
using Aio.Sync;

namespace DataPipeline;

/// <summary>What the command line chose.</summary>
internal sealed record PipelineOptions
{
    /// <summary>A SQLite file, or an Npgsql connection string.</summary>
    public required string Database { get; init; }

    /// <summary>How many rows to seed the source table with when it is missing or empty.</summary>
    public int Rows { get; init; } = 100_000;

    /// <summary>How many worker tasks transform rows.</summary>
    public int Workers { get; init; } = 4;

    /// <summary>How many results go in one transaction.</summary>
    public int Batch { get; init; } = 500;

    /// <summary>How many transforms may run on threads at once: the capacity limiter's tokens.</summary>
    public int Threads { get; init; } = Environment.ProcessorCount;
}

/// <summary>The counters the stages advance and the reporter prints; loop thread only, so no locks.</summary>
internal sealed class Progress
{
    public long Read { get; set; }

    public long Transformed { get; set; }

    public long Written { get; set; }
}

/// <summary>The final line.</summary>
internal sealed record Summary(long Read, long Written, double Seconds)
{
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"done: {Read} rows read, {Written} written in {Seconds:F2} s ({Written / Math.Max(Seconds, 1e-9):F0} rows/s)");
}

/// <summary>A row of the source table.</summary>
internal readonly record struct SourceRow(long Id, string Payload, double Amount);

/// <summary>A row of the results table.</summary>
internal readonly record struct ResultRow(long Id, string Digest, int Words, double AmountGross);

/// <summary>The pipeline: producer → workers → writer, with bounded queues between them.</summary>
internal static class Pipeline
{
    /// <summary>Rows handed to a worker at once: enough to make a trip to a thread worth it.</summary>
    private const int ChunkSize = 100;

    private const string SelectSource = "SELECT id, payload, amount FROM source ORDER BY id";
    private const string InsertResult = "INSERT INTO results (id, digest, words, amount_gross) VALUES ($1, $2, $3, $4)";

    public static async Coroutine<Summary> RunAsync(PipelineOptions options, Progress progress)
    {
        await using Database db = await Database.OpenAsync(options.Database);
        Console.WriteLine($"database: {Describe(db.Kind, options.Database)}");
        await SourceTable.PrepareAsync(db, options.Rows);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"pipeline: {options.Workers} workers, {options.Threads} transforms at once, batches of {options.Batch}"));

        var stopwatch = Stopwatch.StartNew();
        AioTask reporter = AsyncIO.CreateTask(ReportAsync(progress, stopwatch), "reporter");
        try
        {
            // Bounded: a fast producer waits for the workers, fast workers wait for the writer.
            var chunks = new AsyncQueue<SourceRow[]>(options.Workers * 2);
            var results = new AsyncQueue<ResultRow[]>(options.Workers * 2);
            var limiter = new CapacityLimiter(options.Threads);
            int workersLeft = options.Workers;

            // The first stage to fail cancels the others; cancelling the run cancels them all.
            await AsyncIO.TaskGroup(async group =>
            {
                group.StartSoon(ProduceAsync(db, chunks, progress), "producer");
                for (int i = 0; i < options.Workers; i++)
                {
                    group.StartSoon(TransformAsync(chunks, results, limiter, progress, () =>
                    {
                        // The last worker out tells the writer that nothing more is coming.
                        if (--workersLeft == 0)
                        {
                            results.Shutdown();
                        }
                    }), $"worker-{i}");
                }

                await WriteAsync(db, results, options.Batch, progress);
            });
        }
        finally
        {
            reporter.Cancel();
            try
            {
                await reporter;
            }
            catch (CancelledException)
            {
            }
        }

        return new Summary(progress.Read, progress.Written, stopwatch.Elapsed.TotalSeconds);
    }

    /// <summary>Streams the source table into chunks of rows.</summary>
    private static async Coroutine ProduceAsync(Database db, AsyncQueue<SourceRow[]> chunks, Progress progress)
    {
        var chunk = new List<SourceRow>(ChunkSize);
        await foreach (DbRow row in db.QueryAsync(SelectSource))
        {
            chunk.Add(new SourceRow(row.Get<long>(0), row.Get<string>(1)!, row.Get<double>(2)));
            progress.Read++;
            if (chunk.Count == ChunkSize)
            {
                await chunks.PutAsync([.. chunk]);
                chunk.Clear();
            }
        }

        if (chunk.Count > 0)
        {
            await chunks.PutAsync([.. chunk]);
        }

        // The workers take what is left, then their loops end.
        chunks.Shutdown();
    }

    /// <summary>One worker: takes chunks until the producer is done, transforms each on a thread while
    /// holding one of the limiter's tokens, and passes the results on.</summary>
    private static async Coroutine TransformAsync(
        AsyncQueue<SourceRow[]> chunks, AsyncQueue<ResultRow[]> results, CapacityLimiter limiter, Progress progress, Action finished)
    {
        await foreach (SourceRow[] chunk in chunks)
        {
            ResultRow[] transformed;
            using (await limiter.LockAsync())
            {
                transformed = await AsyncIO.ToThread(() => Transform(chunk));
            }

            progress.Transformed += transformed.Length;
            await results.PutAsync(transformed);
        }

        finished();
    }

    /// <summary>The work itself, off the loop: cheap, but real.</summary>
    private static ResultRow[] Transform(SourceRow[] chunk)
    {
        var transformed = new ResultRow[chunk.Length];
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        for (int i = 0; i < chunk.Length; i++)
        {
            SourceRow row = chunk[i];
            SHA256.HashData(Encoding.UTF8.GetBytes(row.Payload), hash);
            int words = row.Payload.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length;
            transformed[i] = new ResultRow(row.Id, Convert.ToHexStringLower(hash), words, Math.Round(row.Amount * 1.2, 2));
        }

        return transformed;
    }

    /// <summary>Stores the results, <paramref name="batchSize"/> rows per transaction, on one connection.</summary>
    private static async Coroutine WriteAsync(Database db, AsyncQueue<ResultRow[]> results, int batchSize, Progress progress)
    {
        await using DatabaseConnection connection = await db.ConnectAsync();
        var batch = new List<object?[]>(batchSize);
        await foreach (ResultRow[] chunk in results)
        {
            foreach (ResultRow row in chunk)
            {
                batch.Add([row.Id, row.Digest, row.Words, row.AmountGross]);
                if (batch.Count == batchSize)
                {
                    await FlushAsync(connection, batch, progress);
                }
            }
        }

        await FlushAsync(connection, batch, progress);
    }

    private static async Coroutine FlushAsync(DatabaseConnection connection, List<object?[]> batch, Progress progress)
    {
        if (batch.Count == 0)
        {
            return;
        }

        await connection.TransactionAsync(async c => await c.ExecuteManyAsync(InsertResult, batch));
        progress.Written += batch.Count;
        batch.Clear();
    }

    /// <summary>A progress line every second, with the rate since the previous one.</summary>
    private static async Coroutine ReportAsync(Progress progress, Stopwatch stopwatch)
    {
        long lastWritten = 0;
        double lastSeconds = 0;
        while (true)
        {
            await AsyncIO.Sleep(1.0);
            double seconds = stopwatch.Elapsed.TotalSeconds;
            long written = progress.Written;
            double rate = (written - lastWritten) / Math.Max(seconds - lastSeconds, 1e-9);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"[{seconds,5:F1} s] read {progress.Read}, transformed {progress.Transformed}, written {written} ({rate:F0} rows/s)"));
            lastWritten = written;
            lastSeconds = seconds;
        }
    }

    /// <summary>The database for the first line, without a password.</summary>
    private static string Describe(DatabaseKind kind, string connectionString)
    {
        if (kind != DatabaseKind.Postgres)
        {
            return $"SQLite, {connectionString}";
        }

        var builder = new DbConnectionStringBuilder { ConnectionString = connectionString };
        string host = builder.TryGetValue("Host", out object? h) ? h.ToString()! : "?";
        string database = builder.TryGetValue("Database", out object? d) ? d.ToString()! : "(default)";
        return $"PostgreSQL, host {host}, database {database}";
    }
}
