using Aio.Sync;
using Aio.Tests.Support;

namespace Aio.Tests.Sync;

/// <summary>asyncio's <c>BoundedSemaphore</c> cases (test_locks.py, 3.13): releasing above the initial
/// count is an error where it happens.</summary>
public sealed class AsyncBoundedSemaphoreTests
{
    [Fact]
    public void Release_NotAcquired_ThrowsInvalidOperation()
    {
        // asyncio: test_release_not_acquired (ValueError there).
        GuardedLoop.Run(async _ =>
        {
            var sem = new AsyncBoundedSemaphore();
            var error = Assert.Throws<InvalidOperationException>(sem.Release);
            Assert.Contains("released too many times", error.Message);
            Assert.Equal(1, sem.CurrentCount);
            await AsyncIO.Sleep(0);
        });
    }

    [Fact]
    public void Release_MoreThanAcquired_ThrowsAndKeepsTheCount()
    {
        GuardedLoop.Run(async _ =>
        {
            var sem = new AsyncBoundedSemaphore(2);
            await sem.AcquireAsync();
            await sem.AcquireAsync();
            Assert.True(sem.IsLocked);
            sem.Release();
            sem.Release();
            Assert.Equal(2, sem.CurrentCount);
            Assert.Throws<InvalidOperationException>(sem.Release);
            Assert.Equal(2, sem.CurrentCount);
        });
    }

    [Fact]
    public void Release_WithWaiters_HandsThePermitOn()
    {
        GuardedLoop.Run(async _ =>
        {
            var sem = new AsyncBoundedSemaphore(1);
            await sem.AcquireAsync();
            AioTask waiter = AsyncIO.CreateTask(Hold(sem));
            await AsyncIO.Sleep(0);
            sem.Release();
            await waiter;
            Assert.Equal(1, sem.CurrentCount);
            Assert.Throws<InvalidOperationException>(sem.Release);
        });

        static async Coroutine Hold(AsyncBoundedSemaphore sem)
        {
            using (await sem.LockAsync())
            {
                await AsyncIO.Sleep(0);
            }
        }
    }

    [Fact]
    public void BoundZero_ReleaseWithAWaiter_ThrowsInsteadOfLettingItThrough()
    {
        // A bound of zero admits nobody: asyncio checks the bound before waking anyone, so a release is an
        // error even while a task waits.
        GuardedLoop.Run(async _ =>
        {
            var sem = new AsyncBoundedSemaphore(0);
            AioTask waiter = AsyncIO.CreateTask(Acquire(sem));
            await AsyncIO.Sleep(0);
            Assert.Equal(1, sem.WaitingCount);

            Assert.Throws<InvalidOperationException>(sem.Release);
            await AsyncIO.Sleep(0);
            Assert.False(waiter.IsDone);
            Assert.Equal(1, sem.WaitingCount);

            waiter.Cancel();
            await AioAssert.ThrowsAsync<CancelledException>(waiter);
            Assert.Equal(0, sem.CurrentCount);
        });

        static async Coroutine Acquire(AsyncBoundedSemaphore sem) => await sem.AcquireAsync();
    }
}
