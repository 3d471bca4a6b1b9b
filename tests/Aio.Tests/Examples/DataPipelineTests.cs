using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Aio.Data;
using Aio.Tests.Support;

namespace Aio.Tests.Examples;

/// <summary>What examples/DataPipeline's runs have in common: the summary line and the tables they leave.</summary>
internal static partial class DataPipelineRuns
{
    public const string Project = "DataPipeline";

    /// <summary>Asserts a successful run of <paramref name="rows"/> rows, then that the results table holds
    /// one correct result per source row.</summary>
    public static void AssertCompleted(ExampleRun run, string database, int rows)
    {
        Assert.True(run.ExitCode == 0, $"exit code {run.ExitCode}\n{string.Join('\n', run.Lines)}\n{run.Stderr}");
        Assert.Equal(string.Empty, run.Stderr);
        Match summary = Summary().Match(run.Lines[^1]);
        Assert.True(summary.Success, "no summary line at the end:\n" + string.Join('\n', run.Lines));
        Assert.Equal(rows.ToString(System.Globalization.CultureInfo.InvariantCulture), summary.Groups["read"].Value);
        Assert.Equal(summary.Groups["read"].Value, summary.Groups["written"].Value);

        GuardedLoop.Run(async _ =>
        {
            await using Database db = await Database.OpenAsync(database);
            Assert.Equal(rows, await db.ScalarAsync<long>("SELECT COUNT(*) FROM results"));
            Assert.Equal(rows, await db.ScalarAsync<long>("SELECT COUNT(*) FROM results r JOIN source s ON s.id = r.id"));
            foreach (DbRow row in await db.FetchAsync(
                "SELECT s.payload, s.amount, r.digest, r.words, r.amount_gross FROM source s JOIN results r ON r.id = s.id WHERE s.id IN ($1, $2)",
                1L, (long)rows))
            {
                string payload = row.Get<string>(0)!;
                Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(payload))), row.Get<string>(2));
                Assert.Equal(payload.Split(' ').Length, row.Get<int>(3));
                Assert.Equal(Math.Round(row.Get<double>(1) * 1.2, 2), row.Get<double>(4), 6);
            }
        });
    }

    [GeneratedRegex(@"^done: (?<read>\d+) rows read, (?<written>\d+) written in \d+\.\d\d s \(\d+ rows/s\)$")]
    private static partial Regex Summary();
}

/// <summary>examples/DataPipeline on SQLite, its default, as a user runs it.</summary>
public sealed class DataPipelineTests
{
    [Fact]
    public async Task Sqlite_SeedsTransformsAndWritesEveryRow_AndARerunStartsTheResultsAfresh()
    {
        using var directory = new TempDirectory();
        string database = directory.File("pipeline.db");

        // A batch size that does not divide the row count: the last, partial batch is written too.
        ExampleRun first = await ExampleProcess.RunAsync(DataPipelineRuns.Project,
            "--db", database, "--rows", "2000", "--workers", "3", "--batch", "300");
        Assert.Contains("source: seeding 2000 rows", first.Lines);
        DataPipelineRuns.AssertCompleted(first, database, 2000);

        ExampleRun second = await ExampleProcess.RunAsync(DataPipelineRuns.Project,
            "--db", database, "--rows", "5000", "--workers", "1", "--batch", "2000");
        Assert.Contains("source: 2000 rows already there", second.Lines);
        DataPipelineRuns.AssertCompleted(second, database, 2000);
    }

    [Fact]
    public async Task CtrlC_StopsTheRunCleanly_WithStatus130()
    {
        using var directory = new TempDirectory();
        using Process pipeline = ExampleProcess.Start(DataPipelineRuns.Project,
            "--db", directory.File("pipeline.db"), "--rows", "50000", "--workers", "1", "--threads", "1", "--batch", "100");
        try
        {
            // Signalled as the pipeline starts: 50000 rows cannot be through it yet. A hang ends with the
            // kill below, which ends the output.
            using var hang = new Timer(_ => pipeline.Kill(entireProcessTree: true), null, TimeSpan.FromSeconds(60), Timeout.InfiniteTimeSpan);
            string? line;
            do
            {
                line = pipeline.StandardOutput.ReadLine();
                if (line is null)
                {
                    Assert.Fail("the pipeline exited before it started: " + await pipeline.StandardError.ReadToEndAsync());
                }
            }
            while (!line.StartsWith("pipeline:", StringComparison.Ordinal));

            // Ctrl+C.
            Native.SendSignal(pipeline.Id, 2);
            Assert.True(pipeline.WaitForExit(20_000), "the pipeline did not exit within 20 s of SIGINT");
            string rest = await pipeline.StandardOutput.ReadToEndAsync();
            Assert.True(pipeline.ExitCode == 130, $"exit code {pipeline.ExitCode}; after the signal:\n{rest}");
            Assert.Matches(@"^interrupted: \d+ rows read, \d+ written$", rest.Split('\n')[^2]);
            Assert.Equal(string.Empty, await pipeline.StandardError.ReadToEndAsync());
        }
        finally
        {
            if (!pipeline.HasExited)
            {
                pipeline.Kill(entireProcessTree: true);
            }
        }
    }

    [Fact]
    public async Task BadArgument_ExitsWithUsage()
    {
        ExampleRun run = await ExampleProcess.RunAsync(DataPipelineRuns.Project, "--rows", "many");
        Assert.Equal(2, run.ExitCode);
        Assert.Contains("usage: DataPipeline", run.Stderr);
    }
}

/// <summary>The same program on PostgreSQL: only the connection string changes.</summary>
[Collection(PostgresCollection.Name)]
public sealed class DataPipelinePostgresTests(PostgresServer server)
{
    [Fact]
    public async Task Postgres_SeedsTransformsAndWritesEveryRow()
    {
        // A schema of its own, so that the tables of other runs on a shared server never count.
        string schema = "pipeline_" + Guid.NewGuid().ToString("N");
        Execute(server.ConnectionString, $"CREATE SCHEMA {schema}");
        try
        {
            string database = server.ConnectionString.TrimEnd(';') + ";Search Path=" + schema;
            ExampleRun run = await ExampleProcess.RunAsync(DataPipelineRuns.Project,
                "--db", database, "--rows", "2000", "--workers", "3", "--batch", "300");
            Assert.Contains(run.Lines, line => line.StartsWith("database: PostgreSQL", StringComparison.Ordinal));
            Assert.Contains("source: seeding 2000 rows", run.Lines);
            DataPipelineRuns.AssertCompleted(run, database, 2000);
        }
        finally
        {
            Execute(server.ConnectionString, $"DROP SCHEMA {schema} CASCADE");
        }
    }

    private static void Execute(string connectionString, string sql) => GuardedLoop.Run(async _ =>
    {
        await using Database db = await Database.OpenAsync(connectionString);
        await db.ExecuteAsync(sql);
    });
}
