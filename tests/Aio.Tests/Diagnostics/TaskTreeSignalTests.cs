using System.Diagnostics;
using Aio.Tests.Support;

namespace Aio.Tests.Diagnostics;

/// <summary><see cref="EventLoopOptions.TaskTreeSignal"/> and <c>AIO_DEBUG</c>, in a real process.</summary>
public sealed class TaskTreeSignalTests
{
    private static readonly TimeSpan s_guard = TimeSpan.FromSeconds(30);

    [Fact]
    public void TaskTreeSignal_Received_TreeWrittenToStandardErrorAndTheProgramGoesOn()
    {
        using TestHostProcess host = TestHostProcess.Start(new Dictionary<string, string> { ["AIO_DEBUG"] = "1" }, "task-tree");
        Assert.True(host.WaitForLine("ready", s_guard), Describe("never printed \"ready\"", host));

        Native.SendSignal(host.Id, Native.SIGUSR1);

        Assert.True(WaitForStandardError(host, "(T) napper"), Describe("wrote no task tree", host));
        string tree = host.StandardError;
        Assert.Contains("(T) Task-main", tree, StringComparison.Ordinal);
        Assert.Contains("awaiting Task 'napper'", tree, StringComparison.Ordinal);
        Assert.Contains("awaiting sleep, due in", tree, StringComparison.Ordinal);

        // The signal's default action (ending the process) was suppressed: it still answers Ctrl+C.
        Native.SendSignal(host.Id, Native.SIGINT);
        Assert.True(host.WaitForExit(s_guard), Describe("did not exit after SIGINT", host));
        Assert.Equal(130, host.ExitCode);
    }

    [Fact]
    public void AioDebugEnvironmentVariable_Set_TurnsDebugModeOn()
    {
        using TestHostProcess host = TestHostProcess.Start(new Dictionary<string, string> { ["AIO_DEBUG"] = "1" }, "task-tree");
        Assert.True(host.WaitForLine("ready", s_guard), Describe("never printed \"ready\"", host));

        Assert.Equal("debug=True", host.Lines[0]);
    }

    [Fact]
    public void AioDebugEnvironmentVariable_Zero_LeavesDebugModeOff()
    {
        using TestHostProcess host = TestHostProcess.Start(new Dictionary<string, string> { ["AIO_DEBUG"] = "0" }, "task-tree");
        Assert.True(host.WaitForLine("ready", s_guard), Describe("never printed \"ready\"", host));

        Assert.Equal("debug=False", host.Lines[0]);
    }

    private static bool WaitForStandardError(TestHostProcess host, string text)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < s_guard)
        {
            if (host.StandardError.Contains(text, StringComparison.Ordinal))
            {
                return true;
            }

            Thread.Sleep(20);
        }

        return false;
    }

    private static string Describe(string problem, TestHostProcess host) =>
        $"The host {problem}.\nstdout:\n{string.Join("\n", host.Lines)}\nstderr:\n{host.StandardError}";
}
