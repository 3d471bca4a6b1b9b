using Aio.Tests.Support;

namespace Aio.Tests.Combinators;

public sealed class WaitTests
{
    [Fact]
    public void Wait_AllCompleted_ReturnsWhenEveryFutureIsDone()
    {
        VirtualLoop.Run(async loop =>
        {
            AioTask<int> a = AsyncIO.CreateTask(Delayed(10, 1));
            AioTask<int> b = AsyncIO.CreateTask(Delayed(0, 2));

            var (done, pending) = await AsyncIO.Wait([a, b]);
            Assert.Equal(10.0, loop.Time());

            Assert.Empty(pending);
            Assert.Equal(2, done.Count);
            Assert.Contains(a, done);
            Assert.Contains(b, done);
            Assert.True(a.IsDone && b.IsDone);
        });
    }

    [Fact]
    public void Wait_FirstCompleted_ReturnsAsSoonAsOneIsDone()
    {
        VirtualLoop.Run(async loop =>
        {
            AioTask<int> fast = AsyncIO.CreateTask(Delayed(1, 1));
            AioTask<int> slow = AsyncIO.CreateTask(Delayed(3600, 2));

            var (done, pending) = await AsyncIO.Wait([fast, slow], returnWhen: WaitMode.FirstCompleted);
            Assert.Equal(1.0, loop.Time());

            Assert.Same(fast, Assert.Single(done));
            Assert.Same(slow, Assert.Single(pending));
            Assert.False(slow.IsDone);
            slow.Cancel();
            await AsyncIO.Wait([slow]);
        });
    }

    [Fact]
    public void Wait_FirstException_ReturnsOnFirstFailure()
    {
        VirtualLoop.Run(async loop =>
        {
            AioTask<int> failing = AsyncIO.CreateTask(FailAfter(1, new InvalidOperationException("x")));
            AioTask<int> slow = AsyncIO.CreateTask(Delayed(3600, 2));

            var (done, pending) = await AsyncIO.Wait([failing, slow], returnWhen: WaitMode.FirstException);
            Assert.Equal(1.0, loop.Time());

            Assert.Same(failing, Assert.Single(done));
            Assert.Same(slow, Assert.Single(pending));
            Assert.IsType<InvalidOperationException>(failing.Exception);
            slow.Cancel();
            await AsyncIO.Wait([slow]);
        });
    }

    [Fact]
    public void Wait_FirstExceptionWithSuccessesOnly_ReturnsWhenAllAreDone()
    {
        VirtualLoop.Run(async loop =>
        {
            AioTask<int> a = AsyncIO.CreateTask(Delayed(0, 1));
            AioTask<int> b = AsyncIO.CreateTask(Delayed(10, 2));

            var (done, pending) = await AsyncIO.Wait([a, b], returnWhen: WaitMode.FirstException);
            Assert.Equal(10.0, loop.Time());

            Assert.Empty(pending);
            Assert.Equal(2, done.Count);
        });
    }

    [Fact]
    public void Wait_FirstExceptionWithCancelledFuture_DoesNotCountCancellationAsFailure()
    {
        VirtualLoop.Run(async loop =>
        {
            AioTask<int> cancelled = AsyncIO.CreateTask(Delayed(3600, 1));
            AioTask<int> later = AsyncIO.CreateTask(Delayed(10, 2));
            loop.CallSoon(() => cancelled.Cancel());

            var (done, pending) = await AsyncIO.Wait([cancelled, later], returnWhen: WaitMode.FirstException);
            Assert.Equal(10.0, loop.Time());

            Assert.Empty(pending);
            Assert.True(cancelled.IsCancelled);
            Assert.Equal(2, later.Result);
        });
    }

    [Fact]
    public void Wait_Timeout_ReturnsPendingFuturesWithoutCancellingThem()
    {
        VirtualLoop.Run(async loop =>
        {
            Future<int> never = loop.CreateFuture<int>();
            AioTask<int> slow = AsyncIO.CreateTask(Delayed(3600, 2));
            AioTask<int> quick = AsyncIO.CreateTask(Delayed(0, 3));

            var (done, pending) = await AsyncIO.Wait<Future>([never, slow, quick], timeout: 10);
            Assert.Equal(10.0, loop.Time());

            Assert.Same(quick, Assert.Single(done));
            Assert.Equal(2, pending.Count);
            Assert.False(never.IsDone);
            Assert.False(slow.IsDone);
            Assert.Equal(0, slow.Cancelling);

            // Still usable after the timeout.
            never.SetResult(1);
            Assert.Equal(1, await never);
            slow.Cancel();
            await AsyncIO.Wait([slow]);
        });
    }

    [Fact]
    public void Wait_EveryFutureDoneBeforeTimeout_ReturnsAndLeavesNoTimer()
    {
        // LoopTest fails the test if the timeout's timer is left behind.
        VirtualLoop.Run(async loop =>
        {
            AioTask<int> a = AsyncIO.CreateTask(Delayed(0, 1));
            var (done, pending) = await AsyncIO.Wait([a], timeout: 3600);
            Assert.Equal(0.0, loop.Time());
            Assert.Same(a, Assert.Single(done));
            Assert.Empty(pending);
        });
    }

    [Fact]
    public void Wait_EmptyInput_ThrowsArgumentException()
    {
        VirtualLoop.Run(async loop =>
        {
            await AioAssert.ThrowsAsync<ArgumentException, (IReadOnlySet<Future>, IReadOnlySet<Future>)>(
                () => AsyncIO.Wait(Array.Empty<Future>()));
            await AioAssert.ThrowsAsync<ArgumentException, (IReadOnlySet<Future>, IReadOnlySet<Future>)>(
                () => AsyncIO.Wait(Array.Empty<Future>(), timeout: 1, returnWhen: WaitMode.FirstCompleted));
        });
    }

    [Fact]
    public void Wait_FuturesAlreadyDone_ReturnsThemAsDone()
    {
        VirtualLoop.Run(async loop =>
        {
            Future<int> a = loop.CreateFuture<int>();
            Future<int> b = loop.CreateFuture<int>();
            a.SetResult(1);
            b.Cancel();

            var (done, pending) = await AsyncIO.Wait([a, b], returnWhen: WaitMode.FirstCompleted);

            Assert.Equal(2, done.Count);
            Assert.Empty(pending);
        });
    }

    [Fact]
    public void Wait_SameFutureTwice_CountsItOnce()
    {
        VirtualLoop.Run(async loop =>
        {
            Future<int> shared = loop.CreateFuture<int>();
            Future<int> other = loop.CreateFuture<int>();
            AioTask<(IReadOnlySet<Future<int>> Done, IReadOnlySet<Future<int>> Pending)> waiter =
                AsyncIO.CreateTask(AsyncIO.Wait([shared, shared, other]));
            await AsyncIO.Sleep(0);

            shared.SetResult(1);
            await AsyncIO.Sleep(0);
            await AsyncIO.Sleep(0);
            Assert.False(waiter.IsDone);

            other.SetResult(2);
            var (done, pending) = await waiter;
            Assert.Equal(2, done.Count);
            Assert.Empty(pending);
        });
    }

    [Fact]
    public void Wait_WaitingTaskCancelled_LeavesFuturesRunning()
    {
        VirtualLoop.Run(async loop =>
        {
            Future<int> gate = loop.CreateFuture<int>();
            AioTask<int> child = AsyncIO.CreateTask(AwaitGate(gate));
            Future<int> future = loop.CreateFuture<int>();
            AioTask<(IReadOnlySet<Future> Done, IReadOnlySet<Future> Pending)> waiter =
                AsyncIO.CreateTask(AsyncIO.Wait<Future>([child, future]));
            await AsyncIO.Sleep(1);

            waiter.Cancel();
            await AioAssert.ThrowsAsync<CancelledException>(waiter);

            Assert.False(child.IsDone);
            Assert.Equal(0, child.Cancelling);
            Assert.False(future.IsDone);
            gate.SetResult(5);
            Assert.Equal(5, await child);
            future.SetResult(1);
        });
    }

    private static async Coroutine<T> Delayed<T>(double seconds, T value)
    {
        await AsyncIO.Sleep(seconds);
        return value;
    }

    private static async Coroutine<int> AwaitGate(Future<int> gate) => await gate;

    private static async Coroutine<int> FailAfter(double seconds, Exception error)
    {
        await AsyncIO.Sleep(seconds);
        throw error;
    }
}
