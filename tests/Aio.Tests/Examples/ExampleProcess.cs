using System.Diagnostics;
using System.Text;

namespace Aio.Tests.Examples;

/// <summary>What an example program did: its exit code and what it wrote.</summary>
public sealed record ExampleRun(int ExitCode, IReadOnlyList<string> Lines, string Stderr);

/// <summary>
/// Runs an example program's build output in a child process, the way a user runs it, so its real
/// console output and exit code are what the tests check.
/// </summary>
public static class ExampleProcess
{
    /// <summary>Far above any example's run time: reaching it means a hang, not a slow machine.</summary>
    private static readonly TimeSpan HangLimit = TimeSpan.FromSeconds(30);

    /// <summary>Runs <c>dotnet examples/{project}/bin/.../{project}.dll args...</c> to its end.</summary>
    public static async Task<ExampleRun> RunAsync(string project, params string[] args)
    {
        var start = new ProcessStartInfo
        {
            // The host running these tests, so the child uses the same runtime.
            FileName = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet",
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(FindOutput(project));
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using Process process = Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start.");
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        using (var limit = new CancellationTokenSource(HangLimit))
        {
            try
            {
                await process.WaitForExitAsync(limit.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync();
                Assert.Fail($"{project} {string.Join(' ', args)} was still running after {HangLimit.TotalSeconds} s; "
                    + $"its output so far:\n{await stdout}\n{await stderr}");
            }
        }

        string output = await stdout;
        string[] lines = output.Split('\n').Select(line => line.TrimEnd('\r')).ToArray();
        if (lines[^1].Length == 0)
        {
            lines = lines[..^1];
        }

        return new ExampleRun(process.ExitCode, lines, await stderr);
    }

    /// <summary>Starts <c>dotnet examples/{project}/bin/.../{project}.dll args...</c> with its standard
    /// output and error redirected, for examples that run until stopped (servers).</summary>
    public static Process Start(string project, params string[] args)
    {
        var start = new ProcessStartInfo
        {
            FileName = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet",
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(FindOutput(project));
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        return Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start.");
    }

    /// <summary>The example's build output for the configuration and framework these tests were built
    /// with; the test project references the example, so a build of the tests builds it there.</summary>
    private static string FindOutput(string project)
    {
        var testOutput = new DirectoryInfo(Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory));
        string framework = testOutput.Name;
        string configuration = testOutput.Parent!.Name;
        for (DirectoryInfo? dir = testOutput; dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Aio.sln")))
            {
                string dll = Path.Combine(dir.FullName, "examples", project, "bin", configuration, framework, project + ".dll");
                Assert.True(File.Exists(dll), $"{dll} is missing; build the tests (which builds the example) first.");
                return dll;
            }
        }

        throw new InvalidOperationException($"No Aio.sln above {testOutput.FullName}.");
    }
}
