using Aio.Tests.Support;

namespace Aio.Tests.Combinators;

public sealed class AsCompletedTests
{
    [Fact]
    public void AsCompleted_DifferentSleepLengths_YieldsShortestFirst()
    {
        List<int> order = VirtualLoop.Run(async loop =>
        {
            var tasks = new List<AioTask<int>>
            {
                AsyncIO.CreateTask(Delayed(30, 30)),
                AsyncIO.CreateTask(Delayed(10, 10)),
                AsyncIO.CreateTask(Delayed(20, 20)),
                AsyncIO.CreateTask(Delayed(0, 0)),
            };
            var seen = new List<int>();
            await foreach (AioTask<int> task in AsyncIO.AsCompleted(tasks))
            {
                Assert.True(task.IsDone);

                // Each is yielded as it completes, not when the slowest does: the value is its delay.
                Assert.Equal(await task, loop.Time());
                seen.Add(await task);
            }

            return seen;
        });
        Assert.Equal([0, 10, 20, 30], order);
    }

    [Fact]
    public void AsCompleted_FuturesCompletedInChosenOrder_YieldsThemInThatOrder()
    {
        VirtualLoop.Run(async loop =>
        {
            Future<int>[] futures = [loop.CreateFuture<int>(), loop.CreateFuture<int>(), loop.CreateFuture<int>()];
            loop.CallSoon(() => futures[2].SetResult(2));
            loop.CallLater(2, () => futures[0].SetResult(0));
            loop.CallLater(4, () => futures[1].SetResult(1));

            var yielded = new List<Future<int>>();
            await foreach (Future<int> future in AsyncIO.AsCompleted(futures))
            {
                yielded.Add(future);
            }

            Assert.Equal(3, yielded.Count);
            Assert.Same(futures[2], yielded[0]);
            Assert.Same(futures[0], yielded[1]);
            Assert.Same(futures[1], yielded[2]);
            Assert.Equal(4.0, loop.Time());
        });
    }

    [Fact]
    public void AsCompleted_Coroutines_YieldsTheirTasksInCompletionOrder()
    {
        List<string> order = VirtualLoop.Run(async loop =>
        {
            var seen = new List<string>();
            Coroutine<string>[] coroutines = [Delayed(20, "slow"), Delayed(1, "fast")];
            await foreach (AioTask<string> task in AsyncIO.AsCompleted(coroutines))
            {
                Assert.NotSame(AsyncIO.CurrentTask, task);
                seen.Add(task.Result);
            }

            return seen;
        });
        Assert.Equal(["fast", "slow"], order);
    }

    [Fact]
    public void AsCompleted_SomeAlreadyDone_YieldsThemBeforeThePendingOnes()
    {
        VirtualLoop.Run(async loop =>
        {
            Future<int> pending = loop.CreateFuture<int>();
            Future<int> done = loop.CreateFuture<int>();
            done.SetResult(1);
            loop.CallSoon(() => pending.SetResult(2));

            var yielded = new List<Future<int>>();
            await foreach (Future<int> future in AsyncIO.AsCompleted([pending, done]))
            {
                yielded.Add(future);
            }

            Assert.Equal(2, yielded.Count);
            Assert.Same(done, yielded[0]);
            Assert.Same(pending, yielded[1]);
        });
    }

    [Fact]
    public void AsCompleted_Empty_YieldsNothing()
    {
        int count = VirtualLoop.Run(async loop =>
        {
            int n = 0;
            await foreach (Future<int> future in AsyncIO.AsCompleted(Array.Empty<Future<int>>()))
            {
                n++;
            }

            return n;
        });
        Assert.Equal(0, count);
    }

    [Fact]
    public void AsCompleted_FailingTask_IsYieldedAndRethrowsWhenAwaited()
    {
        VirtualLoop.Run(async loop =>
        {
            AioTask<int> failing = AsyncIO.CreateTask(FailAfter(1));
            AioTask<int> ok = AsyncIO.CreateTask(Delayed(10, 1));
            var outcomes = new List<string>();
            await foreach (AioTask<int> task in AsyncIO.AsCompleted([failing, ok]))
            {
                try
                {
                    outcomes.Add((await task).ToString(System.Globalization.CultureInfo.InvariantCulture));
                }
                catch (FormatException)
                {
                    outcomes.Add("failed");
                }
            }

            Assert.Equal(["failed", "1"], outcomes);
        });
    }

    [Fact]
    public void AsCompleted_Timeout_ThrowsTimeoutAndLeavesTheRestRunning()
    {
        VirtualLoop.Run(async loop =>
        {
            AioTask<int> fast = AsyncIO.CreateTask(Delayed(0, 1));
            Future<int> never = loop.CreateFuture<int>();
            var yielded = new List<Future>();

            await AioAssert.ThrowsAsync<TimeoutException>(async () =>
            {
                await foreach (Future future in AsyncIO.AsCompleted<Future>([fast, never], timeout: 50))
                {
                    yielded.Add(future);
                }
            });
            Assert.Equal(50.0, loop.Time());

            Assert.Same(fast, Assert.Single(yielded));
            Assert.False(never.IsDone);

            // Completing it after the enumeration gave up must be harmless.
            never.SetResult(2);
            await AsyncIO.Sleep(0);
        });
    }

    [Fact]
    public void AsCompleted_TimeoutWithEverythingDoneInTime_YieldsAll()
    {
        int count = VirtualLoop.Run(async loop =>
        {
            int n = 0;
            await foreach (AioTask<int> task in AsyncIO.AsCompleted([AsyncIO.CreateTask(Delayed(0, 1)), AsyncIO.CreateTask(Delayed(1, 2))], timeout: 10))
            {
                n++;
            }

            Assert.Equal(1.0, loop.Time());

            return n;
        });
        Assert.Equal(2, count);
    }

    [Fact]
    public void AsCompleted_ConsumerCancelled_StopsWithCancellationAndLeavesFuturesAlone()
    {
        VirtualLoop.Run(async loop =>
        {
            Future<int> never = loop.CreateFuture<int>();
            AioTask<int> consumer = AsyncIO.CreateTask(Consume(never));
            await AsyncIO.Sleep(2);

            consumer.Cancel();
            await AioAssert.ThrowsAsync<CancelledException>(consumer);
            Assert.False(never.IsDone);
            never.SetResult(1);
        });

        static async Coroutine<int> Consume(Future<int> future)
        {
            int n = 0;
            await foreach (Future<int> f in AsyncIO.AsCompleted([future]))
            {
                n++;
            }

            return n;
        }
    }

    [Fact]
    public void AsCompleted_BreakAfterFirst_OthersFinishUndisturbed()
    {
        VirtualLoop.Run(async loop =>
        {
            AioTask<int> fast = AsyncIO.CreateTask(Delayed(0, 1));
            AioTask<int> slow = AsyncIO.CreateTask(Delayed(5, 2));
            await foreach (AioTask<int> task in AsyncIO.AsCompleted([fast, slow]))
            {
                Assert.Same(fast, task);
                break;
            }

            Assert.Equal(0.0, loop.Time());
            Assert.Equal(2, await slow);
            Assert.Equal(5.0, loop.Time());
        });
    }

    [Fact]
    public void AsCompleted_SameFutureTwice_YieldsItOnce()
    {
        int count = VirtualLoop.Run(async loop =>
        {
            Future<int> future = loop.CreateFuture<int>();
            loop.CallSoon(() => future.SetResult(1));
            int n = 0;
            await foreach (Future<int> f in AsyncIO.AsCompleted([future, future]))
            {
                Assert.Same(future, f);
                n++;
            }

            return n;
        });
        Assert.Equal(1, count);
    }

    private static async Coroutine<T> Delayed<T>(double seconds, T value)
    {
        await AsyncIO.Sleep(seconds);
        return value;
    }

    private static async Coroutine<int> FailAfter(double seconds)
    {
        await AsyncIO.Sleep(seconds);
        throw new FormatException("failed");
    }
}
