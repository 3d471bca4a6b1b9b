using Aio.Sync;
using Aio.Tests.Support;

namespace Aio.Tests.Sync;

/// <summary>asyncio's <c>EventTests</c> (test_locks.py, 3.13), less the repr cases.</summary>
public sealed class AsyncEventTests
{
    [Fact]
    public void Set_WakesEveryWaiter_AfterTasksThatFindItSet()
    {
        // asyncio: test_wait. t3 starts after the set, finds the event set and does not wait; the two
        // waiters resume after it, in the order they started waiting.
        GuardedLoop.Run(async _ =>
        {
            var ev = new AsyncEvent();
            Assert.False(ev.IsSet);
            var result = new List<int>();

            AioTask t1 = AsyncIO.CreateTask(WaitAndRecord(ev, 1, result));
            AioTask t2 = AsyncIO.CreateTask(WaitAndRecord(ev, 2, result));
            await AsyncIO.Sleep(0);
            Assert.Empty(result);

            AioTask t3 = AsyncIO.CreateTask(WaitAndRecord(ev, 3, result));
            ev.Set();
            await AsyncIO.Sleep(0);
            Assert.Equal([3, 1, 2], result);
            Assert.True(t1.IsCompletedSuccessfully);
            Assert.True(t2.IsCompletedSuccessfully);
            Assert.True(t3.IsCompletedSuccessfully);
        });
    }

    [Fact]
    public void WaitAsync_AlreadySet_CompletesSynchronously()
    {
        // asyncio: test_wait_on_set.
        GuardedLoop.Run(async _ =>
        {
            var ev = new AsyncEvent();
            ev.Set();
            ValueTask wait = ev.WaitAsync();
            Assert.True(wait.IsCompletedSuccessfully);
            await wait;
        });
    }

    [Fact]
    public void WaitAsync_Cancelled_LeavesTheWaiters()
    {
        // asyncio: test_wait_cancel.
        GuardedLoop.Run(async loop =>
        {
            var ev = new AsyncEvent();
            AioTask wait = AsyncIO.CreateTask(Wait(ev));
            loop.CallSoon(() => wait.Cancel());
            await AioAssert.ThrowsAsync<CancelledException>(wait);
            ev.Set();
            Assert.True(ev.IsSet);
        });
    }

    [Fact]
    public void Clear_ResetsTheFlag()
    {
        // asyncio: test_clear.
        GuardedLoop.Run(async _ =>
        {
            var ev = new AsyncEvent();
            Assert.False(ev.IsSet);
            ev.Set();
            Assert.True(ev.IsSet);
            ev.Clear();
            Assert.False(ev.IsSet);
            await AsyncIO.Sleep(0);
        });
    }

    [Fact]
    public void SetClearSet_WithAWaiter_WakesItExactlyOnce()
    {
        // asyncio: test_clear_with_waiters. A waiter woken by the first set stays woken through the clear.
        GuardedLoop.Run(async _ =>
        {
            var ev = new AsyncEvent();
            var result = new List<int>();
            AioTask t = AsyncIO.CreateTask(WaitAndRecord(ev, 1, result));
            await AsyncIO.Sleep(0);
            Assert.Empty(result);

            ev.Set();
            ev.Clear();
            Assert.False(ev.IsSet);
            ev.Set();
            ev.Set();

            await AsyncIO.Sleep(0);
            Assert.Equal([1], result);
            Assert.True(t.IsCompletedSuccessfully);
        });
    }

    [Fact]
    public void WaitAsync_AfterClear_WaitsForTheNextSet()
    {
        GuardedLoop.Run(async _ =>
        {
            var ev = new AsyncEvent();
            ev.Set();
            ev.Clear();
            AioTask waiter = AsyncIO.CreateTask(Wait(ev));
            await AsyncIO.Sleep(0);
            await AsyncIO.Sleep(0);
            Assert.False(waiter.IsDone);
            ev.Set();
            await waiter;
        });
    }

    [Fact]
    public void Set_FromAnotherThreadThroughCallSoonThreadsafe_WakesTheWaiter()
    {
        // The documented way in from another thread: the loop's thread-safe door, not the event itself.
        GuardedLoop.Run(async loop =>
        {
            var ev = new AsyncEvent();
            AioTask waiter = AsyncIO.CreateTask(Wait(ev));
            await AsyncIO.Sleep(0);

            await AsyncIO.ToThread(() => loop.CallSoonThreadsafe(ev.Set));
            await waiter;
            Assert.True(ev.IsSet);
        });
    }

    private static async Coroutine Wait(AsyncEvent ev) => await ev.WaitAsync();

    private static async Coroutine WaitAndRecord(AsyncEvent ev, int id, List<int> result)
    {
        await ev.WaitAsync();
        result.Add(id);
    }
}
