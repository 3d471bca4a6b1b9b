using System.Runtime.CompilerServices;
using Aio.Tests.Support;

namespace Aio.Tests.Tasks;

public sealed class FutureRetrievalTests
{
    [Fact]
    public void TaskCancelledAfterTheFutureItAwaitsFailed_FutureExceptionCountsAsRetrieved()
    {
        // asyncio's Task.__wakeup calls future.result() before __step swaps the error for CancelledError,
        // so the future's exception is retrieved and never reported.
        var reports = new List<LoopExceptionContext>();
        var loop = new EventLoop();
        loop.SetExceptionHandler((_, c) => reports.Add(c));
        loop.RunUntilComplete(Main(loop));
        loop.Close();   // forces a collection and reports failures nobody retrieved
        Assert.Empty(reports.Select(r => r.Message));

        static async Coroutine Main(EventLoop loop)
        {
            AioTask t = StartWaiter(loop);
            await AsyncIO.Wait([t]);
            Assert.True(t.IsCancelled);
        }

        [MethodImpl(MethodImplOptions.NoInlining)]
        static AioTask StartWaiter(EventLoop loop)
        {
            Future<int> f = loop.CreateFuture<int>();
            AioTask t = AsyncIO.CreateTask(Waiter(f));
            loop.CallSoon(() =>
            {
                f.SetException(new InvalidOperationException("boom"));
                t.Cancel();   // the wait already finished: delivered at the resumption
            });
            return t;
        }

        static async Coroutine Waiter(Future<int> f) => await f;
    }
}
