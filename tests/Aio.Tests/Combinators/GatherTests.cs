using Aio.Tests.Support;

namespace Aio.Tests.Combinators;

public sealed class GatherTests
{
    [Fact]
    public void Gather_TypedTasks_ReturnsResultsInArgumentOrder()
    {
        int[] results = VirtualLoop.Run(async loop =>
        {
            // The slowest task comes first, so completion order differs from argument order.
            AioTask<int> slow = AsyncIO.CreateTask(Delayed(30, 1));
            AioTask<int> fast = AsyncIO.CreateTask(Delayed(1, 2));
            AioTask<int> middle = AsyncIO.CreateTask(Delayed(15, 3));
            int[] all = await AsyncIO.Gather(slow, fast, middle);
            Assert.Equal(30.0, loop.Time());
            return all;
        });
        Assert.Equal([1, 2, 3], results);
    }

    [Fact]
    public void Gather_Coroutines_RunEachAsItsOwnTask()
    {
        var tasksSeen = new List<AioTask?>();
        AioTask? main = null;
        int[] results = VirtualLoop.Run(async loop =>
        {
            main = AsyncIO.CurrentTask;
            return await AsyncIO.Gather(Record(10), Record(20), Record(30));
        });
        Assert.Equal([10, 20, 30], results);
        Assert.Equal(3, tasksSeen.Count);
        Assert.DoesNotContain(null, tasksSeen);
        Assert.DoesNotContain(main, tasksSeen);
        Assert.Equal(3, tasksSeen.Distinct().Count());

        async Coroutine<int> Record(int value)
        {
            tasksSeen.Add(AsyncIO.CurrentTask);
            await AsyncIO.Sleep(0);
            return value;
        }
    }

    [Fact]
    public void Gather_CoroutineList_ReturnsResultsInOrder()
    {
        int[] results = VirtualLoop.Run(async loop =>
            await AsyncIO.Gather(new List<Coroutine<int>> { Delayed(10, 1), Delayed(0, 2) }));
        Assert.Equal([1, 2], results);
    }

    [Fact]
    public void Gather_Futures_ReturnsResultsInArgumentOrder()
    {
        int[] results = VirtualLoop.Run(async loop =>
        {
            Future<int> a = loop.CreateFuture<int>();
            Future<int> b = loop.CreateFuture<int>();
            loop.CallSoon(() => b.SetResult(2));
            loop.CallLater(5, () => a.SetResult(1));
            return await AsyncIO.Gather(a, b);
        });
        Assert.Equal([1, 2], results);
    }

    [Fact]
    public void Gather_UntypedMixedResultTypes_CompletesWhenAllAreDone()
    {
        VirtualLoop.Run(async loop =>
        {
            AioTask<string> text = AsyncIO.CreateTask(Delayed(10, "x"));
            AioTask<int> number = AsyncIO.CreateTask(Delayed(0, 5));
            Future<bool> flag = loop.CreateFuture<bool>();
            loop.CallLater(5, () => flag.SetResult(true));
            Future all = AsyncIO.Gather(text, number, flag);
            Assert.False(all.IsDone);
            await all;
            Assert.Equal(10.0, loop.Time());
            Assert.True(all.IsCompletedSuccessfully);
            Assert.True(text.IsDone && number.IsDone && flag.IsDone);
            Assert.Equal("x", text.Result);
        });
    }

    [Fact]
    public void Gather_NoArguments_ReturnsEmptyResultAtOnce()
    {
        VirtualLoop.Run(async loop =>
        {
            Future<int[]> typed = AsyncIO.Gather(Array.Empty<AioTask<int>>());
            Assert.True(typed.IsDone);
            Assert.Empty(await typed);

            Future untyped = AsyncIO.Gather(Array.Empty<Future>());
            Assert.True(untyped.IsCompletedSuccessfully);

            Future<Outcome[]> outcomes = AsyncIO.GatherReturnExceptions(Array.Empty<Future>());
            Assert.Empty(await outcomes);
        });
    }

    [Fact]
    public void Gather_ChildrenAlreadyDone_ReturnsTheirResults()
    {
        int[] results = VirtualLoop.Run(async loop =>
        {
            Future<int> a = loop.CreateFuture<int>();
            Future<int> b = loop.CreateFuture<int>();
            a.SetResult(1);
            b.SetResult(2);
            return await AsyncIO.Gather(a, b);
        });
        Assert.Equal([1, 2], results);
    }

    [Fact]
    public void Gather_FirstChildFails_ThrowsItsExceptionWhileOthersKeepRunning()
    {
        VirtualLoop.Run(async loop =>
        {
            Future<int> gate = loop.CreateFuture<int>();
            AioTask<int> failing = AsyncIO.CreateTask(FailAfter<int>(0, new InvalidOperationException("boom")));
            AioTask<int> slow = AsyncIO.CreateTask(AwaitGate(gate));
            Future<int[]> gather = AsyncIO.Gather(failing, slow);

            var error = await AioAssert.ThrowsAsync<InvalidOperationException>(gather);
            Assert.Equal("boom", error.Message);
            Assert.True(gather.IsFaulted);
            Assert.False(slow.IsDone);
            Assert.Equal(0, slow.Cancelling);

            // The survivor is not cancelled: it finishes with its own result.
            gate.SetResult(7);
            Assert.Equal(7, await slow);
        });
    }

    [Fact]
    public void Gather_LaterChildFailsAfterGatherFailed_ItsExceptionCountsAsRetrieved()
    {
        var reports = new List<LoopExceptionContext>();
        VirtualLoop.Run(
            async loop =>
            {
                loop.SetExceptionHandler((_, context) => reports.Add(context));
                await GatherTwoFailures();
                await AsyncIO.Sleep(0);
            },
            allowHandlerReports: true);

        // Closing the loop collects garbage and reports every exception nobody looked at; the second
        // child's exception was consumed by the gather, as asyncio's _done_callback does.
        Assert.Empty(reports);

        static async Coroutine GatherTwoFailures()
        {
            AioTask<int> first = AsyncIO.CreateTask(FailAfter<int>(0, new InvalidOperationException("first")));
            AioTask<int> second = AsyncIO.CreateTask(FailAfter<int>(0.005, new FormatException("second")));
            Future<int[]> gather = AsyncIO.Gather(first, second);
            await AioAssert.ThrowsAsync<InvalidOperationException>(gather);
            await AsyncIO.Wait([second]);
            Assert.True(second.IsFaulted);
        }
    }

    [Fact]
    public void Gather_ChildCancelled_GatherThrowsCancellationAndAwaiterIsNotCancelled()
    {
        VirtualLoop.Run(async loop =>
        {
            AioTask<int> victim = AsyncIO.CreateTask(Delayed(3600, 1));
            AioTask<int> other = AsyncIO.CreateTask(Delayed(0.005, 2));
            Future<int[]> gather = AsyncIO.Gather(victim, other);
            loop.CallSoon(() => victim.Cancel());

            await AioAssert.ThrowsAsync<CancelledException>(gather);
            Assert.Equal(0, AsyncIO.CurrentTask!.Cancelling);
            Assert.Equal(2, await other);
        });
    }

    [Fact]
    public void Gather_AwaitingTaskCancelled_CancelsEveryChild()
    {
        var log = new List<string>();
        VirtualLoop.Run(async loop =>
        {
            AioTask[] children = [
                AsyncIO.CreateTask(Sleeper("a", log)),
                AsyncIO.CreateTask(Sleeper("b", log)),
                AsyncIO.CreateTask(Sleeper("c", log)),
            ];
            AioTask waiter = AsyncIO.CreateTask(AwaitGather(children));
            await AsyncIO.Sleep(5);
            waiter.Cancel();

            await AioAssert.ThrowsAsync<CancelledException>(waiter);
            Assert.True(waiter.IsCancelled);
            Assert.All(children, c => Assert.True(c.IsCancelled));
        });
        Assert.Equal(["a cancelled", "b cancelled", "c cancelled"], log.Order());

        static async Coroutine AwaitGather(AioTask[] children) => await AsyncIO.Gather(children);
    }

    [Fact]
    public void Gather_CancelOnGatherFuture_CancelsEveryChildAndReportsCancellation()
    {
        var log = new List<string>();
        VirtualLoop.RunInOrder(async loop =>
        {
            AioTask<int> a = AsyncIO.CreateTask(SleeperWithResult("a", log));
            AioTask<int> b = AsyncIO.CreateTask(SleeperWithResult("b", log));
            Future<int[]> gather = AsyncIO.Gather(a, b);
            await AsyncIO.Sleep(0);

            Assert.True(gather.Cancel());
            await AioAssert.ThrowsAsync<CancelledException>(gather);
            Assert.True(a.IsCancelled);
            Assert.True(b.IsCancelled);
            Assert.False(gather.Cancel());
        });
        Assert.Equal(["a cancelled", "b cancelled"], log.Order());
    }

    [Fact]
    public void Gather_CancelWhenEveryChildIsDone_ReturnsFalse()
    {
        VirtualLoop.Run(async loop =>
        {
            Future<int> a = loop.CreateFuture<int>();
            a.SetResult(1);
            Future<int[]> gather = AsyncIO.Gather(a);
            Assert.False(gather.Cancel());
            int[] results = await gather;
            Assert.Equal([1], results);
        });
    }

    [Fact]
    public void GatherReturnExceptions_MixedOutcomes_ReportsEachInArgumentOrder()
    {
        VirtualLoop.Run(async loop =>
        {
            var failure = new FormatException("bad");
            AioTask<int> ok = AsyncIO.CreateTask(Delayed(0.01, 1));
            AioTask<int> failed = AsyncIO.CreateTask(FailAfter<int>(0, failure));
            AioTask<int> cancelled = AsyncIO.CreateTask(Delayed(3600, 3));
            loop.CallSoon(() => cancelled.Cancel("stop"));

            Outcome<int>[] outcomes = await AsyncIO.GatherReturnExceptions(ok, failed, cancelled);

            Assert.Equal(3, outcomes.Length);
            Assert.True(outcomes[0].IsSuccess);
            Assert.Equal(1, outcomes[0].Value);
            Assert.False(outcomes[1].IsSuccess);
            Assert.Same(failure, outcomes[1].Exception);
            var valueError = Assert.Throws<InvalidOperationException>(() => outcomes[1].Value);
            Assert.Same(failure, valueError.InnerException);
            Assert.True(outcomes[2].IsCancelled);
            Assert.Equal("stop", Assert.IsType<CancelledException>(outcomes[2].Exception).CancelMessage);
        });
    }

    [Fact]
    public void GatherReturnExceptions_UntypedAndCoroutines_ReportsOutcomes()
    {
        VirtualLoop.Run(async loop =>
        {
            Outcome[] outcomes = await AsyncIO.GatherReturnExceptions(Nothing(), Failing());
            Assert.True(outcomes[0].IsSuccess);
            Assert.IsType<ArgumentException>(outcomes[1].Exception);

            Outcome<int>[] typed = await AsyncIO.GatherReturnExceptions(Delayed(0, 4), FailAfter<int>(0, new ArgumentException("x")));
            Assert.Equal(4, typed[0].Value);
            Assert.IsType<ArgumentException>(typed[1].Exception);
        });

        static async Coroutine Nothing() => await AsyncIO.Sleep(0);

        static async Coroutine Failing()
        {
            await AsyncIO.Sleep(0);
            throw new ArgumentException("x");
        }
    }

    [Fact]
    public void GatherReturnExceptions_GatherCancelled_StillReportsCancellation()
    {
        var log = new List<string>();
        VirtualLoop.RunInOrder(async loop =>
        {
            AioTask<int> a = AsyncIO.CreateTask(SleeperWithResult("a", log));
            AioTask<int> b = AsyncIO.CreateTask(SleeperWithResult("b", log));
            Future<Outcome<int>[]> gather = AsyncIO.GatherReturnExceptions(a, b);
            await AsyncIO.Sleep(0);

            gather.Cancel();

            // bpo-32684: return_exceptions must not turn the gather's own cancellation into a result.
            await AioAssert.ThrowsAsync<CancelledException>(gather);
            Assert.True(a.IsCancelled);
            Assert.True(b.IsCancelled);
        });
        Assert.Equal(["a cancelled", "b cancelled"], log.Order());
    }

    [Fact]
    public void GatherReturnExceptions_AwaitingTaskCancelled_PropagatesCancellation()
    {
        VirtualLoop.Run(async loop =>
        {
            AioTask<int> child = AsyncIO.CreateTask(Delayed(3600, 1));
            AioTask<Outcome<int>[]> waiter = AsyncIO.CreateTask(AwaitGather(child));
            await AsyncIO.Sleep(5);
            waiter.Cancel();

            await AioAssert.ThrowsAsync<CancelledException>(waiter);
            Assert.True(child.IsCancelled);
        });

        static async Coroutine<Outcome<int>[]> AwaitGather(AioTask<int> child) => await AsyncIO.GatherReturnExceptions(child);
    }

    [Fact]
    public void Gather_SameFutureTwice_AwaitedOnceAndReportedTwice()
    {
        int[] results = VirtualLoop.Run(async loop =>
        {
            Future<int> shared = loop.CreateFuture<int>();
            Future<int> other = loop.CreateFuture<int>();
            Future<int[]> gather = AsyncIO.Gather(shared, other, shared);

            shared.SetResult(5);
            await AsyncIO.Sleep(0);
            await AsyncIO.Sleep(0);

            // Counting the shared future twice would finish the gather before the other one.
            Assert.False(gather.IsDone);
            other.SetResult(6);
            return await gather;
        });
        Assert.Equal([5, 6, 5], results);
    }

    [Fact]
    public void Gather_SameTaskTwice_ReportsItsResultInBothPlaces()
    {
        int runs = 0;
        int[] results = VirtualLoop.Run(async loop =>
        {
            AioTask<int> task = AsyncIO.CreateTask(Count());
            return await AsyncIO.Gather(task, task);
        });
        Assert.Equal([1, 1], results);
        Assert.Equal(1, runs);

        async Coroutine<int> Count()
        {
            await AsyncIO.Sleep(0);
            return ++runs;
        }
    }

    [Fact]
    public void Gather_SameCoroutineTwice_RunsItOnce()
    {
        int runs = 0;
        int[] results = VirtualLoop.Run(async loop =>
        {
            Coroutine<int> once = Count();
            return await AsyncIO.Gather(once, once);
        });
        Assert.Equal([1, 1], results);
        Assert.Equal(1, runs);

        async Coroutine<int> Count()
        {
            await AsyncIO.Sleep(0);
            return ++runs;
        }
    }

    [Fact]
    public void Gather_ThousandTasks_ReturnsEveryResultInOrder()
    {
        int[] results = VirtualLoop.Run(async loop =>
        {
            var tasks = new AioTask<int>[1000];
            for (int i = 0; i < tasks.Length; i++)
            {
                // Mixed delays so that completion order is scrambled relative to argument order.
                tasks[i] = AsyncIO.CreateTask(Delayed((i % 7) * 0.001, i * 2));
            }

            return await AsyncIO.Gather(tasks);
        });
        Assert.Equal(Enumerable.Range(0, 1000).Select(i => i * 2), results);
    }

    [Fact]
    public void Gather_ThousandTasksCancelled_CancelsEveryOne()
    {
        VirtualLoop.Run(async loop =>
        {
            var tasks = new AioTask<int>[1000];
            for (int i = 0; i < tasks.Length; i++)
            {
                tasks[i] = AsyncIO.CreateTask(Delayed(3600, i));
            }

            Future<int[]> gather = AsyncIO.Gather(tasks);
            await AsyncIO.Sleep(0);
            gather.Cancel();
            await AioAssert.ThrowsAsync<CancelledException>(gather);
            await AsyncIO.Wait(tasks);
            Assert.All(tasks, t => Assert.True(t.IsCancelled));
        });
    }

    [Fact]
    public void Gather_CancelWithMessage_ChildrenAndAwaiterSeeTheMessage()
    {
        VirtualLoop.Run(async loop =>
        {
            AioTask<int> child = AsyncIO.CreateTask(Delayed(3600, 1));
            Future<int[]> gather = AsyncIO.Gather(child);
            await AsyncIO.Sleep(0);

            gather.Cancel("shutting down");
            var error = await AioAssert.ThrowsAsync<CancelledException>(gather);
            Assert.Equal("shutting down", error.CancelMessage);
            Assert.Equal("shutting down", (await AioAssert.ThrowsAsync<CancelledException>(child)).CancelMessage);
        });
    }

    [Fact]
    public void Gather_FutureOfAnotherLoop_ThrowsArgumentExceptionAndLeavesOthersUsable()
    {
        using var other = new EventLoop();
        VirtualLoop.Run(async loop =>
        {
            Future<int> mine = loop.CreateFuture<int>();
            Future<int> foreign = other.CreateFuture<int>();
            Assert.Throws<ArgumentException>(() => AsyncIO.Gather(mine, foreign));

            // The rejected call must not leave bookkeeping behind on the future it already looked at.
            Future<int[]> gather = AsyncIO.Gather(mine, mine);
            mine.SetResult(1);
            int[] results = await gather;
            Assert.Equal([1, 1], results);
        });
    }

    [Fact]
    public void Gather_CancelledWhileChildSwallowsCancellation_StillReportsCancellation()
    {
        VirtualLoop.RunInOrder(async loop =>
        {
            AioTask<int> stubborn = AsyncIO.CreateTask(Stubborn());
            Future<Outcome<int>[]> gather = AsyncIO.GatherReturnExceptions(stubborn);
            await AsyncIO.Sleep(0);

            Assert.True(gather.Cancel());
            await AioAssert.ThrowsAsync<CancelledException>(gather);
            Assert.Equal(99, stubborn.Result);
        });

        static async Coroutine<int> Stubborn()
        {
            try
            {
                await AsyncIO.Sleep(3600);
                return 0;
            }
            catch (CancelledException)
            {
                return 99;
            }
        }
    }

    private static async Coroutine<T> Delayed<T>(double seconds, T value)
    {
        await AsyncIO.Sleep(seconds);
        return value;
    }

    private static async Coroutine<int> AwaitGate(Future<int> gate) => await gate;

    private static async Coroutine<T> FailAfter<T>(double seconds, Exception error)
    {
        await AsyncIO.Sleep(seconds);
        throw error;
    }

    private static async Coroutine Sleeper(string name, List<string> log)
    {
        try
        {
            await AsyncIO.Sleep(3600);
            log.Add(name + " woke");
        }
        catch (CancelledException)
        {
            log.Add(name + " cancelled");
            throw;
        }
    }

    private static async Coroutine<int> SleeperWithResult(string name, List<string> log)
    {
        await Sleeper(name, log);
        return 0;
    }
}
