using Aio.Sync;
using Aio.Tests.Support;

namespace Aio.Tests.Sync;

/// <summary>asyncio's <c>BarrierTests</c> (test_locks.py, 3.13), less the repr cases. asyncio keeps a
/// released round "draining" until every task of it has left; <see cref="AsyncBarrier"/> has no such
/// phase (the released tasks already own their pass), so the ports that depend on draining assert the
/// outcome without it, and say so.</summary>
public sealed class AsyncBarrierTests
{
    private const int N = 5;

    [Fact]
    public void Parties_LessThanOne_Throws()
    {
        // asyncio: test_barrier_parties.
        Assert.Throws<ArgumentOutOfRangeException>(() => new AsyncBarrier(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new AsyncBarrier(-4));
        Assert.Equal(N, new AsyncBarrier(N).Parties);
    }

    [Fact]
    public void WaitAsync_AllParties_EachGetsADistinctIndex()
    {
        // asyncio: test_context_manager.
        GuardedLoop.Run(async _ =>
        {
            var barrier = new AsyncBarrier(3);
            int[] results = await GatherTasks(3, () => Wait(barrier));
            Assert.Equal([0, 1, 2], results.Order());
            Assert.Equal(0, barrier.WaitingCount);
            Assert.False(barrier.IsBroken);
        });
    }

    [Fact]
    public void OneParty_PassesAtOnceWithIndexZero()
    {
        // asyncio: test_filling_one_task, test_filling_one_task_twice.
        GuardedLoop.Run(async _ =>
        {
            var barrier = new AsyncBarrier(1);
            ValueTask<int> first = barrier.WaitAsync();
            Assert.True(first.IsCompletedSuccessfully);
            Assert.Equal(0, await first);
            Assert.Equal(0, await barrier.WaitAsync());
            Assert.Equal(0, barrier.WaitingCount);
            Assert.False(barrier.IsBroken);
        });
    }

    [Fact]
    public void WaitAsync_FillsTaskByTask()
    {
        // asyncio: test_filling_task_by_task.
        GuardedLoop.Run(async _ =>
        {
            var barrier = new AsyncBarrier(3);
            AioTask<int> t1 = AsyncIO.CreateTask(Wait(barrier));
            await AsyncIO.Sleep(0);
            Assert.Equal(1, barrier.WaitingCount);

            AioTask<int> t2 = AsyncIO.CreateTask(Wait(barrier));
            await AsyncIO.Sleep(0);
            Assert.Equal(2, barrier.WaitingCount);

            AioTask<int> t3 = AsyncIO.CreateTask(Wait(barrier));
            await AsyncIO.Sleep(0);
            Assert.Equal(0, barrier.WaitingCount);

            // Indices follow arrival order; the last arrival is released without waiting.
            int[] indices = await AsyncIO.Gather(t1, t2, t3);
            Assert.Equal([0, 1, 2], indices);
            Assert.False(barrier.IsBroken);
        });
    }

    [Fact]
    public void WaitAsync_TwiceInARow_PassesTwoRounds()
    {
        // asyncio: test_filling_tasks_wait_twice, test_filling_tasks_check_return_value.
        GuardedLoop.Run(async _ =>
        {
            var barrier = new AsyncBarrier(N);
            var results1 = new List<bool>();
            var results2 = new List<bool>();
            int[] indices = await GatherTasks(N, Coro);
            Assert.Equal(N, results1.Count);
            Assert.Equal(N, results2.Count);
            Assert.Equal(Enumerable.Range(0, N), indices.Order());
            Assert.Equal(0, barrier.WaitingCount);
            Assert.False(barrier.IsBroken);

            async Coroutine<int> Coro()
            {
                await barrier.WaitAsync();
                results1.Add(true);
                int i = await barrier.WaitAsync();
                results2.Add(true);
                return i;
            }
        });
    }

    [Fact]
    public void ReleasedTasks_CanFillTheNextRoundAtOnce()
    {
        // asyncio: test_draining_state, test_blocking_tasks_while_draining. In asyncio the first tasks out
        // see the barrier "draining" and a new wait blocks until the last one has left. Here there is no
        // draining: the first task out may start the next round while the others have not resumed yet.
        GuardedLoop.Run(async _ =>
        {
            var barrier = new AsyncBarrier(N);
            var waitingWhenOut = new List<int>();
            await GatherTasks(N, Coro);
            Assert.Equal([0, 1, 2, 3, 4], waitingWhenOut);
            Assert.Equal(0, barrier.WaitingCount);

            async Coroutine<int> Coro()
            {
                await barrier.WaitAsync();
                waitingWhenOut.Add(barrier.WaitingCount);
                return await barrier.WaitAsync();
            }
        });
    }

    [Fact]
    public void WaiterCancelled_LeavesAndTheBarrierNeedsOneMore()
    {
        // asyncio: test_filling_tasks_cancel_one.
        GuardedLoop.Run(async _ =>
        {
            var barrier = new AsyncBarrier(3);
            var results = new List<bool>();
            AioTask t1 = AsyncIO.CreateTask(Coro());
            await AsyncIO.Sleep(0);
            Assert.Equal(1, barrier.WaitingCount);

            AioTask t2 = AsyncIO.CreateTask(Coro());
            await AsyncIO.Sleep(0);
            Assert.Equal(2, barrier.WaitingCount);

            t1.Cancel();
            await AsyncIO.Sleep(0);
            Assert.Equal(1, barrier.WaitingCount);
            await AioAssert.ThrowsAsync<CancelledException>(t1);
            Assert.True(t1.IsCancelled);

            AioTask t3 = AsyncIO.CreateTask(Coro());
            await AsyncIO.Sleep(0);
            Assert.Equal(2, barrier.WaitingCount);

            AioTask t4 = AsyncIO.CreateTask(Coro());
            await AsyncIO.Gather(t2, t3, t4);
            Assert.Equal(3, results.Count);
            Assert.Equal(0, barrier.WaitingCount);
            Assert.False(barrier.IsBroken);

            async Coroutine Coro()
            {
                await barrier.WaitAsync();
                results.Add(true);
            }
        });
    }

    [Fact]
    public void Reset_NoWaiters_LeavesItUsable()
    {
        // asyncio: test_reset_barrier.
        GuardedLoop.Run(async _ =>
        {
            var barrier = new AsyncBarrier(1);
            barrier.Reset();
            Assert.Equal(0, barrier.WaitingCount);
            Assert.False(barrier.IsBroken);
            Assert.Equal(0, await barrier.WaitAsync());
        });
    }

    [Fact]
    public void Reset_WhileTasksWait_BreaksTheirWaitButNotTheBarrier()
    {
        // asyncio: test_reset_barrier_while_tasks_waiting.
        GuardedLoop.Run(async _ =>
        {
            var barrier = new AsyncBarrier(N);
            var results = new List<bool>();
            AioTask[] tasks = Enumerable.Range(0, N - 1).Select(_ => AsyncIO.CreateTask(Coro())).ToArray();
            await AsyncIO.Sleep(0);
            Assert.Equal(N - 1, barrier.WaitingCount);

            barrier.Reset();
            await AsyncIO.Gather(tasks);
            Assert.Equal(N - 1, results.Count);
            Assert.Equal(0, barrier.WaitingCount);
            Assert.False(barrier.IsBroken);

            async Coroutine Coro()
            {
                try
                {
                    await barrier.WaitAsync();
                }
                catch (BrokenBarrierException)
                {
                    results.Add(true);
                }
            }
        });
    }

    [Fact]
    public void Reset_WhileTasksWait_TheyCanWaitAgain()
    {
        // asyncio: test_reset_barrier_while_tasks_waiting_and_waiting_again.
        GuardedLoop.Run(async _ =>
        {
            var barrier = new AsyncBarrier(N);
            var results1 = new List<bool>();
            var results2 = new List<bool>();
            AioTask[] tasks = Enumerable.Range(0, N - 1).Select(_ => AsyncIO.CreateTask(Coro1())).ToArray();
            await AsyncIO.Sleep(0);

            barrier.Reset();
            await AsyncIO.Sleep(0);
            AioTask last = AsyncIO.CreateTask(Coro2());
            await AsyncIO.Gather(tasks);
            await last;

            Assert.False(barrier.IsBroken);
            Assert.Equal(N - 1, results1.Count);
            Assert.Equal(N, results2.Count);
            Assert.Equal(0, barrier.WaitingCount);

            async Coroutine Coro1()
            {
                try
                {
                    await barrier.WaitAsync();
                }
                catch (BrokenBarrierException)
                {
                    results1.Add(true);
                }
                finally
                {
                    await barrier.WaitAsync();
                    results2.Add(true);
                }
            }

            async Coroutine Coro2()
            {
                await barrier.WaitAsync();
                results2.Add(true);
            }
        });
    }

    [Fact]
    public void Reset_ByTheLastTaskOut_BreaksOnlyTheNextRound()
    {
        // asyncio: test_reset_barrier_while_tasks_draining. In asyncio the first N-1 tasks out block in
        // their second wait until draining ends, and the reset does not break them. Here they start the
        // next round at once, so the last task's reset breaks that round: they see BrokenBarrierException,
        // and all N then meet again.
        GuardedLoop.Run(async _ =>
        {
            var barrier = new AsyncBarrier(N);
            var results1 = new List<bool>();
            var results2 = new List<bool>();
            var results3 = new List<bool>();
            int count = 0;
            await GatherTasks(N, Coro);

            Assert.False(barrier.IsBroken);
            Assert.Empty(results1);
            Assert.Equal(N - 1, results2.Count);
            Assert.Equal(N, results3.Count);
            Assert.Equal(0, barrier.WaitingCount);

            async Coroutine<int> Coro()
            {
                await barrier.WaitAsync();
                count++;
                if (count == N)
                {
                    barrier.Reset();
                }
                else
                {
                    try
                    {
                        await barrier.WaitAsync();
                        results1.Add(true);
                    }
                    catch (BrokenBarrierException)
                    {
                        results2.Add(true);
                    }
                }

                int k = await barrier.WaitAsync();
                results3.Add(true);
                return k;
            }
        });
    }

    [Fact]
    public void Abort_BreaksTheBarrier()
    {
        // asyncio: test_abort_barrier.
        GuardedLoop.Run(async _ =>
        {
            var barrier = new AsyncBarrier(1);
            barrier.Abort();
            Assert.Equal(0, barrier.WaitingCount);
            Assert.True(barrier.IsBroken);
            await AioAssert.ThrowsAsync<BrokenBarrierException, int>(() => Wait(barrier));
        });
    }

    [Fact]
    public void Abort_AfterARound_BreaksOnlyTasksWaitingAgain()
    {
        // asyncio: test_abort_barrier_when_tasks_half_draining_half_blocking. asyncio also breaks the
        // tasks of the released round that have not left yet (results1 there); without a draining phase
        // those already passed, so only the tasks waiting in the next round break.
        GuardedLoop.Run(async _ =>
        {
            var barrier = new AsyncBarrier(N);
            var results1 = new List<bool>();
            var results2 = new List<bool>();
            const int blockingTasks = N / 2;
            int count = 0;
            await GatherTasks(N, Coro);

            Assert.True(barrier.IsBroken);
            Assert.Empty(results1);
            Assert.Equal(blockingTasks, results2.Count);
            Assert.Equal(0, barrier.WaitingCount);

            async Coroutine<int> Coro()
            {
                try
                {
                    await barrier.WaitAsync();
                }
                catch (BrokenBarrierException)
                {
                    results1.Add(true);
                    return 0;
                }

                count++;
                if (count > blockingTasks)
                {
                    barrier.Abort();
                }
                else
                {
                    try
                    {
                        await barrier.WaitAsync();
                    }
                    catch (BrokenBarrierException)
                    {
                        results2.Add(true);
                    }
                }

                return 0;
            }
        });
    }

    [Fact]
    public void Abort_OnAnException_BreaksEveryoneElse()
    {
        // asyncio: test_abort_barrier_when_exception.
        GuardedLoop.Run(async _ =>
        {
            var barrier = new AsyncBarrier(N);
            var results1 = new List<bool>();
            var results2 = new List<bool>();
            await GatherTasks(N, Coro);

            Assert.True(barrier.IsBroken);
            Assert.Empty(results1);
            Assert.Equal(N - 1, results2.Count);
            Assert.Equal(0, barrier.WaitingCount);

            async Coroutine<int> Coro()
            {
                try
                {
                    int i = await barrier.WaitAsync();
                    if (i == N / 2)
                    {
                        throw new InvalidTimeZoneException("fails in the middle");
                    }

                    await barrier.WaitAsync();
                    results1.Add(true);
                }
                catch (BrokenBarrierException)
                {
                    results2.Add(true);
                }
                catch (InvalidTimeZoneException)
                {
                    barrier.Abort();
                }

                return 0;
            }
        });
    }

    [Fact]
    public void Abort_ThenReset_MakesTheBarrierWorkAgain()
    {
        // asyncio: test_abort_barrier_when_exception_then_resetting.
        GuardedLoop.Run(async _ =>
        {
            var barrier1 = new AsyncBarrier(N);
            var barrier2 = new AsyncBarrier(N);
            var results1 = new List<bool>();
            var results2 = new List<bool>();
            var results3 = new List<bool>();
            await GatherTasks(N, Coro);

            Assert.False(barrier1.IsBroken);
            Assert.Empty(results1);
            Assert.Equal(N - 1, results2.Count);
            Assert.Equal(N, results3.Count);
            Assert.Equal(0, barrier1.WaitingCount);

            async Coroutine<int> Coro()
            {
                try
                {
                    int i = await barrier1.WaitAsync();
                    if (i == N / 2)
                    {
                        throw new InvalidTimeZoneException("fails in the middle");
                    }

                    await barrier1.WaitAsync();
                    results1.Add(true);
                }
                catch (BrokenBarrierException)
                {
                    results2.Add(true);
                }
                catch (InvalidTimeZoneException)
                {
                    barrier1.Abort();
                }

                // Everyone leaves barrier1 before the reset, and nobody enters it again before.
                int j = await barrier2.WaitAsync();
                if (j == N / 2)
                {
                    barrier1.Reset();
                }

                await barrier2.WaitAsync();
                await barrier1.WaitAsync();
                results3.Add(true);
                return 0;
            }
        });
    }

    [Fact]
    public void AbortThenCancelBeforeTheWaiterRuns_TheTaskEndsCancelled()
    {
        // The wait already failed with BrokenBarrierException when the cancel arrives; Cancel() returns true,
        // so the task must end cancelled, as asyncio's __step throws the pending CancelledError.
        GuardedLoop.Run(async _ =>
        {
            var barrier = new AsyncBarrier(2);
            AioTask<int> waiter = AsyncIO.CreateTask(Wait(barrier));
            await AsyncIO.Sleep(0);
            barrier.Abort();
            Assert.True(waiter.Cancel());
            await AioAssert.ThrowsAsync<CancelledException>(waiter);
            Assert.True(waiter.IsCancelled);
        });
    }

    [Fact]
    public void ResetThenCancelBeforeTheWaiterRuns_TheTaskEndsCancelled()
    {
        GuardedLoop.Run(async _ =>
        {
            var barrier = new AsyncBarrier(2);
            AioTask<int> waiter = AsyncIO.CreateTask(Wait(barrier));
            await AsyncIO.Sleep(0);
            barrier.Reset();
            Assert.True(waiter.Cancel("late"));
            CancelledException error = await AioAssert.ThrowsAsync<CancelledException>(waiter);
            Assert.Equal("late", error.CancelMessage);
            Assert.False(barrier.IsBroken);
        });
    }

    private static async Coroutine<int> Wait(AsyncBarrier barrier) => await barrier.WaitAsync();

    private static async Coroutine<int[]> GatherTasks(int n, Func<Coroutine<int>> coro)
    {
        AioTask<int>[] tasks = Enumerable.Range(0, n).Select(_ => AsyncIO.CreateTask(coro())).ToArray();
        return await AsyncIO.Gather(tasks);
    }
}
