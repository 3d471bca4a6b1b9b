using Aio.Queues;
using Aio.Sync;
using Aio.Tests.Support;

namespace Aio.Tests.Sync;

/// <summary>
/// Steady-state waits on every primitive allocate nothing: the wait node comes from the primitive's pool
/// and the awaiting coroutine is resumed directly. Two tasks ping-pong so that the measured waits really
/// park (counted and asserted). Both run on the thread that measures, so the per-thread counter sees the loop's,
/// the primitive's and both tasks' allocations. The measuring task stops before its partner ends, so no
/// task completion falls inside the window.
/// </summary>
[Collection(ProcessWideInstrumentsCollection.Name)]
public sealed class WaitAllocationTests
{
    private const int WarmUp = 2_000;
    private const int Measured = 1_000;
    private const int Iterations = WarmUp + Measured;

    [Fact]
    public void Lock_ContendedAcquire_AllocatesNothingAfterWarmUp()
    {
        long allocated = GuardedLoop.Run(async loop =>
        {
            var l = new AsyncLock();
            int waits = 0;
            AioTask<long> measuring = AsyncIO.CreateTask(Worker(Iterations, measure: true));
            AioTask<long> partner = AsyncIO.CreateTask(Worker(Iterations + 10, measure: false));
            long bytes = await measuring;
            await partner;
            Assert.True(waits >= Iterations, $"only {waits} acquisitions waited");
            return bytes;

            async Coroutine<long> Worker(int n, bool measure)
            {
                long before = 0;
                for (int i = 0; i < n; i++)
                {
                    if (measure && i == WarmUp)
                    {
                        before = GC.GetAllocatedBytesForCurrentThread();
                    }

                    waits += l.IsLocked ? 1 : 0;
                    await l.AcquireAsync();
                    await AsyncIO.Sleep(0);
                    l.Release();
                }

                return measure ? GC.GetAllocatedBytesForCurrentThread() - before : 0;
            }
        });
        Assert.Equal(0, allocated);
    }

    [Fact]
    public void Lock_ContendedLockAsyncUsingBlock_AllocatesNothingAfterWarmUp()
    {
        long allocated = GuardedLoop.Run(async loop =>
        {
            var l = new AsyncLock();
            AioTask<long> measuring = AsyncIO.CreateTask(Worker(Iterations, measure: true));
            AioTask<long> partner = AsyncIO.CreateTask(Worker(Iterations + 10, measure: false));
            long bytes = await measuring;
            await partner;
            return bytes;

            async Coroutine<long> Worker(int n, bool measure)
            {
                long before = 0;
                for (int i = 0; i < n; i++)
                {
                    if (measure && i == WarmUp)
                    {
                        before = GC.GetAllocatedBytesForCurrentThread();
                    }

                    using (await l.LockAsync())
                    {
                        await AsyncIO.Sleep(0);
                    }
                }

                return measure ? GC.GetAllocatedBytesForCurrentThread() - before : 0;
            }
        });
        Assert.Equal(0, allocated);
    }

    [Fact]
    public void Semaphores_ContendedAcquire_AllocateNothingAfterWarmUp()
    {
        long allocated = GuardedLoop.Run(async loop =>
        {
            var sem = new AsyncSemaphore(1);
            var bounded = new AsyncBoundedSemaphore(1);
            int waits = 0;
            AioTask<long> measuring = AsyncIO.CreateTask(Worker(Iterations, measure: true));
            AioTask<long> partner = AsyncIO.CreateTask(Worker(Iterations + 10, measure: false));
            long bytes = await measuring;
            await partner;
            Assert.True(waits >= Iterations, $"only {waits} acquisitions waited");
            return bytes;

            async Coroutine<long> Worker(int n, bool measure)
            {
                long before = 0;
                for (int i = 0; i < n; i++)
                {
                    if (measure && i == WarmUp)
                    {
                        before = GC.GetAllocatedBytesForCurrentThread();
                    }

                    waits += sem.IsLocked ? 1 : 0;
                    await sem.AcquireAsync();
                    await AsyncIO.Sleep(0);
                    sem.Release();

                    waits += bounded.IsLocked ? 1 : 0;
                    using (await bounded.LockAsync())
                    {
                        await AsyncIO.Sleep(0);
                    }
                }

                return measure ? GC.GetAllocatedBytesForCurrentThread() - before : 0;
            }
        });
        Assert.Equal(0, allocated);
    }

    [Fact]
    public void Event_Wait_AllocatesNothingAfterWarmUp()
    {
        long allocated = GuardedLoop.Run(async loop =>
        {
            var ping = new AsyncEvent();
            var pong = new AsyncEvent();
            int waits = 0;
            AioTask<long> measuring = AsyncIO.CreateTask(Pinger(Iterations));
            AioTask partner = AsyncIO.CreateTask(Ponger(Iterations + 10));
            long bytes = await measuring;
            partner.Cancel();
            await AioAssert.ThrowsAsync<CancelledException>(partner);
            Assert.True(waits >= Iterations, $"only {waits} waits parked");
            return bytes;

            async Coroutine<long> Pinger(int n)
            {
                long before = 0;
                for (int i = 0; i < n; i++)
                {
                    if (i == WarmUp)
                    {
                        before = GC.GetAllocatedBytesForCurrentThread();
                    }

                    ping.Set();
                    waits += pong.IsSet ? 0 : 1;
                    await pong.WaitAsync();
                    pong.Clear();
                }

                return GC.GetAllocatedBytesForCurrentThread() - before;
            }

            async Coroutine Ponger(int n)
            {
                for (int i = 0; i < n; i++)
                {
                    await ping.WaitAsync();
                    ping.Clear();
                    pong.Set();
                }
            }
        });
        Assert.Equal(0, allocated);
    }

    [Fact]
    public void Condition_Wait_AllocatesNothingAfterWarmUp()
    {
        long allocated = GuardedLoop.Run(async loop =>
        {
            var cond = new AsyncCondition();
            int turn = 0;
            int waits = 0;
            AioTask<long> measuring = AsyncIO.CreateTask(Player(0, measure: true));
            AioTask<long> partner = AsyncIO.CreateTask(Player(1, measure: false));
            long bytes = await measuring;
            await partner;
            Assert.True(waits >= Iterations, $"only {waits} waits");
            return bytes;

            // Each player holds the lock throughout, gives the turn away, and waits until it comes back:
            // every iteration is one condition wait that parks.
            async Coroutine<long> Player(int me, bool measure)
            {
                long before = 0;
                await cond.AcquireAsync();
                for (int i = 0; i < Iterations; i++)
                {
                    if (measure && i == WarmUp)
                    {
                        before = GC.GetAllocatedBytesForCurrentThread();
                    }

                    turn = 1 - me;
                    cond.Notify();
                    while (turn != me)
                    {
                        waits++;
                        await cond.WaitAsync();
                    }
                }

                long bytes = measure ? GC.GetAllocatedBytesForCurrentThread() - before : 0;
                turn = 1 - me;
                cond.Notify();
                cond.Release();
                return bytes;
            }
        });
        Assert.Equal(0, allocated);
    }

    [Fact]
    public void Queue_GetAndPutWaits_AllocateNothingAfterWarmUp()
    {
        long allocated = GuardedLoop.Run(async loop =>
        {
            var q = new AsyncQueue<int>(maxSize: 1);
            int putWaits = 0;
            int getWaits = 0;
            AioTask<long> measuring = AsyncIO.CreateTask(Producer());
            AioTask<int> consumer = AsyncIO.CreateTask(Consumer(Iterations + 1));
            long bytes = await measuring;
            await q.PutAsync(-1);
            Assert.Equal(Iterations * (Iterations - 1) / 2 - 1, await consumer);
            // Each wake-up completes the woken side's operation, so a switch passes more than one item;
            // both sides still wait in every round trip.
            Assert.True(putWaits >= Iterations / 4, $"only {putWaits} puts waited");
            Assert.True(getWaits >= Iterations / 4, $"only {getWaits} gets waited");
            return bytes;

            async Coroutine<long> Producer()
            {
                long before = 0;
                for (int i = 0; i < Iterations; i++)
                {
                    if (i == WarmUp)
                    {
                        before = GC.GetAllocatedBytesForCurrentThread();
                    }

                    putWaits += q.IsFull ? 1 : 0;
                    await q.PutAsync(i);
                }

                return GC.GetAllocatedBytesForCurrentThread() - before;
            }

            async Coroutine<int> Consumer(int n)
            {
                int sum = 0;
                for (int i = 0; i < n; i++)
                {
                    getWaits += q.IsEmpty ? 1 : 0;
                    sum += await q.GetAsync();
                }

                return sum;
            }
        });
        Assert.Equal(0, allocated);
    }

    [Fact]
    public void Queue_AwaitForeachWaitingSteps_AllocateNothingAfterWarmUp()
    {
        long allocated = GuardedLoop.Run(async loop =>
        {
            var q = new AsyncQueue<int>(maxSize: 1);
            long bytes = 0;
            int outOfOrder = 0;
            AioTask consumer = AsyncIO.CreateTask(Consume());
            await AsyncIO.Sleep(0);
            for (int i = 0; i < Iterations + 10; i++)
            {
                await q.PutAsync(i);
            }

            q.Shutdown();
            await consumer;
            Assert.Equal(0, outOfOrder);
            return bytes;

            async Coroutine Consume()
            {
                int seen = 0;
                long before = 0;
                await foreach (int item in q)
                {
                    // Not Assert.Equal: it allocates a comparer per call.
                    outOfOrder += item == seen ? 0 : 1;
                    seen++;
                    if (seen == WarmUp)
                    {
                        before = GC.GetAllocatedBytesForCurrentThread();
                    }
                    else if (seen == Iterations)
                    {
                        bytes = GC.GetAllocatedBytesForCurrentThread() - before;
                    }
                }
            }
        });
        Assert.Equal(0, allocated);
    }

    [Fact]
    public void Barrier_AndCapacityLimiter_Waits_AllocateNothingAfterWarmUp()
    {
        long allocated = GuardedLoop.Run(async loop =>
        {
            var barrier = new AsyncBarrier(2);
            var limiter = new CapacityLimiter(1);
            int waits = 0;
            AioTask<long> measuring = AsyncIO.CreateTask(Worker(Iterations, measure: true));
            AioTask<long> partner = AsyncIO.CreateTask(Worker(Iterations + 1, measure: false));
            long bytes = await measuring;
            await partner;
            Assert.True(waits >= Iterations, $"only {waits} waits parked");
            return bytes;

            async Coroutine<long> Worker(int n, bool measure)
            {
                long before = 0;
                for (int i = 0; i < n; i++)
                {
                    if (measure && i == WarmUp)
                    {
                        before = GC.GetAllocatedBytesForCurrentThread();
                    }

                    waits += barrier.WaitingCount == 0 ? 1 : 0;
                    await barrier.WaitAsync();
                    waits += limiter.AvailableTokens == 0 ? 1 : 0;
                    using (await limiter.LockAsync())
                    {
                        await AsyncIO.Sleep(0);
                    }
                }

                if (!measure)
                {
                    return 0;
                }

                long bytes = GC.GetAllocatedBytesForCurrentThread() - before;

                // The partner's last round: it ends after the window.
                await barrier.WaitAsync();
                return bytes;
            }
        });
        Assert.Equal(0, allocated);
    }
}
