using Aio.Queues;
using Aio.Sync;
using Aio.Tests.Queues;
using Aio.Tests.Support;

namespace Aio.Tests.Sync;

/// <summary>
/// First in, first out, for every primitive: waiters are served in the order they started waiting, a
/// waiter cancelled in between drops out without disturbing the others' order, and a task arriving after
/// a release never overtakes those already waiting.
/// </summary>
public sealed class FairnessTests
{
    private const int Waiters = 8;

    /// <summary>Waiters cancelled in the middle of the line.</summary>
    private static readonly int[] Cancelled = [2, 5];

    private static readonly int[] Served = Enumerable.Range(0, Waiters).Except(Cancelled).ToArray();

    [Fact]
    public void Lock_ServesWaitersInArrivalOrder()
    {
        GuardedLoop.Run(async _ =>
        {
            var l = new AsyncLock();
            await l.AcquireAsync();
            var order = new List<int>();
            AioTask[] tasks = await StartInOrder(i => Hold(i));
            CancelTheMiddle(tasks);
            l.Release();

            // Newcomers after the release queue behind.
            Assert.False(l.TryAcquire());
            AioTask late = AsyncIO.CreateTask(Hold(Waiters));
            await AsyncIO.GatherReturnExceptions(tasks);
            await late;
            Assert.Equal([.. Served, Waiters], order);
            Assert.False(l.IsLocked);

            async Coroutine Hold(int id)
            {
                using (await l.LockAsync())
                {
                    order.Add(id);
                    await AsyncIO.Sleep(0);
                }
            }
        });
    }

    [Fact]
    public void Semaphore_ServesWaitersInArrivalOrder()
    {
        GuardedLoop.Run(async _ =>
        {
            var sem = new AsyncSemaphore(0);
            var order = new List<int>();
            AioTask[] tasks = await StartInOrder(i => Take(i));
            CancelTheMiddle(tasks);

            for (int i = 0; i < Served.Length; i++)
            {
                sem.Release();
                Assert.False(sem.TryAcquire());
                await AsyncIO.Sleep(0);
            }

            await AsyncIO.GatherReturnExceptions(tasks);
            Assert.Equal(Served, order);
            Assert.Equal(0, sem.CurrentCount);

            async Coroutine Take(int id)
            {
                await sem.AcquireAsync();
                order.Add(id);
            }
        });
    }

    [Fact]
    public void BoundedSemaphore_ServesWaitersInArrivalOrder()
    {
        GuardedLoop.Run(async _ =>
        {
            var sem = new AsyncBoundedSemaphore(2);
            await sem.AcquireAsync();
            await sem.AcquireAsync();
            var order = new List<int>();
            AioTask[] tasks = await StartInOrder(i => Hold(i));
            CancelTheMiddle(tasks);

            sem.Release();
            sem.Release();
            await AsyncIO.GatherReturnExceptions(tasks);
            Assert.Equal(Served, order);
            Assert.Equal(2, sem.CurrentCount);

            async Coroutine Hold(int id)
            {
                using (await sem.LockAsync())
                {
                    order.Add(id);
                    await AsyncIO.Sleep(0);
                }
            }
        });
    }

    [Fact]
    public void Event_WakesWaitersInArrivalOrder()
    {
        GuardedLoop.Run(async _ =>
        {
            var ev = new AsyncEvent();
            var order = new List<int>();
            AioTask[] tasks = await StartInOrder(i => Wait(i));
            CancelTheMiddle(tasks);
            ev.Set();
            await AsyncIO.GatherReturnExceptions(tasks);
            Assert.Equal(Served, order);

            async Coroutine Wait(int id)
            {
                await ev.WaitAsync();
                order.Add(id);
            }
        });
    }

    [Fact]
    public void Condition_NotifyOne_WakesWaitersInArrivalOrder()
    {
        GuardedLoop.Run(async _ =>
        {
            var cond = new AsyncCondition();
            var order = new List<int>();
            AioTask[] tasks = await StartInOrder(i => Wait(i));
            CancelTheMiddle(tasks);
            await AsyncIO.Sleep(0);

            for (int i = 0; i < Served.Length; i++)
            {
                using (await cond.LockAsync())
                {
                    cond.Notify();
                }

                await AsyncIO.Sleep(0);
            }

            await AsyncIO.GatherReturnExceptions(tasks);
            Assert.Equal(Served, order);

            async Coroutine Wait(int id)
            {
                using (await cond.LockAsync())
                {
                    await cond.WaitAsync();
                    order.Add(id);
                }
            }
        });
    }

    [Fact]
    public void Condition_NotifyAll_WakesWaitersInArrivalOrder_BehindTasksAlreadyWaitingForTheLock()
    {
        GuardedLoop.Run(async _ =>
        {
            var cond = new AsyncCondition();
            var order = new List<int>();
            AioTask[] tasks = await StartInOrder(i => Wait(i));
            CancelTheMiddle(tasks);
            await AsyncIO.Sleep(0);

            await cond.AcquireAsync();
            AioTask lockWaiter = AsyncIO.CreateTask(TakeLock());
            await AsyncIO.Sleep(0);
            cond.NotifyAll();
            cond.Release();
            await AsyncIO.GatherReturnExceptions(tasks);
            await lockWaiter;
            Assert.Equal([-1, .. Served], order);

            async Coroutine Wait(int id)
            {
                using (await cond.LockAsync())
                {
                    await cond.WaitAsync();
                    order.Add(id);
                }
            }

            async Coroutine TakeLock()
            {
                using (await cond.LockAsync())
                {
                    order.Add(-1);
                }
            }
        });
    }

    [Fact]
    public void Barrier_ReleasesWaitersInArrivalOrder_WithArrivalIndices()
    {
        GuardedLoop.Run(async _ =>
        {
            var barrier = new AsyncBarrier(Waiters + 1);
            var order = new List<(int Id, int Index)>();
            AioTask[] tasks = await StartInOrder(i => Wait(i));
            int last = await barrier.WaitAsync();
            await AsyncIO.Gather(tasks);
            Assert.Equal(Waiters, last);
            Assert.Equal(Enumerable.Range(0, Waiters).Select(i => (i, i)), order);

            async Coroutine Wait(int id)
            {
                int index = await barrier.WaitAsync();
                order.Add((id, index));
            }
        });
    }

    [Fact]
    public void CapacityLimiter_LendsTokensInArrivalOrder()
    {
        GuardedLoop.Run(async _ =>
        {
            var c = new CapacityLimiter(1);
            object holder = new();
            c.TryAcquireOnBehalfOf(holder);
            var order = new List<int>();
            AioTask[] tasks = await StartInOrder(i => Borrow(i));
            CancelTheMiddle(tasks);

            c.ReleaseOnBehalfOf(holder);
            Assert.False(c.TryAcquireOnBehalfOf(new object()));
            c.TotalTokens = 2;
            await AsyncIO.GatherReturnExceptions(tasks);
            Assert.Equal(Served, order);
            Assert.Equal(0, c.BorrowedTokens);

            async Coroutine Borrow(int id)
            {
                using (await c.LockAsync())
                {
                    order.Add(id);
                    await AsyncIO.Sleep(0);
                }
            }
        });
    }

    [Theory]
    [MemberData(nameof(QueueKinds.All), MemberType = typeof(QueueKinds))]
    public void Queue_WaitingGettersAreServedInArrivalOrder(string kind)
    {
        GuardedLoop.Run(async _ =>
        {
            var q = QueueKinds.Create<int>(kind);
            var order = new List<int>();
            AioTask[] tasks = await StartInOrder(i => Get(i));
            CancelTheMiddle(tasks);
            await AsyncIO.Sleep(0);

            foreach (int item in Served)
            {
                q.PutNowait(100);
                Assert.False(q.TryGet(out int _));
            }

            await AsyncIO.GatherReturnExceptions(tasks);
            Assert.Equal(Served, order);

            async Coroutine Get(int id)
            {
                await q.GetAsync();
                order.Add(id);
            }
        });
    }

    [Theory]
    [MemberData(nameof(QueueKinds.All), MemberType = typeof(QueueKinds))]
    public void Queue_WaitingPuttersGetSlotsInArrivalOrder(string kind)
    {
        GuardedLoop.Run(async _ =>
        {
            var q = QueueKinds.Create<int>(kind, maxSize: 1);
            q.PutNowait(-1);
            var order = new List<int>();
            AioTask[] tasks = await StartInOrder(i => Put(i));
            CancelTheMiddle(tasks);
            await AsyncIO.Sleep(0);

            var items = new List<int>();
            while (items.Count < Served.Length)
            {
                if (q.TryGet(out int item))
                {
                    if (item >= 0)
                    {
                        items.Add(item);
                    }

                    if (items.Count < Served.Length)
                    {
                        // The get that freed the slot moved the next putter's item in: the queue is full again.
                        Assert.False(q.TryPut(-2));
                    }
                }

                await AsyncIO.Sleep(0);
            }

            await AsyncIO.GatherReturnExceptions(tasks);
            Assert.Equal(Served, order);
            Assert.Equal(Served, items);

            async Coroutine Put(int id)
            {
                await q.PutAsync(id);
                order.Add(id);
            }
        });
    }

    [Theory]
    [MemberData(nameof(QueueKinds.All), MemberType = typeof(QueueKinds))]
    public void Queue_JoinersAreReleasedInArrivalOrder(string kind)
    {
        GuardedLoop.Run(async _ =>
        {
            var q = QueueKinds.Create<int>(kind);
            q.PutNowait(1);
            var order = new List<int>();
            AioTask[] tasks = await StartInOrder(i => Join(i));
            CancelTheMiddle(tasks);
            q.GetNowait();
            q.TaskDone();
            await AsyncIO.GatherReturnExceptions(tasks);
            Assert.Equal(Served, order);

            async Coroutine Join(int id)
            {
                await q.JoinAsync();
                order.Add(id);
            }
        });
    }

    /// <summary>Starts one task per waiter, each after the previous one is waiting.</summary>
    private static async Coroutine<AioTask[]> StartInOrder(Func<int, Coroutine> waiter)
    {
        var tasks = new AioTask[Waiters];
        for (int i = 0; i < Waiters; i++)
        {
            tasks[i] = AsyncIO.CreateTask(waiter(i));
            await AsyncIO.Sleep(0);
        }

        return tasks;
    }

    private static void CancelTheMiddle(AioTask[] tasks)
    {
        foreach (int i in Cancelled)
        {
            tasks[i].Cancel();
        }
    }
}
