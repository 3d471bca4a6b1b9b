using Aio.Tests.Support;

namespace Aio.Tests.Executors;

public sealed class ExecutorTests
{
    /// <summary>How long a blocked worker waits for its gate at most, so a failing test cannot leave a
    /// thread blocked for ever.</summary>
    private static readonly TimeSpan GateLimit = TimeSpan.FromSeconds(10);

    private static readonly AsyncLocal<string?> s_ambient = new();

    [Fact]
    public void SpinningExecutor_RunsQuickSuccessions_AndSlowWork_AndShutsDownWhileSpinning()
    {
        using var executor = new ThreadPoolExecutor(1, "aio-spin") { SpinBeforeParking = TimeSpan.FromMilliseconds(1) };
        TimeSpan expected = Environment.ProcessorCount > 1 ? TimeSpan.FromMilliseconds(1) : TimeSpan.Zero;
        Assert.InRange((executor.SpinBeforeParking - expected).Duration(), TimeSpan.Zero, TimeSpan.FromMicroseconds(1));
        GuardedLoop.Run(async loop =>
        {
            int loopThread = Environment.CurrentManagedThreadId;
            long sum = 0;
            for (int i = 0; i < 2_000; i++)
            {
                // One after the other: each result arrives while the loop watches for it.
                sum += await loop.RunInExecutor(executor, () => i);
            }

            Assert.Equal(1_999L * 2_000 / 2, sum);
            Assert.Equal(loopThread, Environment.CurrentManagedThreadId);

            // Work longer than the spin: the loop blocks in the reactor and is woken as usual.
            Assert.Equal(42, await loop.RunInExecutor(executor, () =>
            {
                Thread.Sleep(20);
                return 42;
            }));

            // A timer still fires while executor work is out.
            Future<int> slow = loop.RunInExecutor(executor, () =>
            {
                Thread.Sleep(100);
                return 1;
            });
            await AsyncIO.Sleep(0.01);
            Assert.False(slow.IsDone);
            Assert.Equal(1, await slow);
        });

        // The worker is spinning (it just finished): shutting down still ends it at once.
        var stopwatch = System.Diagnostics.Stopwatch.StartNew();
        executor.Shutdown(wait: true);
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(2));
    }

    [Fact]
    public void SpinBeforeParking_Negative_IsRefused() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new ThreadPoolExecutor(1) { SpinBeforeParking = TimeSpan.FromTicks(-1) });

    [Fact]
    public void ToThread_Result_ComesBackOnTheLoopThread()
    {
        GuardedLoop.Run(async loop =>
        {
            int loopThread = Environment.CurrentManagedThreadId;
            int workerThread = -1;

            int result = await AsyncIO.ToThread(() =>
            {
                workerThread = Environment.CurrentManagedThreadId;
                return 21 * 2;
            });

            Assert.Equal(42, result);
            Assert.NotEqual(-1, workerThread);
            Assert.NotEqual(loopThread, workerThread);
            Assert.Equal(loopThread, Environment.CurrentManagedThreadId);
            Assert.Same(loop, EventLoop.Current);
        });
    }

    [Fact]
    public void ToThread_FutureCompletion_RunsCallbacksOnTheLoopThread()
    {
        GuardedLoop.Run(async loop =>
        {
            int loopThread = Environment.CurrentManagedThreadId;
            int callbackThread = -1;
            Future<int> future = AsyncIO.ToThread(() => 1);
            future.AddDoneCallback(_ => callbackThread = Environment.CurrentManagedThreadId);
            await future;
            await AsyncIO.Sleep(0);
            Assert.Equal(loopThread, callbackThread);
        });
    }

    [Fact]
    public void ToThread_AsyncLocalValues_AreCopiedToTheWorker()
    {
        GuardedLoop.Run(async loop =>
        {
            s_ambient.Value = "from the task";
            string? seen = await AsyncIO.ToThread(() =>
            {
                string? value = s_ambient.Value;
                s_ambient.Value = "changed on the worker";
                return value;
            });

            Assert.Equal("from the task", seen);

            // A copy flows out, nothing flows back.
            Assert.Equal("from the task", s_ambient.Value);
        });
    }

    [Fact]
    public void ToThread_WorkThrows_ExceptionReachesTheAwaiter()
    {
        GuardedLoop.Run(async loop =>
        {
            var error = await AioAssert.ThrowsAsync<FormatException>(AsyncIO.ToThread<int>(() => throw new FormatException("worker")));
            Assert.Equal("worker", error.Message);
        });
    }

    [Fact]
    public void ToThread_Action_CompletesAfterTheWorkRan()
    {
        int ran = 0;
        GuardedLoop.Run(async loop =>
        {
            await AsyncIO.ToThread(() => { Interlocked.Increment(ref ran); });
            Assert.Equal(1, Volatile.Read(ref ran));
        });
    }

    [Fact]
    public void ToThread_AwaitingTaskCancelled_StopsWaitingAtOnceAndRunningWorkFinishes()
    {
        using var gate = new ManualResetEventSlim();
        int finished = 0;
        GuardedLoop.Run(async loop =>
        {
            int started = 0;
            Future<int>? work = null;
            AioTask<int> waiter = AsyncIO.CreateTask(Await());
            await AioAssert.WaitUntil(() => Volatile.Read(ref started) == 1);

            waiter.Cancel();
            await AioAssert.ThrowsAsync<CancelledException>(waiter);

            // The wait ended while the work is still blocked on its thread.
            Assert.Equal(0, Volatile.Read(ref finished));
            Assert.True(work!.IsCancelled);

            gate.Set();
            await AioAssert.WaitUntil(() => loop.GetResources().ExecutorCalls == 0);
            Assert.Equal(1, Volatile.Read(ref finished));
            Assert.True(work.IsCancelled);

            async Coroutine<int> Await()
            {
                work = AsyncIO.ToThread(() =>
                {
                    Volatile.Write(ref started, 1);
                    gate.Wait(GateLimit);
                    Volatile.Write(ref finished, 1);
                    return 5;
                });
                return await work;
            }
        });
    }

    [Fact]
    public void ToThread_TokenOverload_TokenCancelledWhenAwaitingTaskIsCancelled()
    {
        bool sawCancellation = false;
        GuardedLoop.Run(async loop =>
        {
            int started = 0;
            AioTask<bool> waiter = AsyncIO.CreateTask(Await());
            await AioAssert.WaitUntil(() => Volatile.Read(ref started) == 1);

            waiter.Cancel();
            await AioAssert.ThrowsAsync<CancelledException>(waiter);
            await AioAssert.WaitUntil(() => loop.GetResources().ExecutorCalls == 0);

            async Coroutine<bool> Await() => await AsyncIO.ToThread(token =>
            {
                Volatile.Write(ref started, 1);
                sawCancellation = token.WaitHandle.WaitOne(GateLimit);
                return sawCancellation;
            });
        });
        Assert.True(sawCancellation);
    }

    [Fact]
    public void ToThread_TokenOverloadNotCancelled_ReturnsResult()
    {
        GuardedLoop.Run(async loop =>
        {
            bool cancelled = await AsyncIO.ToThread(token => token.IsCancellationRequested);
            Assert.False(cancelled);
        });
    }

    [Fact]
    public void RunInExecutor_CancelledBeforeStart_NeverRuns()
    {
        using var gate = new ManualResetEventSlim();
        using var executor = new ThreadPoolExecutor(1);
        int secondRan = 0;
        GuardedLoop.Run(async loop =>
        {
            int firstStarted = 0;
            Future<int> first = loop.RunInExecutor(executor, () =>
            {
                Volatile.Write(ref firstStarted, 1);
                gate.Wait(GateLimit);
                return 1;
            });
            await AioAssert.WaitUntil(() => Volatile.Read(ref firstStarted) == 1);

            AioTask<int> waiter = AsyncIO.CreateTask(Await(loop, executor));
            await AsyncIO.Sleep(0);
            waiter.Cancel();
            await AioAssert.ThrowsAsync<CancelledException>(waiter);

            gate.Set();
            Assert.Equal(1, await first);

            // Draining the executor proves the queued item was dequeued and skipped.
            executor.Shutdown(wait: true);
            await AsyncIO.Sleep(0);

            async Coroutine<int> Await(EventLoop loop, ThreadPoolExecutor executor) =>
                await loop.RunInExecutor(executor, () =>
                {
                    Interlocked.Increment(ref secondRan);
                    return 2;
                });
        });
        Assert.Equal(0, Volatile.Read(ref secondRan));
    }

    [Fact]
    public void ToThread_CancelledBeforeStartOnBusyDefaultExecutor_NeverRunsAndIsNotCountedAsRunning()
    {
        using var gate = new ManualResetEventSlim();
        using var executor = new ThreadPoolExecutor(1);
        int secondRan = 0;
        GuardedLoop.Run(async loop =>
        {
            loop.SetDefaultExecutor(executor);
            int firstStarted = 0;
            Future<int> first = AsyncIO.ToThread(() =>
            {
                Volatile.Write(ref firstStarted, 1);
                gate.Wait(GateLimit);
                return 1;
            });
            await AioAssert.WaitUntil(() => Volatile.Read(ref firstStarted) == 1);

            AioTask<int> waiter = AsyncIO.CreateTask(Await());
            await AsyncIO.Sleep(0);
            waiter.Cancel();
            await AioAssert.ThrowsAsync<CancelledException>(waiter);

            gate.Set();
            Assert.Equal(1, await first);

            // The skipped item still reports back, so the loop's count of calls in flight drops to zero.
            await AioAssert.WaitUntil(() => loop.GetResources().ExecutorCalls == 0);

            async Coroutine<int> Await() => await AsyncIO.ToThread(() =>
            {
                Interlocked.Increment(ref secondRan);
                return 2;
            });
        });
        Assert.Equal(0, Volatile.Read(ref secondRan));
    }

    [Fact]
    public void RunInExecutor_RunningWorkCancelled_FinishesOnItsThreadAndResultIsDropped()
    {
        using var gate = new ManualResetEventSlim();
        using var executor = new ThreadPoolExecutor(1);
        int finished = 0;
        GuardedLoop.Run(async loop =>
        {
            int started = 0;
            Future<int> work = loop.RunInExecutor(executor, () =>
            {
                Volatile.Write(ref started, 1);
                gate.Wait(GateLimit);
                Volatile.Write(ref finished, 1);
                return 9;
            });
            await AioAssert.WaitUntil(() => Volatile.Read(ref started) == 1);

            Assert.True(work.Cancel());
            Assert.True(work.IsCancelled);
            Assert.Equal(0, Volatile.Read(ref finished));

            gate.Set();
            executor.Shutdown(wait: true);
            await AsyncIO.Sleep(0);
            await AsyncIO.Sleep(0);

            Assert.Equal(1, Volatile.Read(ref finished));
            Assert.True(work.IsCancelled);
        });
    }

    [Fact]
    public void RunInExecutor_NullExecutor_UsesTheDefaultExecutor()
    {
        using var executor = new ThreadPoolExecutor(1, "custom-default");
        GuardedLoop.Run(async loop =>
        {
            string? before = await loop.RunInExecutor(null, () => Thread.CurrentThread.Name);
            Assert.NotEqual("custom-default_0", before);

            loop.SetDefaultExecutor(executor);
            string? after = await loop.RunInExecutor(null, () => Thread.CurrentThread.Name);
            Assert.Equal("custom-default_0", after);

            string? viaToThread = await AsyncIO.ToThread(() => Thread.CurrentThread.Name);
            Assert.Equal("custom-default_0", viaToThread);
        });
    }

    [Fact]
    public void RunInExecutor_ActionOverload_RunsOnTheExecutor()
    {
        using var executor = new ThreadPoolExecutor(1, "action");
        string? name = null;
        GuardedLoop.Run(async loop =>
        {
            await loop.RunInExecutor(executor, () => { name = Thread.CurrentThread.Name; });
        });
        Assert.Equal("action_0", name);
    }

    [Fact]
    public void RunInExecutor_TokenOverload_TokenCancelledWhenFutureIsCancelled()
    {
        using var executor = new ThreadPoolExecutor(1);
        bool sawCancellation = false;
        GuardedLoop.Run(async loop =>
        {
            int started = 0;
            int finished = 0;
            Future<bool> work = loop.RunInExecutor(executor, token =>
            {
                Volatile.Write(ref started, 1);
                sawCancellation = token.WaitHandle.WaitOne(GateLimit);
                Volatile.Write(ref finished, 1);
                return sawCancellation;
            });
            await AioAssert.WaitUntil(() => Volatile.Read(ref started) == 1);
            work.Cancel();

            // The token is cancelled by a loop callback, so keep the loop running until the work ends.
            await AioAssert.WaitUntil(() => Volatile.Read(ref finished) == 1);
            executor.Shutdown(wait: true);
            await AsyncIO.Sleep(0);
        });
        Assert.True(sawCancellation);
    }

    [Fact]
    public void ThreadPoolExecutor_MaxWorkers_BoundsConcurrentWork()
    {
        using var gate = new ManualResetEventSlim();
        using var executor = new ThreadPoolExecutor(2);
        int running = 0;
        int peak = 0;
        int started = 0;
        GuardedLoop.Run(async loop =>
        {
            var futures = new List<Future<int>>();
            for (int i = 0; i < 5; i++)
            {
                int n = i;
                futures.Add(loop.RunInExecutor(executor, () =>
                {
                    int now = Interlocked.Increment(ref running);
                    InterlockedMax(ref peak, now);
                    Interlocked.Increment(ref started);
                    gate.Wait(GateLimit);
                    Interlocked.Decrement(ref running);
                    return n;
                }));
            }

            await AioAssert.WaitUntil(() => Volatile.Read(ref started) == 2);

            // Give a third worker, if one wrongly existed, the chance to pick up queued work.
            await AsyncIO.Sleep(0.02);
            Assert.Equal(2, Volatile.Read(ref started));
            Assert.Equal(2, executor.ThreadCount);

            gate.Set();
            int[] results = await AsyncIO.Gather(futures.ToArray());
            Assert.Equal([0, 1, 2, 3, 4], results);
        });
        Assert.Equal(2, peak);
        Assert.Equal(2, executor.MaxWorkers);
    }

    [Fact]
    public void ThreadPoolExecutor_MoreItemsThanIdleWorkers_StartsTheMissingWorker()
    {
        using var executor = new ThreadPoolExecutor(5);
        GuardedLoop.Run(async loop =>
        {
            // Four workers exist and have gone idle.
            bool[] warm = await Meet(loop, executor, 4);
            Assert.All(warm, Assert.True);
            await AsyncIO.Sleep(0.02);
            Assert.Equal(4, executor.ThreadCount);

            // Five items that each wait for all the others to start: the fifth needs a fifth worker,
            // which MaxWorkers allows.
            bool[] met = await Meet(loop, executor, 5);

            Assert.All(met, Assert.True);
            Assert.Equal(5, executor.ThreadCount);
        });

        static Future<bool[]> Meet(EventLoop loop, ThreadPoolExecutor executor, int count)
        {
            var allStarted = new CountdownEvent(count);
            var futures = new Future<bool>[count];
            for (int i = 0; i < count; i++)
            {
                futures[i] = loop.RunInExecutor(executor, () =>
                {
                    allStarted.Signal();
                    return allStarted.Wait(TimeSpan.FromSeconds(2));
                });
            }

            return AsyncIO.Gather(futures);
        }
    }

    [Fact]
    public void ThreadPoolExecutor_InvalidMaxWorkers_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new ThreadPoolExecutor(0));
        using var byDefault = new ThreadPoolExecutor();
        Assert.Equal(Math.Min(32, Environment.ProcessorCount + 4), byDefault.MaxWorkers);
    }

    [Fact]
    public void ThreadPoolExecutor_ShutdownWithCancelPending_DropsQueuedWorkAndCancelsItsFuture()
    {
        using var gate = new ManualResetEventSlim();
        using var executor = new ThreadPoolExecutor(1);
        int secondRan = 0;
        GuardedLoop.Run(async loop =>
        {
            int firstStarted = 0;
            Future<int> first = loop.RunInExecutor(executor, () =>
            {
                Volatile.Write(ref firstStarted, 1);
                gate.Wait(GateLimit);
                return 1;
            });
            Future<int> second = loop.RunInExecutor(executor, () =>
            {
                Interlocked.Increment(ref secondRan);
                return 2;
            });
            await AioAssert.WaitUntil(() => Volatile.Read(ref firstStarted) == 1);

            executor.Shutdown(wait: false, cancelPending: true);
            gate.Set();

            // Running work finishes; queued work is dropped, and as with asyncio's cancel_futures its
            // future is cancelled rather than left pending for ever.
            Assert.Equal(1, await first);
            await AsyncIO.Wait([second], timeout: 2);
            Assert.True(second.IsCancelled, $"The dropped work's future is {second}.");
        });
        Assert.Equal(0, Volatile.Read(ref secondRan));
    }

    [Fact]
    public void ThreadPoolExecutor_ShutdownWithoutCancel_RunsQueuedWork()
    {
        using var gate = new ManualResetEventSlim();
        using var executor = new ThreadPoolExecutor(1);
        GuardedLoop.Run(async loop =>
        {
            Future<int> first = loop.RunInExecutor(executor, () =>
            {
                gate.Wait(GateLimit);
                return 1;
            });
            Future<int> second = loop.RunInExecutor(executor, () => 2);

            executor.Shutdown(wait: false);
            gate.Set();
            int[] results = await AsyncIO.Gather(first, second);
            Assert.Equal([1, 2], results);
        });
    }

    [Fact]
    public void ThreadPoolExecutor_AfterShutdown_RejectsNewWork()
    {
        using var executor = new ThreadPoolExecutor(1);
        int ran = 0;
        GuardedLoop.Run(async loop =>
        {
            executor.Shutdown();
            Exception? error = null;
            try
            {
                await loop.RunInExecutor(executor, () => Interlocked.Increment(ref ran));
            }
            catch (Exception ex)
            {
                error = ex;
            }

            Assert.IsType<InvalidOperationException>(error);
            Assert.Throws<InvalidOperationException>(() => executor.Execute(new NoWork()));
        });
        Assert.Equal(0, ran);
    }

    [Fact]
    public void ThreadPoolExecutor_Dispose_WaitsForRunningWorkAndStopsThreads()
    {
        var executor = new ThreadPoolExecutor(2);
        int finished = 0;
        GuardedLoop.Run(async loop =>
        {
            Future<int> work = loop.RunInExecutor(executor, () =>
            {
                Thread.Sleep(20);
                Interlocked.Increment(ref finished);
                return 3;
            });
            await AioAssert.WaitUntil(() => executor.ThreadCount == 1);

            executor.Dispose();
            Assert.Equal(1, Volatile.Read(ref finished));
            Assert.Equal(3, await work);
        });
    }

    [Fact]
    public void ShutdownDefaultExecutor_WaitsForCallsInFlightThenRefusesNewOnes()
    {
        int finished = 0;
        GuardedLoop.Run(async loop =>
        {
            Future<int> work = AsyncIO.ToThread(() =>
            {
                Thread.Sleep(20);
                Interlocked.Increment(ref finished);
                return 1;
            });

            await loop.ShutdownDefaultExecutor();

            Assert.Equal(1, Volatile.Read(ref finished));
            Assert.Equal(0, loop.GetResources().ExecutorCalls);
            Assert.Equal(1, await work);
            Assert.Throws<InvalidOperationException>(() => AsyncIO.ToThread(() => 2));
            Assert.Throws<InvalidOperationException>(() => loop.RunInExecutor(null, () => 2));
        });
    }

    [Fact]
    public void ShutdownDefaultExecutor_ThreadPoolExecutorAsDefault_IsShutDown()
    {
        using var executor = new ThreadPoolExecutor(1);
        GuardedLoop.Run(async loop =>
        {
            loop.SetDefaultExecutor(executor);
            Assert.Equal(1, await AsyncIO.ToThread(() => 1));
            await loop.ShutdownDefaultExecutor();
            Assert.Throws<InvalidOperationException>(() => executor.Execute(new NoWork()));
        });
    }

    [Fact]
    public void ShutdownDefaultExecutor_WorkOutlastsTimeout_ReportsToHandlerAndReturns()
    {
        using var gate = new ManualResetEventSlim();
        var reports = new List<LoopExceptionContext>();
        GuardedLoop.Run(
            async loop =>
            {
                loop.SetExceptionHandler((_, context) => reports.Add(context));
                int started = 0;
                Future<int> work = AsyncIO.ToThread(() =>
                {
                    Volatile.Write(ref started, 1);
                    gate.Wait(GateLimit);
                    return 1;
                });
                await AioAssert.WaitUntil(() => Volatile.Read(ref started) == 1);

                await loop.ShutdownDefaultExecutor(TimeSpan.FromMilliseconds(10));
                Assert.Single(reports);
                Assert.False(work.IsDone);

                gate.Set();
                Assert.Equal(1, await work);
            },
            allowHandlerReports: true);
        Assert.Single(reports);
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int current = Volatile.Read(ref target);
        while (value > current)
        {
            int seen = Interlocked.CompareExchange(ref target, value, current);
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }

    /// <summary>A work item that does nothing, to probe whether an executor still accepts work.</summary>
    private sealed class NoWork : IExecutorWork
    {
        public void Run()
        {
        }

        public void Abandon()
        {
        }
    }
}
