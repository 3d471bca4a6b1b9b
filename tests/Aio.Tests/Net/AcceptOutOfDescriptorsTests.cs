using Aio.Tests.Support;

namespace Aio.Tests.Net;

/// <summary>A server whose process runs out of descriptors while accepting. The descriptor limit is the
/// whole process's, so the scenario runs in a child process (Aio.TestHost, "accept-emfile"), where
/// RLIMIT_NOFILE drops to the lowest free descriptor and <c>Server.AcceptRetryDelay</c> to 0.2 s; the
/// tests running here meanwhile are not disturbed.</summary>
public sealed class AcceptOutOfDescriptorsTests
{
    private static readonly TimeSpan s_guard = TimeSpan.FromSeconds(30);

    [Theory]
    [InlineData("accept-emfile")]
    [InlineData("accept-emfile-debug")]
    public void AcceptFailsWithEmfile_ItIsReported_OpenConnectionsAreServed_AndTheWaitingClientIsServedOnceDescriptorsAreFree(string scenario)
    {
        using TestHostProcess host = TestHostProcess.Start(scenario);
        Assert.True(host.WaitForExit(s_guard), Describe("did not finish", host));
        IReadOnlyList<string> lines = host.Lines;
        Assert.True(host.ExitCode == 0, Describe($"exited with {host.ExitCode}", host));
        Assert.Equal("ready", lines[0]);
        Assert.StartsWith("reported: socket.accept() out of system resource; accepting pauses for 0.2 s", lines[1]);
        Assert.Equal("served while paused, connections: 1", lines[2]);
        Assert.Equal("resumed, connections: 1", lines[3]);
        Assert.Equal("passed", lines[^1]);
    }

    private static string Describe(string problem, TestHostProcess host) =>
        $"The host {problem}.\nstdout:\n{string.Join("\n", host.Lines)}\nstderr:\n{host.StandardError}";
}
