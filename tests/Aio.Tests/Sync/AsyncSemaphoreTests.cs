using Aio.Sync;
using Aio.Tests.Support;

namespace Aio.Tests.Sync;

/// <summary>asyncio's <c>SemaphoreTests</c> (test_locks.py, 3.13), less the repr cases. Where asyncio
/// lets a released permit be taken by whoever runs first, <see cref="AsyncSemaphore"/> hands it to the
/// longest waiter at the release, so several ports assert an exact outcome where asyncio allows a race.</summary>
public sealed class AsyncSemaphoreTests
{
    [Fact]
    public void InitialCountZero_IsLocked()
    {
        // asyncio: test_initial_value_zero.
        GuardedLoop.Run(async _ =>
        {
            var sem = new AsyncSemaphore(0);
            Assert.True(sem.IsLocked);
            Assert.Equal(0, sem.CurrentCount);
            await AsyncIO.Sleep(0);
        });
    }

    [Fact]
    public void DefaultCount_IsOne()
    {
        // asyncio: test_semaphore.
        var sem = new AsyncSemaphore();
        Assert.Equal(1, sem.CurrentCount);
        Assert.False(sem.IsLocked);
    }

    [Fact]
    public void NegativeInitialCount_Throws()
    {
        // asyncio: test_semaphore_value (ValueError there).
        Assert.Throws<ArgumentOutOfRangeException>(() => new AsyncSemaphore(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new AsyncBoundedSemaphore(-1));
    }

    [Fact]
    public void AcquireAsync_CountsPermits_AndReleasesGoToTheLongestWaiters()
    {
        // asyncio: test_acquire. asyncio lets t2, t3 and t4 race for the two released permits; here they
        // go to t2 and t3, which waited first.
        GuardedLoop.Run(async _ =>
        {
            var sem = new AsyncSemaphore(3);
            var result = new List<int>();
            await sem.AcquireAsync();
            await sem.AcquireAsync();
            Assert.False(sem.IsLocked);

            AioTask t1 = AsyncIO.CreateTask(AcquireAndRecord(sem, 1, result));
            AioTask t2 = AsyncIO.CreateTask(AcquireAndRecord(sem, 2, result));
            AioTask t3 = AsyncIO.CreateTask(AcquireAndRecord(sem, 3, result));
            await AsyncIO.Sleep(0);
            Assert.Equal([1], result);
            Assert.True(sem.IsLocked);
            Assert.Equal(2, sem.WaitingCount);
            Assert.Equal(0, sem.CurrentCount);

            AioTask t4 = AsyncIO.CreateTask(AcquireAndRecord(sem, 4, result));
            sem.Release();
            sem.Release();
            Assert.Equal(0, sem.CurrentCount);

            await AsyncIO.Sleep(0);
            Assert.Equal(0, sem.CurrentCount);
            Assert.Equal([1, 2, 3], result);
            Assert.True(sem.IsLocked);
            Assert.Equal(1, sem.WaitingCount);
            Assert.True(t1.IsCompletedSuccessfully);
            Assert.True(t2.IsCompletedSuccessfully);
            Assert.True(t3.IsCompletedSuccessfully);
            Assert.False(t4.IsDone);

            sem.Release();
            await t4;
            Assert.Equal([1, 2, 3, 4], result);
        });
    }

    [Fact]
    public void AcquireAsync_Cancelled_LeavesTheWaiters()
    {
        // asyncio: test_acquire_cancel.
        GuardedLoop.Run(async loop =>
        {
            var sem = new AsyncSemaphore();
            await sem.AcquireAsync();
            AioTask acquire = AsyncIO.CreateTask(Acquire(sem));
            loop.CallSoon(() => acquire.Cancel());
            await AioAssert.ThrowsAsync<CancelledException>(acquire);
            Assert.Equal(0, sem.WaitingCount);
            sem.Release();
            Assert.Equal(1, sem.CurrentCount);
        });
    }

    [Fact]
    public void WaitersCancelledBeforeARelease_DoNotTakeIt()
    {
        // asyncio: test_acquire_cancel_before_awoken.
        GuardedLoop.Run(async _ =>
        {
            var sem = new AsyncSemaphore(0);
            AioTask t1 = AsyncIO.CreateTask(Acquire(sem));
            AioTask t2 = AsyncIO.CreateTask(Acquire(sem));
            AioTask t3 = AsyncIO.CreateTask(Acquire(sem));
            AioTask t4 = AsyncIO.CreateTask(Acquire(sem));
            await AsyncIO.Sleep(0);

            t1.Cancel();
            t2.Cancel();
            sem.Release();

            await AsyncIO.Sleep(0);
            await AsyncIO.Sleep(0);
            Assert.True(t1.IsCancelled);
            Assert.True(t2.IsCancelled);
            Assert.True(t3.IsCompletedSuccessfully);
            Assert.False(t4.IsDone);

            t4.Cancel();
            await AioAssert.ThrowsAsync<CancelledException>(t4);
            Assert.Equal(0, sem.CurrentCount);
            Assert.Equal(0, sem.WaitingCount);
        });
    }

    [Fact]
    public void CancelledWaiterThenRelease_DoesNotHang()
    {
        // asyncio: test_acquire_hang.
        GuardedLoop.Run(async _ =>
        {
            var sem = new AsyncSemaphore(0);
            AioTask t1 = AsyncIO.CreateTask(Acquire(sem));
            AioTask t2 = AsyncIO.CreateTask(Acquire(sem));
            await AsyncIO.Sleep(0);

            t1.Cancel();
            sem.Release();
            await AsyncIO.Sleep(0);
            await AsyncIO.Sleep(0);
            Assert.True(sem.IsLocked);
            Assert.True(t2.IsCompletedSuccessfully);
            Assert.True(t1.IsCancelled);
        });
    }

    [Fact]
    public void HolderCancelsTheNextWaiter_PermitComesBack()
    {
        // asyncio: test_acquire_no_hang. c1 cancels c2 right after its release handed c2 the permit.
        GuardedLoop.Run(async _ =>
        {
            var sem = new AsyncSemaphore(1);
            AioTask? t2 = null;
            AioTask t1 = AsyncIO.CreateTask(C1());
            t2 = AsyncIO.CreateTask(C2());

            Outcome[] outcomes = await AsyncIO.GatherReturnExceptions(t1, t2);
            Assert.True(outcomes[0].IsSuccess);
            Assert.True(outcomes[1].IsCancelled);

            ValueTask acquired = sem.AcquireAsync();
            Assert.True(acquired.IsCompletedSuccessfully);
            await acquired;

            async Coroutine C1()
            {
                using (await sem.LockAsync())
                {
                    await AsyncIO.Sleep(0);
                }

                t2!.Cancel();
            }

            async Coroutine C2()
            {
                using (await sem.LockAsync())
                {
                    Assert.Fail("c2 must not get the permit");
                }
            }
        });
    }

    [Fact]
    public void Release_NoWaiters_Unlocks()
    {
        // asyncio: test_release_no_waiters.
        GuardedLoop.Run(async _ =>
        {
            var sem = new AsyncSemaphore();
            await sem.AcquireAsync();
            Assert.True(sem.IsLocked);
            sem.Release();
            Assert.False(sem.IsLocked);
        });
    }

    [Fact]
    public void Release_Unbounded_RaisesTheCountAboveItsStart()
    {
        GuardedLoop.Run(async _ =>
        {
            var sem = new AsyncSemaphore(1);
            sem.Release();
            sem.Release();
            Assert.Equal(3, sem.CurrentCount);
            Assert.True(sem.TryAcquire());
            Assert.True(sem.TryAcquire());
            Assert.True(sem.TryAcquire());
            Assert.False(sem.TryAcquire());
            await AsyncIO.Sleep(0);
        });
    }

    [Fact]
    public void AcquireReleaseTwice_ServesTasksInArrivalOrderEachRound()
    {
        // asyncio: test_acquire_fifo_order (sleep(0) in place of sleep(0.01)).
        GuardedLoop.Run(async _ =>
        {
            var sem = new AsyncSemaphore(1);
            var result = new List<string>();
            await AsyncIO.TaskGroup(async tg =>
            {
                tg.StartSoon(Coro("c1"));
                tg.StartSoon(Coro("c2"));
                tg.StartSoon(Coro("c3"));
                await AsyncIO.Sleep(0);
            });
            Assert.Equal(["c1_1", "c2_1", "c3_1", "c1_2", "c2_2", "c3_2"], result);
            Assert.Equal(1, sem.CurrentCount);

            async Coroutine Coro(string tag)
            {
                await sem.AcquireAsync();
                result.Add($"{tag}_1");
                await AsyncIO.Sleep(0);
                sem.Release();

                await sem.AcquireAsync();
                result.Add($"{tag}_2");
                await AsyncIO.Sleep(0);
                sem.Release();
            }
        });
    }

    [Fact]
    public void ReacquireAfterRelease_TakesOnlyAPermitNobodyWaitsFor()
    {
        // asyncio: test_acquire_fifo_order_2. The two releases hand permits to c2 and c3 at once; c2's
        // release then frees a permit nobody waits for, so its reacquire takes it without bypassing c3
        // (which already holds its own). asyncio records [1, 2, 3, 4] because it only decides when the
        // woken tasks run; the hand-off decided at the releases, so c2 records 4 before c3 runs.
        GuardedLoop.Run(async _ =>
        {
            var sem = new AsyncSemaphore(1);
            var result = new List<int>();
            AioTask t1 = AsyncIO.CreateTask(C1());
            AioTask t2 = AsyncIO.CreateTask(C2());
            AioTask t3 = AsyncIO.CreateTask(C3());
            await AsyncIO.Sleep(0);
            Assert.Equal(2, sem.WaitingCount);

            sem.Release();
            sem.Release();
            Assert.Equal(0, sem.WaitingCount);
            Assert.Equal(0, sem.CurrentCount);

            await AsyncIO.Gather(t1, t2, t3);
            Assert.Equal([1, 2, 4, 3], result);
            Assert.Equal(0, sem.CurrentCount);

            async Coroutine C1()
            {
                await sem.AcquireAsync();
                result.Add(1);
            }

            async Coroutine C2()
            {
                await sem.AcquireAsync();
                result.Add(2);
                sem.Release();
                await sem.AcquireAsync();
                result.Add(4);
            }

            async Coroutine C3()
            {
                await sem.AcquireAsync();
                result.Add(3);
            }
        });
    }

    [Fact]
    public void CancelledFirstWaiter_ReleasesGoToTheOthersInOrder()
    {
        // asyncio: test_acquire_fifo_order_3.
        GuardedLoop.Run(async _ =>
        {
            var sem = new AsyncSemaphore(0);
            var result = new List<int>();
            AioTask t1 = AsyncIO.CreateTask(AcquireAndRecord(sem, 1, result));
            AioTask t2 = AsyncIO.CreateTask(AcquireAndRecord(sem, 2, result));
            AioTask t3 = AsyncIO.CreateTask(AcquireAndRecord(sem, 3, result));
            await AsyncIO.Sleep(0);

            t1.Cancel();
            await AsyncIO.Sleep(0);

            sem.Release();
            sem.Release();
            await AsyncIO.GatherReturnExceptions(t1, t2, t3);
            Assert.Equal([2, 3], result);
            Assert.True(t1.IsCancelled);
        });
    }

    [Fact]
    public void LockAsync_UsingBlock_ReturnsThePermit()
    {
        GuardedLoop.Run(async _ =>
        {
            var sem = new AsyncSemaphore(2);
            using (await sem.LockAsync())
            {
                Assert.Equal(1, sem.CurrentCount);
                using (await sem.LockAsync())
                {
                    Assert.True(sem.IsLocked);
                }
            }

            Assert.Equal(2, sem.CurrentCount);
        });
    }

    private static async Coroutine Acquire(AsyncSemaphore sem) => await sem.AcquireAsync();

    private static async Coroutine AcquireAndRecord(AsyncSemaphore sem, int id, List<int> result)
    {
        await sem.AcquireAsync();
        result.Add(id);
    }
}
