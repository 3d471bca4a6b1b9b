using Aio.Tests.Support;

namespace Aio.Tests.Combinators;

public sealed class ShieldTests
{
    [Fact]
    public void Shield_AwaitingTaskCancelled_InnerSurvivesAndCompletesLater()
    {
        VirtualLoop.Run(async loop =>
        {
            Future<int> gate = loop.CreateFuture<int>();
            AioTask<int> inner = AsyncIO.CreateTask(AwaitGate(gate));
            AioTask<int> worker = AsyncIO.CreateTask(AwaitShielded(inner));
            await AsyncIO.Sleep(2);

            worker.Cancel();
            await AioAssert.ThrowsAsync<CancelledException>(worker);

            Assert.False(inner.IsDone);
            Assert.Equal(0, inner.Cancelling);
            gate.SetResult(11);
            Assert.Equal(11, await inner);
        });

        static async Coroutine<int> AwaitShielded(AioTask<int> inner) => await AsyncIO.Shield(inner);
    }

    [Fact]
    public void Shield_OuterFutureCancelled_InnerUnaffected()
    {
        VirtualLoop.Run(async loop =>
        {
            Future<int> gate = loop.CreateFuture<int>();
            AioTask<int> inner = AsyncIO.CreateTask(AwaitGate(gate));
            Future<int> outer = AsyncIO.Shield(inner);

            Assert.True(outer.Cancel());
            await AioAssert.ThrowsAsync<CancelledException>(outer);
            await AsyncIO.Sleep(0);

            Assert.False(inner.IsDone);
            gate.SetResult(3);
            Assert.Equal(3, await inner);
            Assert.True(outer.IsCancelled);
        });
    }

    [Fact]
    public void Shield_InnerSucceeds_OuterHasItsResult()
    {
        VirtualLoop.Run(async loop =>
        {
            AioTask<int> inner = AsyncIO.CreateTask(Delayed(1, 5));
            Assert.Equal(5, await AsyncIO.Shield(inner));
            Assert.Equal(1.0, loop.Time());

            Future<string> future = loop.CreateFuture<string>();
            loop.CallSoon(() => future.SetResult("s"));
            Assert.Equal("s", await AsyncIO.Shield(future));
        });
    }

    [Fact]
    public void Shield_InnerFails_OuterFailsWithTheSameException()
    {
        VirtualLoop.Run(async loop =>
        {
            var error = new FormatException("inner");
            AioTask<int> inner = AsyncIO.CreateTask(FailAfter(0, error));
            Future<int> outer = AsyncIO.Shield(inner);

            Assert.Same(error, await AioAssert.ThrowsAsync<FormatException>(outer));
            Assert.Same(error, inner.Exception);
        });
    }

    [Fact]
    public void Shield_InnerCancelled_OuterIsCancelled()
    {
        VirtualLoop.Run(async loop =>
        {
            AioTask<int> inner = AsyncIO.CreateTask(Delayed(3600, 1));
            Future<int> outer = AsyncIO.Shield(inner);
            await AsyncIO.Sleep(0);

            inner.Cancel();
            await AioAssert.ThrowsAsync<CancelledException>(outer);
            Assert.True(outer.IsCancelled);
        });
    }

    [Fact]
    public void Shield_InnerAlreadyDone_OuterIsDoneAtOnce()
    {
        VirtualLoop.Run(async loop =>
        {
            Future<int> succeeded = loop.CreateFuture<int>();
            succeeded.SetResult(1);
            Future<int> outer = AsyncIO.Shield(succeeded);
            Assert.True(outer.IsDone);
            Assert.Equal(1, outer.Result);

            Future<int> failed = loop.CreateFuture<int>();
            failed.SetException(new FormatException());
            Future<int> failedOuter = AsyncIO.Shield(failed);
            Assert.IsType<FormatException>(failedOuter.Exception);
            Assert.IsType<FormatException>(failed.Exception);

            Future<int> cancelled = loop.CreateFuture<int>();
            cancelled.Cancel();
            Assert.True(AsyncIO.Shield(cancelled).IsCancelled);
            await AsyncIO.Sleep(0);
        });
    }

    [Fact]
    public void Shield_Coroutine_RunsAsTaskThatSurvivesTheAwaitersCancellation()
    {
        var log = new List<string>();
        VirtualLoop.Run(async loop =>
        {
            Future<int> gate = loop.CreateFuture<int>();
            Future<bool> finished = loop.CreateFuture<bool>();
            AioTask worker = AsyncIO.CreateTask(AwaitShielded(Work(gate, finished)));
            await AsyncIO.Sleep(2);

            worker.Cancel();
            await AioAssert.ThrowsAsync<CancelledException>(worker);
            log.Add("worker cancelled");

            gate.SetResult(0);
            await finished;
        });
        Assert.Equal(["work started", "worker cancelled", "work finished"], log);

        static async Coroutine AwaitShielded(Coroutine work) => await AsyncIO.Shield(work);

        async Coroutine Work(Future<int> gate, Future<bool> finished)
        {
            log.Add("work started");
            await gate;
            log.Add("work finished");
            finished.SetResult(true);
        }
    }

    [Fact]
    public void Shield_TypedCoroutine_ReturnsItsResult()
    {
        int result = VirtualLoop.Run(async loop => await AsyncIO.Shield(Delayed(1, 8)));
        Assert.Equal(8, result);
    }

    [Fact]
    public void Shield_UntypedTask_AwaiterCancelledWhileTaskRunsOn()
    {
        VirtualLoop.Run(async loop =>
        {
            Future<int> gate = loop.CreateFuture<int>();
            AioTask inner = AsyncIO.CreateTask(AwaitGateUntyped(gate));
            Future outer = AsyncIO.Shield((Future)inner);
            outer.Cancel();
            await AsyncIO.Sleep(0);

            Assert.False(inner.IsDone);
            gate.SetResult(0);
            await inner;
            Assert.True(inner.IsCompletedSuccessfully);
        });

        static async Coroutine AwaitGateUntyped(Future<int> gate) => await gate;
    }

    [Fact]
    public void Shield_InsideWaitFor_TimeoutLeavesTheTaskRunning()
    {
        VirtualLoop.Run(async loop =>
        {
            Future<int> gate = loop.CreateFuture<int>();
            AioTask<int> inner = AsyncIO.CreateTask(AwaitGate(gate));

            await AioAssert.ThrowsAsync<TimeoutException, int>(() => AsyncIO.WaitFor(AsyncIO.Shield(inner), 5));
            Assert.Equal(5.0, loop.Time());

            Assert.False(inner.IsDone);
            gate.SetResult(4);
            Assert.Equal(4, await inner);
        });
    }

    [Fact]
    public void Shield_AwaiterCancelledThenInnerCompletes_OuterStaysCancelled()
    {
        VirtualLoop.Run(async loop =>
        {
            Future<int> inner = loop.CreateFuture<int>();
            Future<int> outer = AsyncIO.Shield(inner);
            outer.Cancel();
            inner.SetResult(1);
            await AsyncIO.Sleep(0);
            await AsyncIO.Sleep(0);
            Assert.True(outer.IsCancelled);
            Assert.Equal(1, inner.Result);
        });
    }

    private static async Coroutine<int> AwaitGate(Future<int> gate) => await gate;

    private static async Coroutine<T> Delayed<T>(double seconds, T value)
    {
        await AsyncIO.Sleep(seconds);
        return value;
    }

    private static async Coroutine<int> FailAfter(double seconds, Exception error)
    {
        await AsyncIO.Sleep(seconds);
        throw error;
    }
}
