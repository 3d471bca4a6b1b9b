using Aio.Tests.Support;

namespace Aio.Tests.Loop;

public sealed class RunUntilCompleteReentryTests
{
    [Fact]
    public void RunUntilComplete_CalledWhileTheLoopRuns_ThrowsWithoutStoppingTheRunningLoop()
    {
        VirtualLoop.Run(async loop =>
        {
            Future<int> done = loop.CreateFuture<int>();
            done.SetResult(1);

            // asyncio: RuntimeError('This event loop is already running'), and nothing else happens.
            Assert.Throws<InvalidOperationException>(() => loop.RunUntilComplete(done));

            await AsyncIO.Sleep(10);   // the outer run must go on
            Assert.Equal(10.0, loop.Time());
        });
    }

    [Fact]
    public void RunUntilComplete_CoroutineWhileTheLoopRuns_DoesNotSpawnATask()
    {
        bool ran = false;
        VirtualLoop.Run(async loop =>
        {
            // asyncio checks "already running" before ensure_future: the coroutine never runs.
            Assert.Throws<InvalidOperationException>(() => loop.RunUntilComplete(Body()));
            await AsyncIO.Sleep(10);
            Assert.False(ran);
        });

        async Coroutine Body()
        {
            ran = true;
            await AsyncIO.Sleep(0);
        }
    }
}
