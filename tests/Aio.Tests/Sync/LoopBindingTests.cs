using Aio.Queues;
using Aio.Sync;
using Aio.Tests.Queues;
using Aio.Tests.Support;

namespace Aio.Tests.Sync;

/// <summary>
/// Every primitive belongs to the loop that first used it. While that loop is alive, every member called
/// from another loop's thread, or from a thread without a loop while it runs, throws an
/// <see cref="InvalidOperationException"/> that names the primitive and says why — before touching any
/// state, so the owning loop carries on as if nothing happened. Once its loop is closed, a primitive
/// binds to the next loop that uses it.
/// </summary>
public sealed class LoopBindingTests
{
    private const string OtherLoop = "is bound to a different event loop";
    private const string OtherThread = "belongs to an event loop running on another thread";

    [Fact]
    public void Lock_FromElsewhere_IsRefused_AndItsLoopCarriesOn()
    {
        GuardedLoop.Run(async loop =>
        {
            var l = new AsyncLock();
            await l.AcquireAsync();
            AioTask waiter = AsyncIO.CreateTask(Acquire(l));
            await AsyncIO.Sleep(0);

            Action[] calls =
            [
                () => _ = l.IsLocked,
                () => _ = l.WaitingCount,
                () => l.TryAcquire(),
                l.Release,
                () => l.AcquireAsync(),
                () => l.LockAsync(),
            ];
            await AssertRefusedElsewhere(calls, "AsyncLock");

            Assert.True(l.IsLocked);
            Assert.Equal(1, l.WaitingCount);
            l.Release();
            await waiter;
            l.Release();
            Assert.False(l.IsLocked);
        });

        static async Coroutine Acquire(AsyncLock l) => await l.AcquireAsync();
    }

    [Fact]
    public void Event_FromElsewhere_IsRefused_AndItsLoopCarriesOn()
    {
        GuardedLoop.Run(async loop =>
        {
            var ev = new AsyncEvent();
            AioTask waiter = AsyncIO.CreateTask(Wait(ev));
            await AsyncIO.Sleep(0);

            Action[] calls = [() => _ = ev.IsSet, ev.Set, ev.Clear, () => ev.WaitAsync()];
            await AssertRefusedElsewhere(calls, "AsyncEvent");

            Assert.False(ev.IsSet);
            Assert.False(waiter.IsDone);
            ev.Set();
            await waiter;
        });

        static async Coroutine Wait(AsyncEvent ev) => await ev.WaitAsync();
    }

    [Fact]
    public void Condition_FromElsewhere_IsRefused_AndItsLoopCarriesOn()
    {
        GuardedLoop.Run(async loop =>
        {
            var cond = new AsyncCondition();
            AioTask waiter = AsyncIO.CreateTask(Wait(cond));
            await AsyncIO.Sleep(0);
            await cond.AcquireAsync();

            Action[] calls =
            [
                () => _ = cond.WaitingCount,
                () => _ = cond.IsLocked,
                () => cond.Notify(),
                cond.NotifyAll,
                () => cond.WaitAsync(),
                () => cond.AcquireAsync(),
                () => cond.LockAsync(),
                cond.Release,
            ];
            await AssertRefusedElsewhere(calls, "Async");

            Assert.True(cond.IsLocked);
            Assert.Equal(1, cond.WaitingCount);
            cond.Notify();
            cond.Release();
            await waiter;
            Assert.False(cond.IsLocked);
        });

        static async Coroutine Wait(AsyncCondition cond)
        {
            using (await cond.LockAsync())
            {
                await cond.WaitAsync();
            }
        }
    }

    [Fact]
    public void Semaphores_FromElsewhere_AreRefused_AndTheirLoopCarriesOn()
    {
        GuardedLoop.Run(async loop =>
        {
            var sem = new AsyncSemaphore(1);
            var bounded = new AsyncBoundedSemaphore(1);
            await sem.AcquireAsync();
            await bounded.AcquireAsync();
            AioTask semWaiter = AsyncIO.CreateTask(AcquireBoth(sem, null));
            AioTask boundedWaiter = AsyncIO.CreateTask(AcquireBoth(null, bounded));
            await AsyncIO.Sleep(0);

            Action[] semCalls =
            [
                () => _ = sem.CurrentCount,
                () => _ = sem.IsLocked,
                () => _ = sem.WaitingCount,
                () => sem.TryAcquire(),
                sem.Release,
                () => sem.AcquireAsync(),
                () => sem.LockAsync(),
            ];
            await AssertRefusedElsewhere(semCalls, "AsyncSemaphore");
            Action[] boundedCalls =
            [
                () => _ = bounded.CurrentCount,
                () => _ = bounded.IsLocked,
                () => _ = bounded.WaitingCount,
                () => bounded.TryAcquire(),
                bounded.Release,
                () => bounded.AcquireAsync(),
                () => bounded.LockAsync(),
            ];
            await AssertRefusedElsewhere(boundedCalls, "AsyncBoundedSemaphore");

            Assert.Equal(0, sem.CurrentCount);
            Assert.Equal(1, sem.WaitingCount);
            Assert.Equal(0, bounded.CurrentCount);
            Assert.Equal(1, bounded.WaitingCount);
            sem.Release();
            bounded.Release();
            await AsyncIO.Gather(semWaiter, boundedWaiter);
            sem.Release();
            bounded.Release();
            Assert.Equal(1, sem.CurrentCount);
            Assert.Equal(1, bounded.CurrentCount);
        });

        static async Coroutine AcquireBoth(AsyncSemaphore? sem, AsyncBoundedSemaphore? bounded)
        {
            if (sem is not null)
            {
                await sem.AcquireAsync();
            }

            if (bounded is not null)
            {
                await bounded.AcquireAsync();
            }
        }
    }

    [Fact]
    public void Barrier_FromElsewhere_IsRefused_AndItsLoopCarriesOn()
    {
        GuardedLoop.Run(async loop =>
        {
            var barrier = new AsyncBarrier(2);
            AioTask<int> waiter = AsyncIO.CreateTask(Wait(barrier));
            await AsyncIO.Sleep(0);

            Action[] calls =
            [
                () => _ = barrier.WaitingCount,
                () => _ = barrier.IsBroken,
                () => barrier.WaitAsync(),
                barrier.Abort,
                barrier.Reset,
            ];
            await AssertRefusedElsewhere(calls, "AsyncBarrier");

            Assert.Equal(1, barrier.WaitingCount);
            Assert.False(barrier.IsBroken);
            Assert.Equal(1, await barrier.WaitAsync());
            Assert.Equal(0, await waiter);
        });

        static async Coroutine<int> Wait(AsyncBarrier barrier) => await barrier.WaitAsync();
    }

    [Fact]
    public void CapacityLimiter_FromElsewhere_IsRefused_AndItsLoopCarriesOn()
    {
        GuardedLoop.Run(async loop =>
        {
            var c = new CapacityLimiter(1);
            await c.AcquireAsync();
            AioTask waiter = AsyncIO.CreateTask(Acquire(c));
            await AsyncIO.Sleep(0);
            object borrower = new();

            Action[] calls =
            [
                () => _ = c.TotalTokens,
                () => c.TotalTokens = 5,
                () => _ = c.BorrowedTokens,
                () => _ = c.AvailableTokens,
                () => _ = c.WaitingCount,
                () => c.AcquireAsync(),
                () => c.AcquireOnBehalfOfAsync(borrower),
                () => c.LockAsync(),
                () => c.TryAcquire(),
                () => c.TryAcquireOnBehalfOf(borrower),
                c.Release,
                () => c.ReleaseOnBehalfOf(borrower),
            ];
            await AssertRefusedElsewhere(calls, "CapacityLimiter");

            Assert.Equal(1, c.TotalTokens);
            Assert.Equal(1, c.BorrowedTokens);
            Assert.Equal(1, c.WaitingCount);
            c.Release();
            await waiter;
            Assert.Equal(0, c.BorrowedTokens);
        });

        static async Coroutine Acquire(CapacityLimiter c)
        {
            await c.AcquireAsync();
            c.Release();
        }
    }

    [Theory]
    [MemberData(nameof(QueueKinds.All), MemberType = typeof(QueueKinds))]
    public void Queue_FromElsewhere_IsRefused_AndItsLoopCarriesOn(string kind)
    {
        GuardedLoop.Run(async loop =>
        {
            var q = QueueKinds.Create<int>(kind, maxSize: 1);
            q.PutNowait(1);
            AioTask putter = AsyncIO.CreateTask(Put(q, 2));
            await AsyncIO.Sleep(0);

            Action[] calls =
            [
                () => _ = q.Count,
                () => _ = q.IsEmpty,
                () => _ = q.IsFull,
                () => _ = q.IsShutDown,
                () => _ = q.UnfinishedTasks,
                () => q.PutAsync(3),
                () => q.PutNowait(3),
                () => q.TryPut(3),
                () => q.GetAsync(),
                () => q.GetNowait(),
                () => q.TryGet(out int _),
                q.TaskDone,
                () => q.JoinAsync(),
                () => q.Shutdown(),
                () => q.GetAsyncEnumerator().MoveNextAsync(),
            ];
            await AssertRefusedElsewhere(calls, "Async");

            Assert.Equal(1, q.Count);
            Assert.True(q.IsFull);
            Assert.False(q.IsShutDown);
            Assert.Equal(1, q.UnfinishedTasks);
            Assert.Equal(1, q.GetNowait());
            await putter;
            Assert.Equal(2, q.GetNowait());
        });

        static async Coroutine Put(AsyncQueueBase<int> q, int item) => await q.PutAsync(item);
    }

    [Fact]
    public void RefusalMessages_NameThePrimitiveWithoutGenericArity()
    {
        GuardedLoop.Run(async loop =>
        {
            var q = new AsyncQueue<int>();
            var p = new AsyncPriorityQueue<string>();
            _ = q.Count;
            _ = p.Count;
            List<Exception?> errors = await OnAnotherLoop([() => _ = q.Count, () => _ = p.Count]);
            Assert.Equal("AsyncQueue is bound to a different event loop.", errors[0]!.Message);
            Assert.Equal("AsyncPriorityQueue is bound to a different event loop.", errors[1]!.Message);
        });
    }

    [Fact]
    public void AfterItsLoopClosed_APrimitiveRebindsToTheNextLoop()
    {
        // Contended waits on both loops, so that the second loop also proves the node pool of the first
        // is not reused (a node of a closed loop would never wake).
        var l = new AsyncLock();
        var sem = new AsyncSemaphore(1);
        var ev = new AsyncEvent();
        var cond = new AsyncCondition();
        var barrier = new AsyncBarrier(2);
        var limiter = new CapacityLimiter(1);
        var q = new AsyncQueue<int>(maxSize: 1);

        for (int round = 0; round < 2; round++)
        {
            GuardedLoop.Run(async loop =>
            {
                ev.Clear();
                AioTask[] tasks =
                [
                    AsyncIO.CreateTask(Contend(l)),
                    AsyncIO.CreateTask(Contend(l)),
                    AsyncIO.CreateTask(ContendSemaphore(sem)),
                    AsyncIO.CreateTask(ContendSemaphore(sem)),
                    AsyncIO.CreateTask(WaitEvent(ev)),
                    AsyncIO.CreateTask(WaitCondition(cond)),
                    AsyncIO.CreateTask(WaitBarrier(barrier)),
                    AsyncIO.CreateTask(WaitBarrier(barrier)),
                    AsyncIO.CreateTask(ContendLimiter(limiter)),
                    AsyncIO.CreateTask(ContendLimiter(limiter)),
                    AsyncIO.CreateTask(Consume(q, 3)),
                ];
                await AsyncIO.Sleep(0);
                ev.Set();
                using (await cond.LockAsync())
                {
                    cond.Notify();
                }

                for (int i = 0; i < 3; i++)
                {
                    await q.PutAsync(i);
                }

                await AsyncIO.Gather(tasks);
                Assert.False(l.IsLocked);
                Assert.Equal(1, sem.CurrentCount);
                Assert.Equal(0, limiter.BorrowedTokens);
                Assert.True(q.IsEmpty);
            });
        }

        static async Coroutine Contend(AsyncLock l)
        {
            using (await l.LockAsync())
            {
                await AsyncIO.Sleep(0);
            }
        }

        static async Coroutine ContendSemaphore(AsyncSemaphore sem)
        {
            using (await sem.LockAsync())
            {
                await AsyncIO.Sleep(0);
            }
        }

        static async Coroutine WaitEvent(AsyncEvent ev) => await ev.WaitAsync();

        static async Coroutine WaitCondition(AsyncCondition cond)
        {
            using (await cond.LockAsync())
            {
                await cond.WaitAsync();
            }
        }

        static async Coroutine WaitBarrier(AsyncBarrier barrier) => await barrier.WaitAsync();

        static async Coroutine ContendLimiter(CapacityLimiter limiter)
        {
            using (await limiter.LockAsync())
            {
                await AsyncIO.Sleep(0);
            }
        }

        static async Coroutine Consume(AsyncQueue<int> q, int n)
        {
            for (int i = 0; i < n; i++)
            {
                await q.GetAsync();
            }
        }
    }

    [Fact]
    public void LoopStoppedButNotClosed_UsableWithoutALoop_ButNotFromAnotherLoop()
    {
        var l = new AsyncLock();
        using (var first = new EventLoop())
        {
            first.RunUntilComplete(UseOnce(l));

            // Not running: inspecting or setting up from a thread without a loop is allowed.
            Assert.False(l.IsLocked);
            Assert.True(l.TryAcquire());
            l.Release();

            using (var second = new EventLoop())
            {
                var error = Assert.Throws<InvalidOperationException>(() => second.RunUntilComplete(UseOnce(l)));
                Assert.Contains(OtherLoop, error.Message);
            }
        }

        // The first loop is closed now: a new one may take the lock over.
        using var third = new EventLoop();
        third.RunUntilComplete(UseOnce(l));
        Assert.False(l.IsLocked);

        static async Coroutine UseOnce(AsyncLock l)
        {
            await l.AcquireAsync();
            await AsyncIO.Sleep(0);
            l.Release();
        }
    }

    [Fact]
    public void ContendedWait_WithNoLoopAtAll_ThrowsClearly()
    {
        // A free lock may be taken before any loop runs (nothing waits); waiting needs a loop.
        var l = new AsyncLock();
        Assert.True(l.AcquireAsync().IsCompletedSuccessfully);
        var error = Assert.Throws<InvalidOperationException>(() => l.AcquireAsync());
        Assert.Equal("AsyncLock can only be waited on from a coroutine running on an event loop.", error.Message);
        l.Release();
        Assert.False(l.IsLocked);

        var q = new AsyncQueue<int>();
        Assert.Contains("can only be waited on", Assert.Throws<InvalidOperationException>(() => q.GetAsync()).Message);
    }

    /// <summary>Makes every call from a second loop on another thread, then from a plain thread while this
    /// loop runs, and checks each was refused with a clear message.</summary>
    private static async Coroutine AssertRefusedElsewhere(Action[] calls, string typeName)
    {
        List<Exception?> fromLoop = await OnAnotherLoop(calls);
        AssertAllRefused(fromLoop, typeName, OtherLoop);
        List<Exception?> fromThread = await AsyncIO.ToThread(() => Invoke(calls));
        AssertAllRefused(fromThread, typeName, OtherThread);
    }

    private static async Coroutine<List<Exception?>> OnAnotherLoop(Action[] calls) =>
        await AsyncIO.ToThread(() =>
        {
            using var other = new EventLoop();
            return other.RunUntilComplete(InvokeInATask(calls));
        });

    private static async Coroutine<List<Exception?>> InvokeInATask(Action[] calls)
    {
        await AsyncIO.Sleep(0);
        return Invoke(calls);
    }

    private static List<Exception?> Invoke(Action[] calls)
    {
        var errors = new List<Exception?>();
        foreach (Action call in calls)
        {
            try
            {
                call();
                errors.Add(null);
            }
            catch (Exception ex)
            {
                errors.Add(ex);
            }
        }

        return errors;
    }

    private static void AssertAllRefused(List<Exception?> errors, string typeName, string why)
    {
        for (int i = 0; i < errors.Count; i++)
        {
            Exception? error = errors[i];
            Assert.True(error is not null, $"Call #{i} was not refused.");
            Assert.True(error is InvalidOperationException && error.GetType() == typeof(InvalidOperationException), $"Call #{i} threw {error}");
            Assert.StartsWith(typeName, error.Message, StringComparison.Ordinal);
            Assert.Contains(why, error.Message, StringComparison.Ordinal);
        }
    }
}
