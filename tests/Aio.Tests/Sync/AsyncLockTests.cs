using Aio.Sync;
using Aio.Tests.Support;

namespace Aio.Tests.Sync;

/// <summary>asyncio's <c>LockTests</c> (test_locks.py, 3.13), less the repr and <c>loop=</c> cases, plus
/// the hand-off and pooled-wait guarantees of <see cref="AsyncLock"/>.</summary>
public sealed class AsyncLockTests
{
    [Fact]
    public void AcquireAsync_Free_CompletesSynchronously()
    {
        GuardedLoop.Run(async _ =>
        {
            var l = new AsyncLock();
            ValueTask acquired = l.AcquireAsync();
            Assert.True(acquired.IsCompletedSuccessfully);
            await acquired;
            Assert.True(l.IsLocked);
            l.Release();
            Assert.False(l.IsLocked);
        });
    }

    [Fact]
    public void AcquireAsync_Contended_WakesOneWaiterPerRelease()
    {
        // asyncio: test_acquire.
        GuardedLoop.Run(async _ =>
        {
            var l = new AsyncLock();
            var result = new List<int>();
            await l.AcquireAsync();

            AioTask t1 = AsyncIO.CreateTask(AcquireAndRecord(l, 1, result));
            AioTask t2 = AsyncIO.CreateTask(AcquireAndRecord(l, 2, result));
            await AsyncIO.Sleep(0);
            Assert.Empty(result);

            l.Release();
            await AsyncIO.Sleep(0);
            Assert.Equal([1], result);

            await AsyncIO.Sleep(0);
            Assert.Equal([1], result);

            AioTask t3 = AsyncIO.CreateTask(AcquireAndRecord(l, 3, result));
            l.Release();
            await AsyncIO.Sleep(0);
            Assert.Equal([1, 2], result);

            l.Release();
            await AsyncIO.Sleep(0);
            Assert.Equal([1, 2, 3], result);

            Assert.True(t1.IsCompletedSuccessfully);
            Assert.True(t2.IsCompletedSuccessfully);
            Assert.True(t3.IsCompletedSuccessfully);
            Assert.True(l.IsLocked);
            l.Release();
        });

        static async Coroutine AcquireAndRecord(AsyncLock l, int id, List<int> result)
        {
            await l.AcquireAsync();
            result.Add(id);
        }
    }

    [Fact]
    public void Waiters_AreServedFirstInFirstOut()
    {
        GuardedLoop.Run(async _ =>
        {
            var l = new AsyncLock();
            var order = new List<int>();
            await l.AcquireAsync();
            var tasks = new List<AioTask>();
            for (int i = 0; i < 5; i++)
            {
                tasks.Add(AsyncIO.CreateTask(Worker(l, i, order)));
            }

            await AsyncIO.Sleep(0);
            Assert.Equal(5, l.WaitingCount);
            l.Release();

            // A newcomer that tries right after the release queues behind the waiters.
            Assert.False(l.TryAcquire());
            tasks.Add(AsyncIO.CreateTask(Worker(l, 5, order)));
            await AsyncIO.Gather(tasks.ToArray());
            Assert.Equal([0, 1, 2, 3, 4, 5], order);
            Assert.False(l.IsLocked);
        });

        static async Coroutine Worker(AsyncLock l, int id, List<int> order)
        {
            using (await l.LockAsync())
            {
                order.Add(id);
                await AsyncIO.Sleep(0);
            }
        }
    }

    [Fact]
    public void Release_NotLocked_ThrowsInvalidOperation()
    {
        // asyncio: test_release_not_acquired (RuntimeError there).
        GuardedLoop.Run(async _ =>
        {
            var l = new AsyncLock();
            var error = Assert.Throws<InvalidOperationException>(l.Release);
            Assert.Contains("not acquired", error.Message);
            Assert.False(l.IsLocked);
            await AsyncIO.Sleep(0);
        });
    }

    [Fact]
    public void Release_NoWaiters_Unlocks()
    {
        // asyncio: test_release_no_waiters.
        GuardedLoop.Run(async _ =>
        {
            var l = new AsyncLock();
            await l.AcquireAsync();
            Assert.True(l.IsLocked);
            l.Release();
            Assert.False(l.IsLocked);
            Assert.Throws<InvalidOperationException>(l.Release);
        });
    }

    [Fact]
    public void LockAsync_UsingBlock_HoldsTheLockInsideOnly()
    {
        // asyncio: test_context_manager.
        GuardedLoop.Run(async _ =>
        {
            var l = new AsyncLock();
            Assert.False(l.IsLocked);
            using (await l.LockAsync())
            {
                Assert.True(l.IsLocked);
            }

            Assert.False(l.IsLocked);
        });
    }

    [Fact]
    public void TryAcquire_NeverWaits()
    {
        GuardedLoop.Run(async _ =>
        {
            var l = new AsyncLock();
            Assert.True(l.TryAcquire());
            Assert.False(l.TryAcquire());
            Assert.Equal(0, l.WaitingCount);
            l.Release();
            Assert.True(l.TryAcquire());
            l.Release();
            await AsyncIO.Sleep(0);
        });
    }

    [Fact]
    public void DefaultReleaser_ReleasesNothing()
    {
        GuardedLoop.Run(async _ =>
        {
            var l = new AsyncLock();
            await l.AcquireAsync();
            default(AsyncReleaser).Dispose();
            Assert.True(l.IsLocked);
            l.Release();
        });
    }

    [Fact]
    public void AcquireAsync_CancelledWhileWaiting_LeavesWithoutTheLock()
    {
        // asyncio: test_acquire_cancel.
        GuardedLoop.Run(async loop =>
        {
            var l = new AsyncLock();
            await l.AcquireAsync();
            AioTask waiter = AsyncIO.CreateTask(Acquire(l));
            loop.CallSoon(() => waiter.Cancel());
            await AioAssert.ThrowsAsync<CancelledException>(waiter);
            Assert.Equal(0, l.WaitingCount);
            l.Release();
            Assert.False(l.IsLocked);
        });
    }

    [Fact]
    public void CancelWhileWaiting_ThenRelease_GoesToTheNextWaiter()
    {
        // asyncio: test_cancel_race. B is cancelled while waiting, at the same time as A releases; C must
        // get the lock.
        GuardedLoop.Run(async loop =>
        {
            var l = new AsyncLock();
            Future<object?> blocker = loop.CreateFuture<object?>();
            AioTask ta = AsyncIO.CreateTask(LockIt(l, blocker));
            await AsyncIO.Sleep(0);
            Assert.True(l.IsLocked);
            AioTask tb = AsyncIO.CreateTask(LockIt(l, null));
            await AsyncIO.Sleep(0);
            Assert.Equal(1, l.WaitingCount);
            AioTask tc = AsyncIO.CreateTask(LockIt(l, null));
            await AsyncIO.Sleep(0);
            Assert.Equal(2, l.WaitingCount);

            blocker.SetResult(null);
            tb.Cancel();
            Assert.Equal(1, l.WaitingCount);
            await AsyncIO.Sleep(0);
            Assert.True(ta.IsCompletedSuccessfully);
            Assert.True(tb.IsCancelled);
            await tc;
            Assert.False(l.IsLocked);
        });

        static async Coroutine LockIt(AsyncLock l, Future? blocker)
        {
            await l.AcquireAsync();
            try
            {
                if (blocker is not null)
                {
                    await blocker;
                }
            }
            finally
            {
                l.Release();
            }
        }
    }

    [Fact]
    public void CancelThenRelease_InOneCallback_HandsTheLockToExactlyOneWaiter()
    {
        // asyncio: test_cancel_release_race (bpo-32734): cancelling the first waiter and releasing in the
        // same callback must not let two waiters take the lock.
        GuardedLoop.Run(async loop =>
        {
            var l = new AsyncLock();
            int lockCount = 0;
            int callCount = 0;
            await l.AcquireAsync();

            AioTask t1 = AsyncIO.CreateTask(LockIt());
            AioTask t2 = AsyncIO.CreateTask(LockIt());
            AioTask t3 = AsyncIO.CreateTask(LockIt());
            await AsyncIO.Sleep(0);

            loop.CallSoon(() =>
            {
                t1.Cancel();
                l.Release();
            });
            await AioAssert.ThrowsAsync<CancelledException>(t1);

            Assert.Equal(1, lockCount);
            Assert.Equal(3, callCount);
            Assert.True(t1.IsCancelled);
            Assert.True(t2.IsCompletedSuccessfully);

            t3.Cancel();
            await AsyncIO.Sleep(0);
            Assert.True(t3.IsCancelled);
            Assert.True(l.IsLocked);
            l.Release();
            Assert.False(l.IsLocked);

            async Coroutine LockIt()
            {
                callCount++;
                await l.AcquireAsync();
                lockCount++;
            }
        });
    }

    [Fact]
    public void CancelAfterHandOff_PassesTheLockToTheNextWaiter()
    {
        // asyncio: test_finished_waiter_cancelled.
        GuardedLoop.Run(async _ =>
        {
            var l = new AsyncLock();
            await l.AcquireAsync();
            var got = new List<string>();
            AioTask first = AsyncIO.CreateTask(Hold(l, "first", got));
            AioTask second = AsyncIO.CreateTask(Hold(l, "second", got));
            await AsyncIO.Sleep(0);

            // The release hands the lock to `first`; cancelling it before it resumes must neither keep
            // the lock nor lose the wake-up for `second`.
            l.Release();
            first.Cancel();
            await AioAssert.ThrowsAsync<CancelledException>(first);
            await second;
            Assert.Equal(["second"], got);
            Assert.False(l.IsLocked);
        });

        static async Coroutine Hold(AsyncLock l, string name, List<string> got)
        {
            using (await l.LockAsync())
            {
                got.Add(name);
            }
        }
    }

    [Fact]
    public void WaitValueTask_AwaitedTwice_FailsLoudly()
    {
        GuardedLoop.Run(async _ =>
        {
            var l = new AsyncLock();
            await l.AcquireAsync();
            AioTask<bool> reuse = AsyncIO.CreateTask(AwaitTwice(l));
            await AsyncIO.Sleep(0);
            l.Release();
            Assert.True(await reuse);
            Assert.True(l.IsLocked);
            l.Release();
        });

        static async Coroutine<bool> AwaitTwice(AsyncLock l)
        {
            ValueTask wait = l.AcquireAsync();
            await wait;
            try
            {
                await wait;
                return false;
            }
            catch (InvalidOperationException ex)
            {
                return ex.Message.Contains("awaited twice", StringComparison.Ordinal);
            }
        }
    }

    private static async Coroutine Acquire(AsyncLock l) => await l.AcquireAsync();
}
