using Aio.Sync;
using Aio.Tests.Support;

namespace Aio.Tests.Sync;

/// <summary>asyncio's <c>ConditionTests</c> (test_locks.py, 3.13), less the repr and <c>loop=</c> cases
/// (loop binding has its own tests).</summary>
public sealed class AsyncConditionTests
{
    [Fact]
    public void Notify_WakesWaitersOneLockHolderAtATime()
    {
        // asyncio: test_wait. As there, Notify and Release only check that the lock is held, not by whom.
        GuardedLoop.Run(async _ =>
        {
            var cond = new AsyncCondition();
            var result = new List<int>();
            AioTask t1 = AsyncIO.CreateTask(WaitAndRecord(cond, 1, result, release: false));
            AioTask t2 = AsyncIO.CreateTask(WaitAndRecord(cond, 2, result, release: false));
            AioTask t3 = AsyncIO.CreateTask(WaitAndRecord(cond, 3, result, release: false));

            await AsyncIO.Sleep(0);
            Assert.Empty(result);
            Assert.False(cond.IsLocked);
            Assert.Equal(3, cond.WaitingCount);

            await cond.AcquireAsync();
            cond.Notify();
            await AsyncIO.Sleep(0);
            Assert.Empty(result);
            Assert.True(cond.IsLocked);

            cond.Release();
            await AsyncIO.Sleep(0);
            Assert.Equal([1], result);
            Assert.True(cond.IsLocked);

            cond.Notify(2);
            await AsyncIO.Sleep(0);
            Assert.Equal([1], result);
            Assert.True(cond.IsLocked);

            cond.Release();
            await AsyncIO.Sleep(0);
            Assert.Equal([1, 2], result);
            Assert.True(cond.IsLocked);

            cond.Release();
            await AsyncIO.Sleep(0);
            Assert.Equal([1, 2, 3], result);
            Assert.True(cond.IsLocked);

            Assert.True(t1.IsCompletedSuccessfully);
            Assert.True(t2.IsCompletedSuccessfully);
            Assert.True(t3.IsCompletedSuccessfully);
            cond.Release();
        });
    }

    [Fact]
    public void WaitAsync_CancelledWhileWaiting_ReacquiresTheLockBeforeThrowing()
    {
        // asyncio: test_wait_cancel.
        GuardedLoop.Run(async loop =>
        {
            var cond = new AsyncCondition();
            await cond.AcquireAsync();
            AioTask wait = AsyncIO.CreateTask(Wait(cond));
            loop.CallSoon(() => wait.Cancel());
            await AioAssert.ThrowsAsync<CancelledException>(wait);
            Assert.Equal(0, cond.WaitingCount);
            Assert.True(cond.IsLocked);
            cond.Release();
        });
    }

    [Fact]
    public void WaitAsync_NotifiedThenCancelledWhileTheLockIsContested_EndsHoldingTheLock()
    {
        // asyncio: test_wait_cancel_contested.
        GuardedLoop.Run(async loop =>
        {
            var cond = new AsyncCondition();
            await cond.AcquireAsync();
            Assert.True(cond.IsLocked);
            AioTask waitTask = AsyncIO.CreateTask(Wait(cond));
            await AsyncIO.Sleep(0);
            Assert.False(cond.IsLocked);

            await cond.AcquireAsync();
            Assert.True(cond.IsLocked);
            cond.Notify();
            loop.CallSoon(() => waitTask.Cancel());
            loop.CallSoon(cond.Release);

            await AioAssert.ThrowsAsync<CancelledException>(waitTask);
            Assert.True(cond.IsLocked);
            cond.Release();
        });
    }

    [Fact]
    public void WaitAsync_CancelledAfterNotify_EndsCancelled()
    {
        // asyncio: test_wait_cancel_after_notify (bpo-32841).
        GuardedLoop.Run(async _ =>
        {
            var cond = new AsyncCondition();
            bool waited = false;
            AioTask waiter = AsyncIO.CreateTask(WaitOnCond());
            await AsyncIO.Sleep(0);

            await cond.AcquireAsync();
            cond.Notify();
            await AsyncIO.Sleep(0);
            waiter.Cancel();
            await AsyncIO.Sleep(0);
            cond.Release();
            await AsyncIO.Sleep(0);

            Assert.True(waiter.IsCancelled);
            Assert.True(waited);
            Assert.False(cond.IsLocked);

            async Coroutine WaitOnCond()
            {
                using (await cond.LockAsync())
                {
                    waited = true;
                    await cond.WaitAsync();
                }
            }
        });
    }

    [Fact]
    public void WaitAsync_Unacquired_ThrowsInvalidOperation()
    {
        // asyncio: test_wait_unacquired.
        GuardedLoop.Run(async _ =>
        {
            var cond = new AsyncCondition();
            var error = Assert.Throws<InvalidOperationException>(() => cond.WaitAsync());
            Assert.Contains("not acquired", error.Message);
            Assert.Equal(0, cond.WaitingCount);
            await AsyncIO.Sleep(0);
        });
    }

    [Fact]
    public void WaitForAsync_RechecksThePredicateAfterEachNotification()
    {
        // asyncio: test_wait_for.
        GuardedLoop.Run(async _ =>
        {
            var cond = new AsyncCondition();
            bool presult = false;
            var result = new List<int>();
            AioTask t = AsyncIO.CreateTask(C1());

            await AsyncIO.Sleep(0);
            Assert.Empty(result);

            await cond.AcquireAsync();
            cond.Notify();
            cond.Release();
            await AsyncIO.Sleep(0);
            Assert.Empty(result);
            Assert.Equal(1, cond.WaitingCount);

            presult = true;
            await cond.AcquireAsync();
            cond.Notify();
            cond.Release();
            await AsyncIO.Sleep(0);
            Assert.Equal([1], result);
            Assert.True(t.IsCompletedSuccessfully);
            Assert.False(cond.IsLocked);

            async Coroutine C1()
            {
                await cond.AcquireAsync();
                await cond.WaitForAsync(() => presult);
                result.Add(1);
                cond.Release();
            }
        });
    }

    [Fact]
    public void WaitForAsync_Unacquired_ReturnsIfThePredicateHolds_ElseThrows()
    {
        // asyncio: test_wait_for_unacquired.
        GuardedLoop.Run(async _ =>
        {
            var cond = new AsyncCondition();
            await cond.WaitForAsync(() => true);
            await AioAssert.ThrowsAsync<InvalidOperationException>(() => cond.WaitForAsync(() => false));
            Assert.False(cond.IsLocked);
        });
    }

    [Fact]
    public void Notify_WakesAtMostCount()
    {
        // asyncio: test_notify.
        GuardedLoop.Run(async _ =>
        {
            var cond = new AsyncCondition();
            var result = new List<int>();
            AioTask[] tasks =
            [
                AsyncIO.CreateTask(WaitAndRecord(cond, 1, result, release: true)),
                AsyncIO.CreateTask(WaitAndRecord(cond, 2, result, release: true)),
                AsyncIO.CreateTask(WaitAndRecord(cond, 3, result, release: true)),
            ];
            await AsyncIO.Sleep(0);
            Assert.Empty(result);

            await cond.AcquireAsync();
            cond.Notify(1);
            cond.Release();
            await AsyncIO.Sleep(0);
            Assert.Equal([1], result);

            await cond.AcquireAsync();
            cond.Notify(1);
            cond.Notify(2048);
            cond.Release();

            // Each hands the lock to the next as it releases, so they run one after the other.
            await AsyncIO.Gather(tasks);
            Assert.Equal([1, 2, 3], result);
            Assert.All(tasks, t => Assert.True(t.IsCompletedSuccessfully));
            Assert.False(cond.IsLocked);
        });
    }

    [Fact]
    public void Notify_ZeroOrNoWaiters_DoesNothing()
    {
        GuardedLoop.Run(async _ =>
        {
            var cond = new AsyncCondition();
            await cond.AcquireAsync();
            cond.Notify();
            cond.NotifyAll();
            cond.Release();

            AioTask waiter = AsyncIO.CreateTask(WaitAndRecord(cond, 1, [], release: true));
            await AsyncIO.Sleep(0);
            await cond.AcquireAsync();
            cond.Notify(0);
            cond.Release();
            await AsyncIO.Sleep(0);
            Assert.Equal(1, cond.WaitingCount);
            Assert.False(waiter.IsDone);

            await cond.AcquireAsync();
            cond.Notify();
            cond.Release();
            await waiter;
        });
    }

    [Fact]
    public void NotifyAll_WakesEveryWaiter()
    {
        // asyncio: test_notify_all.
        GuardedLoop.Run(async _ =>
        {
            var cond = new AsyncCondition();
            var result = new List<int>();
            AioTask t1 = AsyncIO.CreateTask(WaitAndRecord(cond, 1, result, release: true));
            AioTask t2 = AsyncIO.CreateTask(WaitAndRecord(cond, 2, result, release: true));
            await AsyncIO.Sleep(0);
            Assert.Empty(result);

            await cond.AcquireAsync();
            cond.NotifyAll();
            Assert.Equal(0, cond.WaitingCount);
            cond.Release();
            await AsyncIO.Sleep(0);
            Assert.Equal([1], result);

            // t1 handed the lock to t2 as it released: each woken waiter runs holding the lock.
            Assert.True(cond.IsLocked);
            await AsyncIO.Sleep(0);
            Assert.Equal([1, 2], result);
            Assert.False(cond.IsLocked);
            Assert.True(t1.IsCompletedSuccessfully);
            Assert.True(t2.IsCompletedSuccessfully);
        });
    }

    [Fact]
    public void Notify_Unacquired_ThrowsInvalidOperation()
    {
        // asyncio: test_notify_unacquired, test_notify_all_unacquired.
        GuardedLoop.Run(async _ =>
        {
            var cond = new AsyncCondition();
            Assert.Contains("not acquired", Assert.Throws<InvalidOperationException>(() => cond.Notify()).Message);
            Assert.Contains("not acquired", Assert.Throws<InvalidOperationException>(cond.NotifyAll).Message);
            await AsyncIO.Sleep(0);
        });
    }

    [Fact]
    public void LockAsync_UsingBlock_HoldsTheLockInsideOnly()
    {
        // asyncio: test_context_manager.
        GuardedLoop.Run(async _ =>
        {
            var cond = new AsyncCondition();
            Assert.False(cond.IsLocked);
            using (await cond.LockAsync())
            {
                Assert.True(cond.IsLocked);
            }

            Assert.False(cond.IsLocked);
        });
    }

    [Fact]
    public void ExplicitLock_IsSharedWithTheCondition()
    {
        // asyncio: test_explicit_lock.
        GuardedLoop.Run(async _ =>
        {
            await Check(null, null);
            await Check(new AsyncLock(), null);
            var shared = new AsyncLock();
            await Check(shared, new AsyncCondition(shared));
        });

        static async Coroutine Check(AsyncLock? l, AsyncCondition? cond)
        {
            l ??= new AsyncLock();
            cond ??= new AsyncCondition(l);
            Assert.Same(l, cond.Lock);
            Assert.False(l.IsLocked);
            Assert.False(cond.IsLocked);
            using (await cond.LockAsync())
            {
                Assert.True(l.IsLocked);
                Assert.True(cond.IsLocked);
            }

            Assert.False(l.IsLocked);
            Assert.False(cond.IsLocked);
            using (await l.LockAsync())
            {
                Assert.True(l.IsLocked);
                Assert.True(cond.IsLocked);
            }

            Assert.False(l.IsLocked);
            Assert.False(cond.IsLocked);
        }
    }

    [Fact]
    public void TwoConditionsOnOneLock_NotifyOnlyTheirOwnWaiters()
    {
        GuardedLoop.Run(async _ =>
        {
            var l = new AsyncLock();
            var a = new AsyncCondition(l);
            var b = new AsyncCondition(l);
            var result = new List<int>();
            AioTask ta = AsyncIO.CreateTask(WaitAndRecord(a, 1, result, release: true));
            AioTask tb = AsyncIO.CreateTask(WaitAndRecord(b, 2, result, release: true));
            await AsyncIO.Sleep(0);

            using (await l.LockAsync())
            {
                b.NotifyAll();
            }

            await tb;
            Assert.Equal([2], result);
            Assert.Equal(1, a.WaitingCount);

            using (await l.LockAsync())
            {
                a.Notify();
            }

            await ta;
            Assert.Equal([2, 1], result);
        });
    }

    [Fact]
    public void WaitAsync_TimedOut_StillHoldsTheLock()
    {
        // asyncio: test_timeout_in_block.
        GuardedLoop.Run(async _ =>
        {
            var cond = new AsyncCondition();
            using (await cond.LockAsync())
            {
                await AioAssert.ThrowsAsync<TimeoutException>(() => AsyncIO.WaitFor(Wait(cond), 0.001));
                Assert.True(cond.IsLocked);
                Assert.Equal(0, cond.WaitingCount);
            }

            Assert.False(cond.IsLocked);
        });
    }

    [Fact]
    public void WaitForAsync_CancelledWhileWaiting_RaisesTheCancellationWithItsMessage()
    {
        // asyncio: test_cancelled_error_wakeup.
        GuardedLoop.Run(async _ =>
        {
            var cond = new AsyncCondition();
            CancelledException? raised = null;
            AioTask task = AsyncIO.CreateTask(Func());
            await AsyncIO.Sleep(0);

            task.Cancel("foo");
            CancelledException error = await AioAssert.ThrowsAsync<CancelledException>(task);
            Assert.Equal("foo", error.CancelMessage);
            Assert.NotNull(raised);
            Assert.Equal("foo", raised.CancelMessage);
            Assert.False(cond.IsLocked);

            async Coroutine Func()
            {
                using (await cond.LockAsync())
                {
                    try
                    {
                        await cond.WaitForAsync(() => false);
                    }
                    catch (CancelledException ex)
                    {
                        Assert.True(cond.IsLocked);
                        raised = ex;
                        throw;
                    }
                }
            }
        });
    }

    [Fact]
    public void WaitForAsync_CancelledWhileReacquiring_RaisesTheCancellationWithItsMessage()
    {
        // asyncio: test_cancelled_error_re_aquire.
        GuardedLoop.Run(async _ =>
        {
            var cond = new AsyncCondition();
            bool wake = false;
            CancelledException? raised = null;
            AioTask task = AsyncIO.CreateTask(Func());
            await AsyncIO.Sleep(0);

            await cond.AcquireAsync();
            wake = true;
            cond.Notify();
            await AsyncIO.Sleep(0);

            // The task now waits to get the lock back; cancel it there.
            task.Cancel("foo");
            cond.Release();
            CancelledException error = await AioAssert.ThrowsAsync<CancelledException>(task);
            Assert.Equal("foo", error.CancelMessage);
            Assert.NotNull(raised);
            Assert.Equal("foo", raised.CancelMessage);
            Assert.False(cond.IsLocked);

            async Coroutine Func()
            {
                using (await cond.LockAsync())
                {
                    try
                    {
                        await cond.WaitForAsync(() => wake);
                    }
                    catch (CancelledException ex)
                    {
                        Assert.True(cond.IsLocked);
                        raised = ex;
                        throw;
                    }
                }
            }
        });
    }

    [Fact]
    public void NotifiedWaiterCancelledBeforeItRuns_PassesTheWakeUpOn()
    {
        // asyncio: test_cancelled_wakeup. One item, two consumers: the one notified is cancelled before it
        // runs; the other must consume the item.
        GuardedLoop.Run(async _ =>
        {
            var cond = new AsyncCondition();
            int state = 0;
            AioTask[] consumers = [AsyncIO.CreateTask(Consumer()), AsyncIO.CreateTask(Consumer())];
            await AsyncIO.Sleep(0);

            using (await cond.LockAsync())
            {
                state++;
                cond.Notify(1);
                consumers[0].Cancel();
            }

            for (int i = 0; i < 5; i++)
            {
                await AsyncIO.Sleep(0);
            }

            Assert.Equal(0, state);
            Assert.True(consumers[0].IsCancelled);

            using (await cond.LockAsync())
            {
                state = -1;
                cond.NotifyAll();
            }

            await consumers[1];
            Assert.False(cond.IsLocked);

            async Coroutine Consumer()
            {
                using (await cond.LockAsync())
                {
                    while (true)
                    {
                        await cond.WaitForAsync(() => state != 0);
                        if (state < 0)
                        {
                            return;
                        }

                        state--;
                    }
                }
            }
        });
    }

    [Fact]
    public void NotifiedWaiterCancelledWhileReacquiring_PassesTheWakeUpOn()
    {
        // asyncio: test_cancelled_wakeup_relock. As above, but the notified consumer is cancelled while it
        // waits for the lock the notifier still holds.
        GuardedLoop.Run(async _ =>
        {
            var cond = new AsyncCondition();
            int state = 0;
            AioTask[] consumers = [AsyncIO.CreateTask(Consumer()), AsyncIO.CreateTask(Consumer())];
            await AsyncIO.Sleep(0);

            using (await cond.LockAsync())
            {
                state++;
                cond.Notify(1);
                await AsyncIO.Sleep(0);
                Assert.Equal(1, cond.Lock.WaitingCount);
                consumers[0].Cancel();
            }

            for (int i = 0; i < 5; i++)
            {
                await AsyncIO.Sleep(0);
            }

            Assert.Equal(0, state);
            Assert.True(consumers[0].IsCancelled);

            using (await cond.LockAsync())
            {
                state = -1;
                cond.NotifyAll();
            }

            await consumers[1];
            Assert.False(cond.IsLocked);

            async Coroutine Consumer()
            {
                using (await cond.LockAsync())
                {
                    while (true)
                    {
                        await cond.WaitForAsync(() => state != 0);
                        if (state < 0)
                        {
                            return;
                        }

                        state--;
                    }
                }
            }
        });
    }

    [Fact]
    public void WaiterCancelledBeforeNotify_DoesNotTakeANotification()
    {
        // A waiter cancelled before any notify leaves without a notification to pass on: the next notify
        // goes to the next waiter, and nobody else is woken.
        GuardedLoop.Run(async _ =>
        {
            var cond = new AsyncCondition();
            var result = new List<int>();
            AioTask t1 = AsyncIO.CreateTask(WaitAndRecord(cond, 1, result, release: true));
            AioTask t2 = AsyncIO.CreateTask(WaitAndRecord(cond, 2, result, release: true));
            AioTask t3 = AsyncIO.CreateTask(WaitAndRecord(cond, 3, result, release: true));
            await AsyncIO.Sleep(0);

            t1.Cancel();
            await AioAssert.ThrowsAsync<CancelledException>(t1);
            Assert.Equal(2, cond.WaitingCount);
            Assert.False(cond.IsLocked);

            using (await cond.LockAsync())
            {
                cond.Notify();
            }

            await t2;
            await AsyncIO.Sleep(0);
            Assert.Equal([2], result);
            Assert.Equal(1, cond.WaitingCount);
            Assert.False(t3.IsDone);

            using (await cond.LockAsync())
            {
                cond.Notify();
            }

            await t3;
        });
    }

    private static async Coroutine Wait(AsyncCondition cond) => await cond.WaitAsync();

    private static async Coroutine WaitAndRecord(AsyncCondition cond, int id, List<int> result, bool release)
    {
        await cond.AcquireAsync();
        try
        {
            await cond.WaitAsync();
            result.Add(id);
        }
        finally
        {
            if (release)
            {
                cond.Release();
            }
        }
    }
}
