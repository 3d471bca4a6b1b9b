using Aio.Sync;
using Aio.Tests.Support;

namespace Aio.Tests.Sync;

/// <summary>
/// The race asyncio has shipped bugs in, for every primitive: a waiter is handed what it waited for
/// (the lock, a permit, a notification, a token, its barrier index) and cancelled in the same callback,
/// before it runs. It must end cancelled, keep nothing, and not swallow the wake-up: the next waiter gets
/// it, or the primitive is left exactly as if the cancelled waiter had never waited.
/// </summary>
public sealed class WakeCancellationTests
{
    [Fact]
    public void Lock_OnlyWaiterCancelledAfterHandOff_LockEndsFree()
    {
        GuardedLoop.Run(async _ =>
        {
            var l = new AsyncLock();
            await l.AcquireAsync();
            int entered = 0;
            AioTask waiter = AsyncIO.CreateTask(Enter());
            await AsyncIO.Sleep(0);

            l.Release();
            Assert.True(l.IsLocked);
            waiter.Cancel();
            await AioAssert.ThrowsAsync<CancelledException>(waiter);
            Assert.Equal(0, entered);
            Assert.False(l.IsLocked);
            Assert.Equal(0, l.WaitingCount);
            Assert.True(l.TryAcquire());
            l.Release();

            async Coroutine Enter()
            {
                using (await l.LockAsync())
                {
                    entered++;
                }
            }
        });
    }

    [Fact]
    public void Lock_WaiterCancelledAfterHandOff_NextWaiterGetsItExactlyOnce()
    {
        GuardedLoop.Run(async _ =>
        {
            var l = new AsyncLock();
            await l.AcquireAsync();
            int inside = 0;
            int maxInside = 0;
            var entered = new List<int>();
            AioTask[] waiters = Enumerable.Range(0, 4).Select(i => AsyncIO.CreateTask(Enter(i))).ToArray();
            await AsyncIO.Sleep(0);

            // One release: it hands the lock to waiter 0, which is cancelled before it runs and passes the
            // lock on; waiter 2 is cancelled while still waiting and simply leaves.
            l.Release();
            waiters[0].Cancel();
            waiters[2].Cancel();
            await AsyncIO.GatherReturnExceptions(waiters);
            Assert.Equal([1, 3], entered);
            Assert.Equal(1, maxInside);
            Assert.True(waiters[0].IsCancelled);
            Assert.True(waiters[2].IsCancelled);
            Assert.False(l.IsLocked);

            async Coroutine Enter(int id)
            {
                using (await l.LockAsync())
                {
                    inside++;
                    maxInside = Math.Max(maxInside, inside);
                    entered.Add(id);
                    await AsyncIO.Sleep(0);
                    inside--;
                }
            }
        });
    }

    [Fact]
    public void Semaphore_WaiterCancelledAfterRelease_PermitGoesToTheNextWaiter()
    {
        GuardedLoop.Run(async _ =>
        {
            var sem = new AsyncSemaphore(0);
            var got = new List<int>();
            AioTask w1 = AsyncIO.CreateTask(AcquireAndRecord(sem, 1, got));
            AioTask w2 = AsyncIO.CreateTask(AcquireAndRecord(sem, 2, got));
            await AsyncIO.Sleep(0);

            sem.Release();
            w1.Cancel();
            await AioAssert.ThrowsAsync<CancelledException>(w1);
            await w2;
            Assert.Equal([2], got);
            Assert.Equal(0, sem.CurrentCount);
            Assert.Equal(0, sem.WaitingCount);
        });
    }

    [Fact]
    public void Semaphore_OnlyWaiterCancelledAfterRelease_PermitIsCountedAgain()
    {
        GuardedLoop.Run(async _ =>
        {
            var sem = new AsyncSemaphore(0);
            var got = new List<int>();
            AioTask w1 = AsyncIO.CreateTask(AcquireAndRecord(sem, 1, got));
            await AsyncIO.Sleep(0);

            sem.Release();
            Assert.Equal(0, sem.CurrentCount);
            w1.Cancel();
            await AioAssert.ThrowsAsync<CancelledException>(w1);
            Assert.Empty(got);
            Assert.Equal(1, sem.CurrentCount);
        });
    }

    [Fact]
    public void BoundedSemaphore_WaiterCancelledAfterRelease_CountIsExactlyRestored()
    {
        // The permit comes back once: the bound still catches the next over-release.
        GuardedLoop.Run(async _ =>
        {
            var sem = new AsyncBoundedSemaphore(1);
            await sem.AcquireAsync();
            AioTask w1 = AsyncIO.CreateTask(Acquire(sem));
            await AsyncIO.Sleep(0);

            sem.Release();
            w1.Cancel();
            await AioAssert.ThrowsAsync<CancelledException>(w1);
            Assert.Equal(1, sem.CurrentCount);
            Assert.Throws<InvalidOperationException>(sem.Release);
            Assert.Equal(1, sem.CurrentCount);
        });

        static async Coroutine Acquire(AsyncBoundedSemaphore sem) => await sem.AcquireAsync();
    }

    [Fact]
    public void Condition_NotifiedWaiterCancelledAfterGettingTheLock_PassesTheNotificationOn()
    {
        // Notified, then handed the lock by the notifier's release, then cancelled before it runs: it ends
        // cancelled holding the lock (its using block releases it), and the notification goes to the next
        // waiter.
        GuardedLoop.Run(async _ =>
        {
            var cond = new AsyncCondition();
            var woken = new List<int>();
            bool cancelledWithLock = false;
            AioTask w1 = AsyncIO.CreateTask(Waiter(1));
            AioTask w2 = AsyncIO.CreateTask(Waiter(2));
            await AsyncIO.Sleep(0);

            using (await cond.LockAsync())
            {
                cond.Notify();
            }

            Assert.True(cond.IsLocked);
            w1.Cancel();
            await AioAssert.ThrowsAsync<CancelledException>(w1);
            Assert.True(cancelledWithLock);
            await w2;
            Assert.Equal([2], woken);
            Assert.False(cond.IsLocked);
            Assert.Equal(0, cond.WaitingCount);

            async Coroutine Waiter(int id)
            {
                using (await cond.LockAsync())
                {
                    try
                    {
                        await cond.WaitAsync();
                        woken.Add(id);
                    }
                    catch (CancelledException)
                    {
                        cancelledWithLock = cond.IsLocked;
                        throw;
                    }
                }
            }
        });
    }

    [Fact]
    public void Condition_CancelledWhileWaitingForTheLockBack_EndsHoldingItAfterTheHolderReleases()
    {
        // Cancelled while the notifier still holds the lock: the wait does not end until it has the lock
        // back, and then ends cancelled and passes the notification on.
        GuardedLoop.Run(async _ =>
        {
            var cond = new AsyncCondition();
            var log = new List<string>();
            AioTask w1 = AsyncIO.CreateTask(Waiter(1));
            AioTask w2 = AsyncIO.CreateTask(Waiter(2));
            await AsyncIO.Sleep(0);

            using (await cond.LockAsync())
            {
                cond.Notify();
                w1.Cancel();
                await AsyncIO.Sleep(0);
                await AsyncIO.Sleep(0);
                Assert.False(w1.IsDone);
                log.Add("holder releases");
            }

            await AioAssert.ThrowsAsync<CancelledException>(w1);
            await w2;
            Assert.Equal(["holder releases", "1 cancelled holding the lock", "2 woken"], log);
            Assert.False(cond.IsLocked);

            async Coroutine Waiter(int id)
            {
                using (await cond.LockAsync())
                {
                    try
                    {
                        await cond.WaitAsync();
                        log.Add($"{id} woken");
                    }
                    catch (CancelledException)
                    {
                        log.Add(cond.IsLocked ? $"{id} cancelled holding the lock" : $"{id} cancelled without the lock");
                        throw;
                    }
                }
            }
        });
    }

    [Fact]
    public void Condition_CancelledBeforeNotify_WhileTheLockIsHeld_WaitsForTheLock()
    {
        GuardedLoop.Run(async _ =>
        {
            var cond = new AsyncCondition();
            var log = new List<string>();
            AioTask w1 = AsyncIO.CreateTask(Waiter());
            await AsyncIO.Sleep(0);

            using (await cond.LockAsync())
            {
                w1.Cancel();
                Assert.Equal(0, cond.WaitingCount);
                Assert.Equal(1, cond.Lock.WaitingCount);
                await AsyncIO.Sleep(0);
                Assert.False(w1.IsDone);
                log.Add("holder releases");
            }

            await AioAssert.ThrowsAsync<CancelledException>(w1);
            Assert.Equal(["holder releases", "cancelled holding the lock"], log);
            Assert.False(cond.IsLocked);

            async Coroutine Waiter()
            {
                using (await cond.LockAsync())
                {
                    try
                    {
                        await cond.WaitAsync();
                    }
                    catch (CancelledException)
                    {
                        log.Add(cond.IsLocked ? "cancelled holding the lock" : "cancelled without the lock");
                        throw;
                    }
                }
            }
        });
    }

    [Fact]
    public void Event_WaiterCancelledAfterSet_OthersStillWake()
    {
        GuardedLoop.Run(async _ =>
        {
            var ev = new AsyncEvent();
            var woken = new List<int>();
            AioTask w1 = AsyncIO.CreateTask(Wait(1));
            AioTask w2 = AsyncIO.CreateTask(Wait(2));
            AioTask w3 = AsyncIO.CreateTask(Wait(3));
            await AsyncIO.Sleep(0);

            ev.Set();
            w2.Cancel();
            await AioAssert.ThrowsAsync<CancelledException>(w2);
            await AsyncIO.Gather(w1, w3);
            Assert.Equal([1, 3], woken);
            Assert.True(ev.IsSet);

            async Coroutine Wait(int id)
            {
                await ev.WaitAsync();
                woken.Add(id);
            }
        });
    }

    [Fact]
    public void Barrier_WaiterCancelledAsTheRoundIsReleased_OthersPass_AndTheNextRoundWorks()
    {
        GuardedLoop.Run(async _ =>
        {
            var barrier = new AsyncBarrier(3);
            AioTask<int> w1 = AsyncIO.CreateTask(Wait(barrier));
            AioTask<int> w2 = AsyncIO.CreateTask(Wait(barrier));
            await AsyncIO.Sleep(0);

            Assert.Equal(2, await barrier.WaitAsync());
            w1.Cancel();
            await AioAssert.ThrowsAsync<CancelledException>(w1);
            Assert.Equal(1, await w2);
            Assert.Equal(0, barrier.WaitingCount);
            Assert.False(barrier.IsBroken);

            AioTask<int>[] next = Enumerable.Range(0, 3).Select(_ => AsyncIO.CreateTask(Wait(barrier))).ToArray();
            int[] indices = await AsyncIO.Gather(next);
            Assert.Equal([0, 1, 2], indices);
        });

        static async Coroutine<int> Wait(AsyncBarrier barrier) => await barrier.WaitAsync();
    }

    [Fact]
    public void CapacityLimiter_WaiterCancelledAfterRelease_TokenGoesToTheNextWaiter()
    {
        GuardedLoop.Run(async _ =>
        {
            var c = new CapacityLimiter(1);
            await c.AcquireAsync();
            var got = new List<int>();
            AioTask w1 = AsyncIO.CreateTask(Borrow(1));
            AioTask w2 = AsyncIO.CreateTask(Borrow(2));
            await AsyncIO.Sleep(0);
            Assert.Equal(2, c.WaitingCount);

            c.Release();
            Assert.Equal(1, c.BorrowedTokens);
            w1.Cancel();
            await AioAssert.ThrowsAsync<CancelledException>(w1);
            await w2;
            Assert.Equal([2], got);
            Assert.Equal(0, c.BorrowedTokens);
            Assert.Equal(0, c.WaitingCount);

            async Coroutine Borrow(int id)
            {
                using (await c.LockAsync())
                {
                    got.Add(id);
                }
            }
        });
    }

    [Fact]
    public void CapacityLimiter_OnlyWaiterCancelledAfterTotalRaised_TokenIsFreeAgain()
    {
        GuardedLoop.Run(async _ =>
        {
            var c = new CapacityLimiter(1);
            await c.AcquireAsync();
            AioTask w1 = AsyncIO.CreateTask(Acquire(c));
            await AsyncIO.Sleep(0);

            c.TotalTokens = 2;
            Assert.Equal(2, c.BorrowedTokens);
            w1.Cancel();
            await AioAssert.ThrowsAsync<CancelledException>(w1);
            Assert.Equal(1, c.BorrowedTokens);
            Assert.Equal(1, c.AvailableTokens);
            c.Release();
        });

        static async Coroutine Acquire(CapacityLimiter c) => await c.AcquireAsync();
    }

    private static async Coroutine AcquireAndRecord(AsyncSemaphore sem, int id, List<int> got)
    {
        await sem.AcquireAsync();
        got.Add(id);
    }
}
