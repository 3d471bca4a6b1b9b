using Aio.Sync;
using Aio.Tests.Support;

namespace Aio.Tests.Sync;

public sealed class AsyncLockTests
{
    [Fact]
    public void AcquireAsync_Free_CompletesSynchronously()
    {
        LoopTest.Run(async _ =>
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
    public void Waiters_AreServedFirstInFirstOut()
    {
        LoopTest.Run(async _ =>
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
    public void Release_NotLocked_Throws()
    {
        LoopTest.Run(async _ =>
        {
            var l = new AsyncLock();
            Assert.Throws<InvalidOperationException>(l.Release);
            await AsyncIO.Sleep(0);
        });
    }

    [Fact]
    public void CancelWhileWaiting_LeavesWithoutTheLock()
    {
        LoopTest.Run(async _ =>
        {
            var l = new AsyncLock();
            await l.AcquireAsync();
            AioTask waiter = AsyncIO.CreateTask(Acquire(l));
            await AsyncIO.Sleep(0);
            Assert.Equal(1, l.WaitingCount);

            waiter.Cancel();
            await AioAssert.ThrowsAsync<CancelledException>(waiter);
            Assert.Equal(0, l.WaitingCount);
            l.Release();
            Assert.False(l.IsLocked);
        });

        static async Coroutine Acquire(AsyncLock l) => await l.AcquireAsync();
    }

    [Fact]
    public void CancelAfterHandOff_PassesTheLockToTheNextWaiter()
    {
        LoopTest.Run(async _ =>
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
}
