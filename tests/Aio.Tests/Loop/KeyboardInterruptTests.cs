using Aio.Tests.Support;

namespace Aio.Tests.Loop;

public sealed class KeyboardInterruptTests
{
    private static readonly TimeSpan s_guard = TimeSpan.FromSeconds(30);

    [Fact]
    public void Run_SigintDuringMain_CleansUpThrowsKeyboardInterruptAndExitsWith130()
    {
        using TestHostProcess host = TestHostProcess.Start();
        Assert.True(host.WaitForLine("ready", s_guard), Describe("never printed \"ready\"", host));

        Native.SendSignal(host.Id, Native.SIGINT);

        Assert.True(host.WaitForExit(s_guard), Describe("did not exit after SIGINT", host));
        IReadOnlyList<string> lines = host.Lines;
        int cleanup = IndexOf(lines, "cleanup");
        int interrupted = IndexOf(lines, "interrupted");
        Assert.True(cleanup >= 0, Describe("never printed \"cleanup\"", host));
        Assert.True(interrupted > cleanup, Describe("did not print \"interrupted\" after \"cleanup\"", host));
        Assert.DoesNotContain("finished", lines);
        Assert.Equal(130, host.ExitCode);
    }

    [Fact]
    public void Run_SigintWithTheApplicationsOwnHandler_OnlyTheApplicationReacts()
    {
        // As in asyncio, a loop's own SIGINT handler replaces the runner's: the application shuts down
        // gracefully, and the main task is not cancelled behind its back.
        using TestHostProcess host = TestHostProcess.Start("own-sigint");
        Assert.True(host.WaitForLine("ready", s_guard), Describe("never printed \"ready\"", host));

        Native.SendSignal(host.Id, Native.SIGINT);

        Assert.True(host.WaitForExit(s_guard), Describe("did not exit after SIGINT", host));
        Assert.Equal(["ready", "graceful shutdown requested", "cleanup done", "finished"], host.Lines);
        Assert.Equal(0, host.ExitCode);
    }

    private static int IndexOf(IReadOnlyList<string> lines, string line)
    {
        for (int i = 0; i < lines.Count; i++)
        {
            if (lines[i] == line)
            {
                return i;
            }
        }

        return -1;
    }

    private static string Describe(string problem, TestHostProcess host) =>
        $"The host {problem}.\nstdout:\n{string.Join("\n", host.Lines)}\nstderr:\n{host.StandardError}";
}
