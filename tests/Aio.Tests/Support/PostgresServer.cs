using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Aio.Tests.Support;

/// <summary>
/// A real PostgreSQL server for the tests that need one: the one named by <c>AIO_TEST_POSTGRES</c> (an
/// Npgsql connection string; <c>.ci/run</c> starts a cluster and sets it), or else a throwaway cluster
/// that this fixture starts with <c>scripts/pg-cluster.sh</c> on a free port and removes when the tests
/// are done. No server is a failure, never a skip.
/// </summary>
public sealed class PostgresServer : IDisposable
{
    private readonly string? _clusterDir;

    public PostgresServer()
    {
        string? given = Environment.GetEnvironmentVariable("AIO_TEST_POSTGRES");
        if (!string.IsNullOrEmpty(given))
        {
            ConnectionString = given;
            return;
        }

        _clusterDir = Directory.CreateTempSubdirectory("aio-pg-").FullName;
        int port = FreePort();
        string script = Path.Combine(Repository.Root, "scripts", "pg-cluster.sh");
        var (status, output, error) = RunScript(script, "start", _clusterDir, port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (status != 0)
        {
            throw new InvalidOperationException(
                $"No PostgreSQL server for the tests: set AIO_TEST_POSTGRES, or install PostgreSQL's server (apt-get install postgresql) so that {script} can start one.\n{error}");
        }

        ConnectionString = output.Trim();
    }

    /// <summary>The Npgsql connection string of the server's <c>postgres</c> database.</summary>
    public string ConnectionString { get; }

    public void Dispose()
    {
        if (_clusterDir is not null)
        {
            RunScript(Path.Combine(Repository.Root, "scripts", "pg-cluster.sh"), "stop", _clusterDir);
        }
    }

    private static (int Status, string Output, string Error) RunScript(string script, params string[] args)
    {
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(script);
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using Process process = Process.Start(start)!;
        Task<string> error = process.StandardError.ReadToEndAsync();
        string output = process.StandardOutput.ReadToEnd();
        if (!process.WaitForExit(60_000))
        {
            process.Kill(entireProcessTree: true);
            return (-1, output, "timed out after 60 s");
        }

        return (process.ExitCode, output, error.GetAwaiter().GetResult());
    }

    private static int FreePort()
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)probe.LocalEndPoint!).Port;
    }

}

/// <summary>The tests that share one PostgreSQL server.</summary>
[CollectionDefinition(Name)]
public sealed class PostgresCollection : ICollectionFixture<PostgresServer>
{
    /// <summary>The collection's name.</summary>
    public const string Name = "PostgreSQL";
}
