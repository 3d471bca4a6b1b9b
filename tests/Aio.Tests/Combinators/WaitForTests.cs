using Aio.Tests.Support;

namespace Aio.Tests.Combinators;

public sealed class WaitForTests
{
    [Fact]
    public void WaitFor_CoroutineFinishesInTime_ReturnsItsResult()
    {
        VirtualLoop.Run(async loop =>
        {
            Assert.Equal(42, await AsyncIO.WaitFor(Delayed(1, 42), 10));

            // Done when the work was, not when the timeout would have been.
            Assert.Equal(1.0, loop.Time());
        });
    }

    [Fact]
    public void WaitFor_TaskAndFutureFinishInTime_ReturnTheirResults()
    {
        VirtualLoop.Run(async loop =>
        {
            AioTask<int> task = AsyncIO.CreateTask(Delayed(1, 1));
            Assert.Equal(1, await AsyncIO.WaitFor(task, 10));
            Assert.Equal(1.0, loop.Time());

            Future<string> future = loop.CreateFuture<string>();
            loop.CallSoon(() => future.SetResult("f"));
            Assert.Equal("f", await AsyncIO.WaitFor(future, 10));

            AioTask untyped = AsyncIO.CreateTask(ShortSleep());
            await AsyncIO.WaitFor(untyped, 10);
            Assert.True(untyped.IsCompletedSuccessfully);
            Assert.Equal(2.0, loop.Time());
        });

        static async Coroutine ShortSleep() => await AsyncIO.Sleep(1);
    }

    [Fact]
    public void WaitFor_UntypedCoroutineFinishesInTime_Completes()
    {
        bool ran = false;
        VirtualLoop.Run(async loop => await AsyncIO.WaitFor(Work(), 10));
        Assert.True(ran);

        async Coroutine Work()
        {
            await AsyncIO.Sleep(1);
            ran = true;
        }
    }

    [Fact]
    public void WaitFor_CoroutineTimesOut_InnerFinallyRunsBeforeTimeoutIsObserved()
    {
        var log = new List<string>();
        VirtualLoop.Run(async loop =>
        {
            var error = await AioAssert.ThrowsAsync<TimeoutException, int>(() => AsyncIO.WaitFor(SlowWithCleanup(log), 5));
            log.Add("timeout observed");

            // The deadline, then the one second the cleanup takes.
            Assert.Equal(6.0, loop.Time());
            Assert.IsType<CancelledException>(error.InnerException);
            Assert.Equal(0, AsyncIO.CurrentTask!.Cancelling);
        });
        Assert.Equal(["started", "cancelled", "cleanup done", "timeout observed"], log);
    }

    [Fact]
    public void WaitFor_TaskTimesOut_TaskIsCancelledAndAwaitedBeforeTimeout()
    {
        var log = new List<string>();
        VirtualLoop.Run(async loop =>
        {
            AioTask<int> task = AsyncIO.CreateTask(SlowWithCleanup(log));

            await AioAssert.ThrowsAsync<TimeoutException, int>(() => AsyncIO.WaitFor(task, 5));
            log.Add("timeout observed");
            Assert.Equal(6.0, loop.Time());

            // The task's cleanup awaits, so it can only be done here if WaitFor waited for it.
            Assert.True(task.IsCancelled);
            Assert.Equal(0, AsyncIO.CurrentTask!.Cancelling);
        });
        Assert.Equal(["started", "cancelled", "cleanup done", "timeout observed"], log);
    }

    [Fact]
    public void WaitFor_UntypedTaskTimesOut_TaskIsCancelledBeforeTimeout()
    {
        var log = new List<string>();
        VirtualLoop.Run(async loop =>
        {
            AioTask task = AsyncIO.CreateTask(SlowWithCleanupUntyped(log));
            await AioAssert.ThrowsAsync<TimeoutException>(() => AsyncIO.WaitFor(task, 5));
            log.Add("timeout observed");
            Assert.Equal(6.0, loop.Time());
            Assert.True(task.IsCancelled);
        });
        Assert.Equal(["started", "cancelled", "cleanup done", "timeout observed"], log);
    }

    [Fact]
    public void WaitFor_FutureTimesOut_FutureIsCancelled()
    {
        VirtualLoop.Run(async loop =>
        {
            Future<int> future = loop.CreateFuture<int>();
            var error = await AioAssert.ThrowsAsync<TimeoutException, int>(() => AsyncIO.WaitFor(future, 5));
            Assert.Equal(5.0, loop.Time());
            Assert.True(future.IsCancelled);
            Assert.IsType<CancelledException>(error.InnerException);
        });
    }

    [Fact]
    public void WaitFor_NullTimeout_WaitsWithoutLimit()
    {
        VirtualLoop.Run(async loop =>
        {
            Assert.Equal(3, await AsyncIO.WaitFor(Delayed(86_400, 3), null));
            Assert.Equal(86_400.0, loop.Time());
            AioTask<int> task = AsyncIO.CreateTask(Delayed(1, 4));
            Assert.Equal(4, await AsyncIO.WaitFor(task, null));

            // No timer is armed for an unlimited wait.
            Future<int> future = loop.CreateFuture<int>();
            AioTask<int> waiter = AsyncIO.CreateTask(AsyncIO.WaitFor(future, null));
            await AsyncIO.Sleep(0);
            Assert.Equal(0, loop.GetResources().Timers);
            future.SetResult(5);
            Assert.Equal(5, await waiter);
        });
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(-1.0)]
    public void WaitFor_NonPositiveTimeoutOnDoneWork_ReturnsResult(double timeout)
    {
        VirtualLoop.Run(async loop =>
        {
            Future<int> future = loop.CreateFuture<int>();
            future.SetResult(7);
            Assert.Equal(7, await AsyncIO.WaitFor(future, timeout));

            AioTask<int> task = AsyncIO.CreateTask(Delayed(0, 8));
            await task;
            Assert.Equal(8, await AsyncIO.WaitFor(task, timeout));
        });
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(-1.0)]
    public void WaitFor_NonPositiveTimeoutOnRunningTask_CancelsAwaitsAndTimesOut(double timeout)
    {
        var log = new List<string>();
        VirtualLoop.RunInOrder(async loop =>
        {
            AioTask<int> task = AsyncIO.CreateTask(SlowWithCleanup(log));
            await AsyncIO.Sleep(0);

            var error = await AioAssert.ThrowsAsync<TimeoutException, int>(() => AsyncIO.WaitFor(task, timeout));
            log.Add("timeout observed");

            // At once, then the one second the cleanup takes.
            Assert.Equal(1.0, loop.Time());
            Assert.True(task.IsCancelled);
            Assert.IsType<CancelledException>(error.InnerException);
        });
        Assert.Equal(["started", "cancelled", "cleanup done", "timeout observed"], log);
    }

    [Fact]
    public void WaitFor_ZeroTimeoutOnCoroutine_NeverRunsItAndTimesOut()
    {
        bool ran = false;
        VirtualLoop.Run(async loop =>
        {
            await AioAssert.ThrowsAsync<TimeoutException, int>(() => AsyncIO.WaitFor(Body(), 0));
            await AioAssert.ThrowsAsync<TimeoutException>(() => AsyncIO.WaitFor(UntypedBody(), 0));
        });
        Assert.False(ran);

        async Coroutine<int> Body()
        {
            ran = true;
            await AsyncIO.Sleep(0);
            return 1;
        }

        async Coroutine UntypedBody()
        {
            ran = true;
            await AsyncIO.Sleep(0);
        }
    }

    [Fact]
    public void WaitFor_ZeroTimeoutOnFailedFuture_ThrowsItsException()
    {
        VirtualLoop.Run(async loop =>
        {
            Future<int> future = loop.CreateFuture<int>();
            future.SetException(new FormatException("f"));
            await AioAssert.ThrowsAsync<FormatException, int>(() => AsyncIO.WaitFor(future, 0));
        });
    }

    [Fact]
    public void WaitFor_CoroutineSwallowsCancellation_ReturnsItsValue()
    {
        int result = VirtualLoop.Run(async loop =>
        {
            int value = await AsyncIO.WaitFor(Stubborn(), 5);
            Assert.Equal(5.0, loop.Time());
            Assert.Equal(0, AsyncIO.CurrentTask!.Cancelling);

            // The swallowed timeout must not leave a cancellation behind for the next await.
            await AsyncIO.Sleep(1);
            return value;
        });
        Assert.Equal(99, result);
    }

    [Fact]
    public void WaitFor_TaskSwallowsCancellation_ReturnsItsValue()
    {
        int result = VirtualLoop.Run(async loop =>
        {
            AioTask<int> task = AsyncIO.CreateTask(Stubborn());
            int value = await AsyncIO.WaitFor(task, 5);
            Assert.Equal(5.0, loop.Time());
            Assert.True(task.IsCompletedSuccessfully);
            Assert.Equal(0, AsyncIO.CurrentTask!.Cancelling);
            await AsyncIO.Sleep(1);
            return value;
        });
        Assert.Equal(99, result);
    }

    [Fact]
    public void WaitFor_ZeroTimeoutOnTaskThatSwallowsCancellation_ReturnsItsValue()
    {
        int result = VirtualLoop.RunInOrder(async loop =>
        {
            AioTask<int> task = AsyncIO.CreateTask(Stubborn());
            await AsyncIO.Sleep(0);
            return await AsyncIO.WaitFor(task, 0);
        });
        Assert.Equal(99, result);
    }

    [Fact]
    public void WaitFor_InnerThrows_PropagatesTheExceptionItself()
    {
        VirtualLoop.Run(async loop =>
        {
            var error = await AioAssert.ThrowsAsync<FormatException, int>(() => AsyncIO.WaitFor(Failing(), 10));
            Assert.Equal("inner", error.Message);

            AioTask<int> task = AsyncIO.CreateTask(Failing());
            await AioAssert.ThrowsAsync<FormatException, int>(() => AsyncIO.WaitFor(task, 10));
        });

        static async Coroutine<int> Failing()
        {
            await AsyncIO.Sleep(0);
            throw new FormatException("inner");
        }
    }

    [Fact]
    public void WaitFor_AwaitingTaskCancelledFromOutside_PropagatesCancellationNotTimeout()
    {
        var log = new List<string>();
        VirtualLoop.Run(async loop =>
        {
            AioTask<int> worker = AsyncIO.CreateTask(Worker());
            await AsyncIO.Sleep(5);
            worker.Cancel();

            await AioAssert.ThrowsAsync<CancelledException>(worker);
            Assert.True(worker.IsCancelled);

            // Cancelled at 5 s, cleaned up by 6 s: well before the 10 s timeout could have fired.
            Assert.Equal(6.0, loop.Time());
        });
        Assert.Equal(["started", "cancelled", "cleanup done", "worker saw CancelledException"], log);

        async Coroutine<int> Worker()
        {
            try
            {
                return await AsyncIO.WaitFor(SlowWithCleanup(log), 10);
            }
            catch (Exception ex)
            {
                log.Add("worker saw " + ex.GetType().Name);
                throw;
            }
        }
    }

    [Fact]
    public void WaitFor_AwaitingTaskCancelledWhileWaitingOnTask_CancelsThatTask()
    {
        VirtualLoop.Run(async loop =>
        {
            AioTask<int> inner = AsyncIO.CreateTask(Delayed(3600, 1));
            AioTask<int> worker = AsyncIO.CreateTask(AsyncIO.WaitFor(inner, 10));
            await AsyncIO.Sleep(5);
            worker.Cancel();

            await AioAssert.ThrowsAsync<CancelledException>(worker);
            Assert.True(inner.IsCancelled);
        });
    }

    [Fact]
    public void WaitFor_Timeout_LeavesTheTaskUsable()
    {
        VirtualLoop.Run(async loop =>
        {
            for (int i = 0; i < 3; i++)
            {
                await AioAssert.ThrowsAsync<TimeoutException, int>(() => AsyncIO.WaitFor(Delayed(3600, 0), 2));
                Assert.Equal(0, AsyncIO.CurrentTask!.Cancelling);
                Assert.False(AsyncIO.CancellationToken.IsCancellationRequested);
            }

            Assert.Equal(6.0, loop.Time());
            Assert.Equal(5, await AsyncIO.WaitFor(Delayed(1, 5), 10));
            Assert.Equal(7.0, loop.Time());
        });
    }

    [Fact]
    public void WaitFor_ZeroTimeoutAwaiterCancelledWhileInnerCleansUp_PropagatesCancellation()
    {
        var log = new List<string>();
        VirtualLoop.Run(async loop =>
        {
            Future<int> cleanupGate = loop.CreateFuture<int>();
            AioTask<int> inner = AsyncIO.CreateTask(SlowCleanup(cleanupGate));
            await AsyncIO.Sleep(0);
            AioTask<int> worker = AsyncIO.CreateTask(Worker(inner));
            await AsyncIO.Sleep(0);
            await AsyncIO.Sleep(0);

            // The worker now waits for the inner task, which it cancelled, to finish its cleanup. As in
            // asyncio's _cancel_and_wait, that wait itself must stay cancellable.
            worker.Cancel();
            await AsyncIO.Wait([worker], timeout: 10);
            log.Add(worker.IsDone ? "worker done" : "worker still waiting");

            // The worker left at once, without waiting out the 10 s.
            Assert.Equal(0.0, loop.Time());

            cleanupGate.SetResult(0);
            await AsyncIO.Wait([inner, worker]);
            Assert.True(inner.IsCancelled);
            Assert.True(worker.IsCancelled, $"worker ended as {worker}");
        });
        Assert.Equal(["worker saw CancelledException", "worker done"], log);

        async Coroutine<int> Worker(AioTask<int> inner)
        {
            try
            {
                return await AsyncIO.WaitFor(inner, 0);
            }
            catch (Exception ex)
            {
                log.Add("worker saw " + ex.GetType().Name);
                throw;
            }
        }

        static async Coroutine<int> SlowCleanup(Future<int> cleanupGate)
        {
            try
            {
                await AsyncIO.Sleep(3600);
                return 1;
            }
            finally
            {
                await AsyncIO.Shield(cleanupGate);
            }
        }
    }

    private static async Coroutine<T> Delayed<T>(double seconds, T value)
    {
        await AsyncIO.Sleep(seconds);
        return value;
    }

    private static async Coroutine<int> SlowWithCleanup(List<string> log)
    {
        log.Add("started");
        try
        {
            await AsyncIO.Sleep(3600);
            log.Add("woke");
            return 1;
        }
        catch (CancelledException)
        {
            log.Add("cancelled");
            throw;
        }
        finally
        {
            // Cleanup that itself awaits, for one second: only a caller that really waits sees it complete.
            await AsyncIO.Sleep(1);
            log.Add("cleanup done");
        }
    }

    private static async Coroutine SlowWithCleanupUntyped(List<string> log) => await SlowWithCleanup(log);

    private static async Coroutine<int> Stubborn()
    {
        try
        {
            await AsyncIO.Sleep(3600);
            return 0;
        }
        catch (CancelledException)
        {
            await AsyncIO.Sleep(0);
            return 99;
        }
    }
}
