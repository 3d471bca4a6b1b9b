using Aio.Tests.Support;

namespace Aio.Tests.Loop;

[Collection(ConsoleCollection.Name)]
public sealed class ExecutorShutdownTimeoutTests
{
    [Fact]
    public void Run_InfiniteExecutorShutdownTimeout_WaitsForTheDefaultExecutor()
    {
        int finished = 0;
        using var stderr = new StandardErrorCapture();
        AsyncIO.Run(async () =>
        {
            _ = AsyncIO.ToThread(() =>
            {
                Thread.Sleep(2000);
                Interlocked.Exchange(ref finished, 1);
            });
            await AsyncIO.Sleep(0);
        }, new EventLoopOptions { ExecutorShutdownTimeout = Timeout.InfiniteTimeSpan });

        // asyncio: shutdown_default_executor(timeout=None) waits as long as it takes.
        Assert.True(Volatile.Read(ref finished) == 1, "stderr: " + stderr.Text);
    }
}
