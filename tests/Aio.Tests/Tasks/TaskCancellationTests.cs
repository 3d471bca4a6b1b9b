using Aio.Tests.Support;

namespace Aio.Tests.Tasks;

public sealed class TaskCancellationTests
{
    [Fact]
    public void Cancel_BeforeFirstStep_BodyNeverRuns()
    {
        bool ran = false;
        Guarded.Run(async loop =>
        {
            AioTask task = AsyncIO.CreateTask(Body());
            Assert.True(task.Cancel());
            await AwaitAssert.Cancelled(task);
            Assert.True(task.IsCancelled);
        });
        Assert.False(ran);

        async Coroutine Body()
        {
            ran = true;
            await AsyncIO.Sleep(0);
        }
    }

    [Fact]
    public void Cancel_DuringSleep_FinallyRunsAndTaskIsCancelled()
    {
        var log = new List<string>();
        VirtualLoop.Run(async loop =>
        {
            AioTask task = AsyncIO.CreateTask(Sleeper());
            await AsyncIO.Sleep(10);
            task.Cancel("stop");
            CancelledException error = await AwaitAssert.Cancelled(task);
            Assert.Equal("stop", error.CancelMessage);
            Assert.True(task.IsCancelled);

            // Ended by the cancellation at 10 s, not by its hour-long sleep.
            Assert.Equal(10.0, loop.Time());
        });
        Assert.Equal(["start", "finally"], log);

        async Coroutine Sleeper()
        {
            log.Add("start");
            try
            {
                await AsyncIO.Sleep(3600);
                log.Add("woke");
            }
            finally
            {
                log.Add("finally");
            }
        }
    }

    [Fact]
    public void Cancel_BeforeFirstStep_MessageCarriedAndOneRequestCounted()
    {
        Guarded.Run(async loop =>
        {
            AioTask task = AsyncIO.CreateTask(Yield());
            Assert.True(task.Cancel("early"));
            Assert.Equal(1, task.Cancelling);
            Assert.False(task.IsDone);

            CancelledException error = await AwaitAssert.Cancelled(task);
            Assert.Equal("early", error.CancelMessage);
            Assert.Equal("early", Assert.Throws<CancelledException>(() => task.Exception).CancelMessage);
        });
    }

    [Fact]
    public void Cancel_TaskAwaitingFuture_CancelsTheFutureWithTheMessage()
    {
        Guarded.Run(async loop =>
        {
            Future<int> future = loop.CreateFuture<int>();
            AioTask task = AsyncIO.CreateTask(WaitFor(future));
            await AsyncIO.Sleep(0);

            Assert.True(task.Cancel("why"));
            Assert.True(future.IsCancelled);

            Assert.Equal("why", (await AwaitAssert.Cancelled(task)).CancelMessage);
            Assert.Equal("why", Assert.Throws<CancelledException>(() => future.Result).CancelMessage);
        });
    }

    [Fact]
    public void Cancel_TaskAwaitingInlineCoroutine_ReachesTheInnermostAwaitAndEveryFinallyRuns()
    {
        var log = new List<string>();
        Guarded.Run(async loop =>
        {
            AioTask task = AsyncIO.CreateTask(Outer());
            await AsyncIO.Sleep(0);
            task.Cancel();
            await AwaitAssert.Cancelled(task);
        });
        Assert.Equal(["inner finally", "outer finally"], log);

        async Coroutine Outer()
        {
            try
            {
                await Inner();
                log.Add("outer continued");
            }
            finally
            {
                log.Add("outer finally");
            }
        }

        async Coroutine Inner()
        {
            try
            {
                await AsyncIO.Sleep(3600);
                log.Add("inner woke");
            }
            finally
            {
                log.Add("inner finally");
            }
        }
    }

    [Fact]
    public void Cancel_CaughtInsideTask_TaskContinuesLaterAwaitsWorkAndItReturnsItsValue()
    {
        Guarded.Run(async loop =>
        {
            AioTask<string> task = AsyncIO.CreateTask(Stubborn(loop));
            await AsyncIO.Sleep(0);

            Assert.True(task.Cancel("please stop"));
            Assert.Equal("finished after: please stop", await task);
            Assert.True(task.IsCompletedSuccessfully);
            Assert.False(task.IsCancelled);

            // As asyncio: a request that was caught stays counted until someone calls Uncancel.
            Assert.Equal(1, task.Cancelling);
        });

        static async Coroutine<string> Stubborn(EventLoop loop)
        {
            string? message;
            try
            {
                await AsyncIO.Sleep(3600);
                return "woke";
            }
            catch (CancelledException ex)
            {
                message = ex.CancelMessage;
            }

            await AsyncIO.Sleep(0.001);
            await AsyncIO.Sleep(0);
            Future<int> future = loop.CreateFuture<int>();
            loop.CallSoon(() => future.SetResult(1));
            await future;
            await Task.Delay(1);
            return "finished after: " + message;
        }
    }

    [Fact]
    public void Cancel_CaughtAndUncancelled_TaskSucceedsWithNoRequestPending()
    {
        Guarded.Run(async loop =>
        {
            AioTask<int> task = AsyncIO.CreateTask(Absorb());
            await AsyncIO.Sleep(0);
            task.Cancel();

            Assert.Equal(0, await task);
            Assert.Equal(0, task.Cancelling);
            Assert.True(task.IsCompletedSuccessfully);
        });

        static async Coroutine<int> Absorb()
        {
            try
            {
                await AsyncIO.Sleep(3600);
            }
            catch (CancelledException)
            {
                int left = AsyncIO.CurrentTask!.Uncancel();
                await AsyncIO.Sleep(0);
                return left;
            }

            return -1;
        }
    }

    [Fact]
    public void Cancel_TwiceWhileSleeping_CancellingIsTwoAndOnlyOneCancellationDelivered()
    {
        Guarded.Run(async loop =>
        {
            AioTask<int> task = AsyncIO.CreateTask(CountCancellations());
            await AsyncIO.Sleep(0);

            Assert.True(task.Cancel());
            Assert.True(task.Cancel());
            Assert.Equal(2, task.Cancelling);

            Assert.Equal(1, await task);
            Assert.Equal(2, task.Cancelling);
            Assert.False(task.IsCancelled);
        });

        static async Coroutine<int> CountCancellations()
        {
            int delivered = 0;
            try
            {
                await AsyncIO.Sleep(3600);
            }
            catch (CancelledException)
            {
                delivered++;
            }

            for (int i = 0; i < 3; i++)
            {
                try
                {
                    await AsyncIO.Sleep(i == 0 ? 0 : 0.001);
                }
                catch (CancelledException)
                {
                    delivered++;
                }
            }

            return delivered;
        }
    }

    [Fact]
    public void Uncancel_AfterTwoRequests_CountsDownAndStopsAtZero()
    {
        Guarded.Run(async loop =>
        {
            AioTask<string> task = AsyncIO.CreateTask(Body());
            Assert.Equal("not cancelled", await task);
            Assert.Equal(0, task.Cancelling);
        });

        static async Coroutine<string> Body()
        {
            AioTask self = AsyncIO.CurrentTask!;
            self.Cancel();
            self.Cancel();
            Assert.Equal(2, self.Cancelling);
            Assert.Equal(1, self.Uncancel());
            Assert.Equal(1, self.Cancelling);
            Assert.Equal(0, self.Uncancel());
            Assert.Equal(0, self.Uncancel());

            // Back at zero the pending request is withdrawn too (Python 3.13's uncancel).
            await AsyncIO.Sleep(0);
            return "not cancelled";
        }
    }

    [Fact]
    public void Uncancel_ToZeroBeforeFirstStep_TaskRunsNormally()
    {
        bool ran = false;
        Guarded.Run(async loop =>
        {
            AioTask task = AsyncIO.CreateTask(Body());
            task.Cancel();
            Assert.Equal(0, task.Uncancel());
            await task;
            Assert.True(task.IsCompletedSuccessfully);
        });
        Assert.True(ran);

        async Coroutine Body()
        {
            ran = true;
            await AsyncIO.Sleep(0);
        }
    }

    [Fact]
    public void Cancel_FromInsideTheTask_ReturnsTrueAndTheNextAwaitRaises()
    {
        var log = new List<string>();
        Guarded.Run(async loop =>
        {
            AioTask task = AsyncIO.CreateTask(Body());
            CancelledException error = await AwaitAssert.Cancelled(task);
            Assert.Equal("self", error.CancelMessage);
            Assert.True(task.IsCancelled);
        });
        Assert.Equal(["cancel returned True", "raised: self"], log);

        async Coroutine Body()
        {
            bool accepted = AsyncIO.CurrentTask!.Cancel("self");
            log.Add("cancel returned " + accepted);
            try
            {
                await AsyncIO.Sleep(0);
                log.Add("not raised");
            }
            catch (CancelledException ex)
            {
                log.Add("raised: " + ex.CancelMessage);
                throw;
            }
        }
    }

    [Fact]
    public void Cancel_FromInsideTheTaskThenLongSleep_SleepEndsAtOnceWithCancellation()
    {
        Guarded.Run(async loop =>
        {
            AioTask task = AsyncIO.CreateTask(Body());
            await AwaitAssert.Cancelled(task);
            Assert.True(task.IsCancelled);
        });

        static async Coroutine Body()
        {
            AsyncIO.CurrentTask!.Cancel();
            await AsyncIO.Sleep(3600);
        }
    }

    [Fact]
    public void Cancel_FromInsideTheTaskThenReturn_TaskIsCancelledAlthoughItReturned()
    {
        Guarded.Run(async loop =>
        {
            AioTask<int> task = AsyncIO.CreateTask(Body());
            CancelledException error = await AwaitAssert.Cancelled(task);
            Assert.Equal("last step", error.CancelMessage);
            Assert.True(task.IsCancelled);
            Assert.Throws<CancelledException>(() => task.Result);
        });

        static async Coroutine<int> Body()
        {
            await AsyncIO.Sleep(0);
            AsyncIO.CurrentTask!.Cancel("last step");
            return 5;
        }
    }

    [Fact]
    public void Cancel_TaskAwaitingAnotherTask_CancelsTheInnerTaskToo()
    {
        var log = new List<string>();
        Guarded.Run(async loop =>
        {
            AioTask inner = AsyncIO.CreateTask(Sleeper());
            AioTask outer = AsyncIO.CreateTask(AwaitTask(inner));
            await AsyncIO.Sleep(0);

            Assert.True(outer.Cancel("from outer"));
            Assert.Equal(1, inner.Cancelling);

            CancelledException error = await AwaitAssert.Cancelled(outer);
            Assert.Equal("from outer", error.CancelMessage);
            Assert.True(outer.IsCancelled);
            Assert.True(inner.IsCancelled);
            Assert.Equal("from outer", (await AwaitAssert.Cancelled(inner)).CancelMessage);
        });
        Assert.Equal(["inner finally"], log);

        async Coroutine Sleeper()
        {
            try
            {
                await AsyncIO.Sleep(3600);
            }
            finally
            {
                log.Add("inner finally");
            }
        }
    }

    [Fact]
    public void Cancel_InnerTaskSwallowsTheCancellation_OuterResumesNormallyWithItsResult()
    {
        Guarded.Run(async loop =>
        {
            AioTask<int> inner = AsyncIO.CreateTask(Swallow());
            AioTask<int> outer = AsyncIO.CreateTask(Double(inner));
            await AsyncIO.Sleep(0);

            Assert.True(outer.Cancel());
            Assert.Equal(14, await outer);
            Assert.True(outer.IsCompletedSuccessfully);
            Assert.True(inner.IsCompletedSuccessfully);
            Assert.Equal(1, outer.Cancelling);
            Assert.Equal(1, inner.Cancelling);
        });

        static async Coroutine<int> Swallow()
        {
            try
            {
                await AsyncIO.Sleep(3600);
                return -1;
            }
            catch (CancelledException)
            {
                return 7;
            }
        }

        static async Coroutine<int> Double(AioTask<int> inner)
        {
            int value = await inner;
            await AsyncIO.Sleep(0);
            return value * 2;
        }
    }

    [Fact]
    public void Cancel_DoneTasks_ReturnsFalseAndChangesNothing()
    {
        Guarded.Run(async loop =>
        {
            AioTask<int> succeeded = AsyncIO.CreateTask(Value(1));
            AioTask failed = AsyncIO.CreateTask(Fail());
            AioTask cancelled = AsyncIO.CreateTask(Yield());
            cancelled.Cancel();
            await succeeded;
            await AwaitAssert.Throws<InvalidOperationException>(failed);
            await AwaitAssert.Cancelled(cancelled);

            Assert.False(succeeded.Cancel());
            Assert.False(failed.Cancel());
            Assert.False(cancelled.Cancel());

            Assert.Equal(0, succeeded.Cancelling);
            Assert.Equal(0, failed.Cancelling);
            Assert.Equal(1, cancelled.Cancelling);
            Assert.Equal(1, succeeded.Result);
            Assert.True(failed.IsFaulted);
        });

        static async Coroutine Fail()
        {
            await AsyncIO.Sleep(0);
            throw new InvalidOperationException("failed");
        }
    }

    [Fact]
    public void Cancel_AfterTheAwaitedFutureCompleted_DeliveredAtResumptionAndFutureKeepsItsResult()
    {
        Guarded.Run(async loop =>
        {
            Future<int> future = loop.CreateFuture<int>();
            AioTask task = AsyncIO.CreateTask(WaitFor(future));
            await AsyncIO.Sleep(0);

            // Same step: the task's wake-up is queued but has not run when the request arrives.
            future.SetResult(1);
            Assert.True(task.Cancel("late"));

            CancelledException error = await AwaitAssert.Cancelled(task);
            Assert.Equal("late", error.CancelMessage);
            Assert.True(task.IsCancelled);
            Assert.True(future.IsCompletedSuccessfully);
            Assert.Equal(1, future.Result);
        });
    }

    [Fact]
    public void Cancel_AfterTheAwaitedTaskFinished_DeliveredAtResumption()
    {
        Guarded.Run(async loop =>
        {
            Future<int> gate = loop.CreateFuture<int>();
            AioTask<int>? outer = null;
            bool accepted = false;
            AioTask<int> inner = AsyncIO.CreateTask(WaitFor(gate));

            // Registered before the outer task awaits, so it runs in the iteration where the outer task's
            // wake-up is already queued but has not run yet.
            inner.AddDoneCallback(_ => accepted = outer!.Cancel("late"));
            outer = AsyncIO.CreateTask(WaitForTask(inner));
            await AsyncIO.Sleep(0);
            gate.SetResult(3);

            Assert.Equal("late", (await AwaitAssert.Cancelled(outer)).CancelMessage);
            Assert.True(accepted);
            Assert.Equal(3, inner.Result);
        });

        static async Coroutine<int> WaitForTask(AioTask<int> inner) => await inner;
    }

    [Fact]
    public void Cancel_DuringBareYield_DeliveredWhenTheTaskResumes()
    {
        var log = new List<string>();
        Guarded.Run(async loop =>
        {
            AioTask task = AsyncIO.CreateTask(Body());
            await AsyncIO.Sleep(0);
            Assert.Equal(["yielding"], log);

            Assert.True(task.Cancel("at yield"));
            await AwaitAssert.Cancelled(task);
        });
        Assert.Equal(["yielding", "raised: at yield"], log);

        async Coroutine Body()
        {
            log.Add("yielding");
            try
            {
                await AsyncIO.Sleep(0);
                log.Add("not raised");
            }
            catch (CancelledException ex)
            {
                log.Add("raised: " + ex.CancelMessage);
                throw;
            }
        }
    }

    // ---- the .NET token -------------------------------------------------------------------------

    [Fact]
    public void CancellationToken_TaskInDotNetDelayWithIt_EndsCancelled()
    {
        Guarded.Run(async loop =>
        {
            AioTask task = AsyncIO.CreateTask(Body());
            await AsyncIO.Sleep(0);

            Assert.True(task.Cancel());
            await AwaitAssert.Cancelled(task);
            Assert.True(task.IsCancelled);
        });

        static async Coroutine Body() => await Task.Delay(10_000, AsyncIO.CancellationToken);
    }

    [Fact]
    public void CancellationToken_DelegateTaskInDotNetDelayWithIt_EndsCancelled()
    {
        Guarded.Run(async loop =>
        {
            AioTask task = AsyncIO.CreateTask(() => Task.Delay(10_000, AsyncIO.CancellationToken));
            await AsyncIO.Sleep(0);

            Assert.True(task.Cancel());
            await AwaitAssert.Cancelled(task);
            Assert.True(task.IsCancelled);
        });
    }

    [Fact]
    public void CancellationToken_OfSuspendedTask_CancelledAsSoonAsCancelIsCalled()
    {
        Guarded.Run(async loop =>
        {
            AioTask task = AsyncIO.CreateTask(SleepLong());
            CancellationToken token = task.CancellationToken;
            await AsyncIO.Sleep(0);
            Assert.False(token.IsCancellationRequested);

            task.Cancel();
            Assert.True(token.IsCancellationRequested);
            Assert.True(task.CancellationToken.IsCancellationRequested);
            await AwaitAssert.Cancelled(task);
        });
    }

    [Fact]
    public void CancellationToken_FirstReadAfterCancelRequest_IsAlreadyCancelled()
    {
        Guarded.Run(async loop =>
        {
            AioTask<bool> task = AsyncIO.CreateTask(Body());
            Assert.True(await task);
        });

        static async Coroutine<bool> Body()
        {
            AioTask self = AsyncIO.CurrentTask!;
            self.Cancel();
            bool cancelled = AsyncIO.CancellationToken.IsCancellationRequested;
            self.Uncancel();
            await AsyncIO.Sleep(0);
            return cancelled;
        }
    }

    [Fact]
    public void CancellationToken_AfterUncancelToZero_IsFreshAndCancelledByTheNextRequest()
    {
        Guarded.Run(async loop =>
        {
            Future<int> uncancelled = loop.CreateFuture<int>();
            AioTask<string> task = AsyncIO.CreateTask(Body(uncancelled));
            await AsyncIO.Sleep(0);

            task.Cancel("first");
            await uncancelled;

            task.Cancel("second");
            await AwaitAssert.Cancelled(task);
            Assert.True(task.IsCancelled);
        });

        static async Coroutine<string> Body(Future<int> uncancelled)
        {
            AioTask self = AsyncIO.CurrentTask!;
            CancellationToken first = AsyncIO.CancellationToken;
            try
            {
                await AsyncIO.Sleep(3600);
            }
            catch (CancelledException)
            {
            }

            Assert.True(first.IsCancellationRequested);
            Assert.Equal(0, self.Uncancel());

            CancellationToken second = AsyncIO.CancellationToken;
            Assert.False(second.IsCancellationRequested);
            Assert.NotEqual(first, second);
            Assert.Equal(second, self.CancellationToken);
            await Task.Delay(1, second);

            uncancelled.SetResult(0);
            await Task.Delay(10_000, second);
            return "not cancelled";
        }
    }

    [Fact]
    public void CancellationToken_InPlainCallback_IsNone()
    {
        Guarded.Run(async loop =>
        {
            CancellationToken? seen = null;
            loop.CallSoon(() => seen = AsyncIO.CancellationToken);
            await AsyncIO.Sleep(0);
            Assert.Equal(CancellationToken.None, seen);
        });
    }

    [Fact]
    public void Task_OperationCanceledFromUnrelatedTokenWithoutCancelRequest_TaskFails()
    {
        Guarded.Run(async loop =>
        {
            AioTask task = AsyncIO.CreateTask(Body());
            await AwaitAssert.Throws<TaskCanceledException>(task);
            Assert.True(task.IsFaulted);
            Assert.False(task.IsCancelled);
        });

        static async Coroutine Body()
        {
            using var timeout = new CancellationTokenSource();
            timeout.Cancel();
            await Task.Delay(10_000, timeout.Token);
        }
    }

    // ---- ordinary async helpers -----------------------------------------------------------------

    [Fact]
    public void Cancel_WhileAsyncHelperAwaitsDotNetTask_NextLoopAwaitInTheHelperRaises()
    {
        var log = new List<string>();
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Guarded.Run(async loop =>
        {
            AioTask task = AsyncIO.CreateTask(Body());
            await AsyncIO.Sleep(0);
            Assert.Equal(["helper waiting"], log);

            Assert.True(task.Cancel("in helper"));
            gate.SetResult();

            CancelledException error = await AwaitAssert.Cancelled(task);
            Assert.Equal("in helper", error.CancelMessage);
            Assert.True(task.IsCancelled);
        });
        Assert.Equal(["helper waiting", "helper resumed", "helper sleep raised"], log);

        async Coroutine Body() => await Helper();

        async Task Helper()
        {
            log.Add("helper waiting");
            await gate.Task;
            log.Add("helper resumed");
            try
            {
                await AsyncIO.Sleep(3600);
                log.Add("helper slept");
            }
            catch (CancelledException)
            {
                log.Add("helper sleep raised");
                throw;
            }
        }
    }

    [Fact]
    public void Cancel_WhileAsyncHelperSleepsAfterDotNetAwait_HelperSleepCancelled()
    {
        var log = new List<string>();
        Guarded.Run(async loop =>
        {
            Future<int> sleeping = loop.CreateFuture<int>();
            AioTask task = AsyncIO.CreateTask(Body(sleeping));
            await sleeping;

            task.Cancel("stop helper");
            Assert.Equal("stop helper", (await AwaitAssert.Cancelled(task)).CancelMessage);
            Assert.True(task.IsCancelled);
        });
        Assert.Equal(["helper finally"], log);

        async Coroutine Body(Future<int> sleeping) => await Helper(sleeping);

        async Task Helper(Future<int> sleeping)
        {
            try
            {
                await Task.Delay(1);
                sleeping.SetResult(0);
                await AsyncIO.Sleep(3600);
                log.Add("helper woke");
            }
            finally
            {
                log.Add("helper finally");
            }
        }
    }

    [Fact]
    public void Cancel_TaskWaitingOnTwoLoopSleepsThroughWhenAll_CancelsBothAndEndsCancelled()
    {
        var log = new List<string>();
        Guarded.Run(async loop =>
        {
            Future<int> sleeping = loop.CreateFuture<int>();
            AioTask task = AsyncIO.CreateTask(Body(sleeping));
            await sleeping;

            Assert.True(task.Cancel("both"));
            await AwaitAssert.Cancelled(task);
            Assert.True(task.IsCancelled);
        });
        log.Sort(StringComparer.Ordinal);
        Assert.Equal(["a cancelled", "b cancelled"], log);

        async Coroutine Body(Future<int> sleeping)
        {
            Task a = Helper("a");
            Task b = Helper("b");
            sleeping.SetResult(0);
            await Task.WhenAll(a, b);
        }

        async Task Helper(string name)
        {
            await Task.Yield();
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
    }

    [Fact]
    public void Cancel_TaskWhoseAsyncHelperAwaitsFuture_CancelsThatFuture()
    {
        Guarded.Run(async loop =>
        {
            Future<int> future = loop.CreateFuture<int>();
            Future<int> waiting = loop.CreateFuture<int>();
            AioTask task = AsyncIO.CreateTask(Body(future, waiting));
            await waiting;

            Assert.True(task.Cancel("helper future"));
            Assert.True(future.IsCancelled);
            Assert.Equal("helper future", (await AwaitAssert.Cancelled(task)).CancelMessage);
        });

        static async Coroutine Body(Future<int> future, Future<int> waiting) => await Helper(future, waiting);

        static async Task<int> Helper(Future<int> future, Future<int> waiting)
        {
            await Task.Delay(1);
            waiting.SetResult(0);
            return await future;
        }
    }

    [Fact]
    public void Cancel_TaskRaisesAnotherExceptionWhileHandlingIt_TaskFailsWithThatException()
    {
        Guarded.Run(async loop =>
        {
            AioTask task = AsyncIO.CreateTask(Body());
            await AsyncIO.Sleep(0);
            task.Cancel();

            InvalidOperationException error = await AwaitAssert.Throws<InvalidOperationException>(task);
            Assert.Equal("cleanup failed", error.Message);
            Assert.IsType<CancelledException>(error.InnerException);
            Assert.True(task.IsFaulted);
            Assert.False(task.IsCancelled);
        });

        static async Coroutine Body()
        {
            try
            {
                await AsyncIO.Sleep(3600);
            }
            catch (CancelledException ex)
            {
                throw new InvalidOperationException("cleanup failed", ex);
            }
        }
    }

    // ---- helpers --------------------------------------------------------------------------------

    private static async Coroutine Yield() => await AsyncIO.Sleep(0);

    private static async Coroutine SleepLong() => await AsyncIO.Sleep(3600);

    private static async Coroutine<int> Value(int value)
    {
        await AsyncIO.Sleep(0);
        return value;
    }

    private static async Coroutine<int> WaitFor(Future<int> future) => await future;

    private static async Coroutine AwaitTask(AioTask task) => await task;

    [Fact]
    public void Cancel_TwiceWhileSleeping_DeliversTheFirstMessage()
    {
        // asyncio: the second request finds the sleep already cancelled and is remembered; at the
        // resumption the CancelledError of the first request is the one thrown in.
        string? seen = null;
        Guarded.Run(async loop =>
        {
            AioTask task = AsyncIO.CreateTask(Sleeper());
            await AsyncIO.Sleep(0);
            Assert.True(task.Cancel("first"));
            Assert.True(task.Cancel("second"));
            Assert.Equal(2, task.Cancelling);
            await AwaitAssert.Cancelled(task);
        });
        Assert.Equal("first", seen);

        async Coroutine Sleeper()
        {
            try
            {
                await AsyncIO.Sleep(3600);
            }
            catch (CancelledException ex)
            {
                seen = ex.CancelMessage;
                throw;
            }
        }
    }

    [Fact]
    public void Cancel_WithMessageEndingThroughTheToken_KeepsTheMessage()
    {
        Guarded.Run(async loop =>
        {
            AioTask task = AsyncIO.CreateTask(async () => await Task.Delay(10_000, AsyncIO.CancellationToken));
            await AsyncIO.Sleep(0.01);
            task.Cancel("shutting down");
            CancelledException error = await AwaitAssert.Cancelled(task);
            Assert.True(task.IsCancelled);
            Assert.Equal("shutting down", error.CancelMessage);
        });
    }
}
