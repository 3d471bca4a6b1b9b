namespace Aio.Tests.Tasks;

public sealed class CoroutineTests
{
    // ---- lazy start -----------------------------------------------------------------------------

    [Fact]
    public void Call_WithoutAwait_RunsNothingUntilAwaited()
    {
        var log = new List<string>();
        Guarded.Run(async loop =>
        {
            Coroutine coroutine = Body();
            await AsyncIO.Sleep(0);
            await AsyncIO.Sleep(0);
            Assert.Empty(log);

            await coroutine;
            Assert.Equal(["body"], log);
        });

        async Coroutine Body()
        {
            log.Add("body");
            await AsyncIO.Sleep(0);
        }
    }

    [Fact]
    public void Call_CoroutineThatThrowsBeforeAnyAwait_ThrowsOnlyWhenAwaited()
    {
        Guarded.Run(async loop =>
        {
            Coroutine<int> coroutine = ThrowAtOnce();
            await AsyncIO.Sleep(0);

            InvalidOperationException error = await AwaitAssert.Throws<InvalidOperationException>(coroutine);
            Assert.Equal("at once", error.Message);
        });

        // Awaiting a finished coroutine does not suspend: the throw happens in the very first step.
        static async Coroutine<int> ThrowAtOnce()
        {
            await default(Coroutine);
            throw new InvalidOperationException("at once");
        }
    }

    // ---- inline execution -----------------------------------------------------------------------

    [Fact]
    public void Await_CalleeCompletesSynchronously_NoLoopIterationInBetween()
    {
        var log = new List<string>();
        Guarded.Run(async loop =>
        {
            loop.CallSoon(() => log.Add("callback"));
            int value = await Synchronous();
            log.Add("caller resumed with " + value);
            await AsyncIO.Sleep(0);
        });
        Assert.Equal(["callee", "caller resumed with 5", "callback"], log);

        async Coroutine<int> Synchronous()
        {
            log.Add("callee");
            await default(Coroutine);
            return 5;
        }
    }

    [Fact]
    public void Await_CalleeSuspends_CalleeRunsInlineUpToItsFirstSuspension()
    {
        var log = new List<string>();
        Guarded.Run(async loop =>
        {
            loop.CallSoon(() => log.Add("callback"));
            log.Add("caller");
            await Callee();
            log.Add("caller resumed");
        });
        Assert.Equal(["caller", "callee start", "callback", "callee end", "caller resumed"], log);

        async Coroutine Callee()
        {
            log.Add("callee start");
            await AsyncIO.Sleep(0);
            log.Add("callee end");
        }
    }

    [Fact]
    public void Await_CalleeFinishesAfterSuspending_CallerResumesInTheSameStep()
    {
        var log = new List<string>();
        Guarded.Run(async loop =>
        {
            Future<int> future = loop.CreateFuture<int>();
            loop.CallSoon(() => future.SetResult(1));
            await Callee(loop, future);
            log.Add("caller resumed");
            await AsyncIO.Sleep(0);
        });

        // Resuming the caller through the ready queue would put it behind the callback the callee scheduled.
        Assert.Equal(["callee resumed", "caller resumed", "next iteration"], log);

        async Coroutine Callee(EventLoop loop, Future<int> future)
        {
            await future;
            log.Add("callee resumed");
            loop.CallSoon(() => log.Add("next iteration"));
        }
    }

    [Fact]
    public void Await_InlineCoroutine_RunsOnTheAwaitingTask()
    {
        Guarded.Run(async loop =>
        {
            AioTask? before = null;
            AioTask? after = null;
            await Callee();
            Assert.NotNull(AsyncIO.CurrentTask);
            Assert.Same(AsyncIO.CurrentTask, before);
            Assert.Same(AsyncIO.CurrentTask, after);
            Assert.Same(AsyncIO.CurrentTask, Assert.Single(AsyncIO.AllTasks()));

            async Coroutine Callee()
            {
                before = AsyncIO.CurrentTask;
                await AsyncIO.Sleep(0.001);
                after = AsyncIO.CurrentTask;
            }
        });
    }

    // ---- exceptions -----------------------------------------------------------------------------

    [Fact]
    public void Await_CalleeThrowsAfterSuspending_SameExceptionWithCalleeInStackTrace()
    {
        Guarded.Run(async loop =>
        {
            InvalidOperationException error = await AwaitAssert.Throws<InvalidOperationException>(ThrowAfterSuspending());
            Assert.Equal("late failure", error.Message);
            Assert.Contains(nameof(ThrowAfterSuspending), error.StackTrace, StringComparison.Ordinal);
        });
    }

    [Fact]
    public void Await_ExceptionThroughSeveralLevels_CaughtByTheOutermostWithTheOriginalInstance()
    {
        Guarded.Run(async loop =>
        {
            InvalidOperationException? thrown = null;
            try
            {
                await Middle();
            }
            catch (InvalidOperationException ex)
            {
                thrown = ex;
            }

            Assert.NotNull(thrown);
            Assert.Contains(nameof(ThrowAfterSuspending), thrown.StackTrace, StringComparison.Ordinal);
            Assert.Contains(nameof(Middle), thrown.StackTrace, StringComparison.Ordinal);
        });

        static async Coroutine<int> Middle() => await ThrowAfterSuspending() + 1;
    }

    // ---- run once -------------------------------------------------------------------------------

    [Fact]
    public void Await_SecondTime_ThrowsInvalidOperation()
    {
        int runs = 0;
        Guarded.Run(async loop =>
        {
            Coroutine coroutine = Body();
            await coroutine;
            await AwaitAssert.Throws<InvalidOperationException>(coroutine);
        });
        Assert.Equal(1, runs);

        async Coroutine Body()
        {
            runs++;
            await AsyncIO.Sleep(0);
        }
    }

    [Fact]
    public void Await_SecondTimeOfCoroutineWithResult_ThrowsInvalidOperation()
    {
        Guarded.Run(async loop =>
        {
            Coroutine<int> coroutine = Value();
            Assert.Equal(3, await coroutine);
            await AwaitAssert.Throws<InvalidOperationException>(coroutine);
        });

        static async Coroutine<int> Value()
        {
            await AsyncIO.Sleep(0);
            return 3;
        }
    }

    [Fact]
    public void CreateTask_CoroutineAlreadyAwaited_ThrowsInvalidOperation()
    {
        Guarded.Run(async loop =>
        {
            Coroutine coroutine = Yield();
            await coroutine;
            Assert.Throws<InvalidOperationException>(() => AsyncIO.CreateTask(coroutine));
            Assert.Same(AsyncIO.CurrentTask, Assert.Single(AsyncIO.AllTasks()));
        });
    }

    [Fact]
    public void Await_CoroutineAlreadyRunningAsTask_ThrowsInvalidOperationAndTaskIsUnaffected()
    {
        Guarded.Run(async loop =>
        {
            Coroutine coroutine = Yield();
            AioTask task = AsyncIO.CreateTask(coroutine);
            await AwaitAssert.Throws<InvalidOperationException>(coroutine);
            Assert.Throws<InvalidOperationException>(() => AsyncIO.CreateTask(coroutine));

            await task;
            Assert.True(task.IsCompletedSuccessfully);
        });
    }

    // ---- default --------------------------------------------------------------------------------

    [Fact]
    public void Await_DefaultCoroutines_CompleteAtOnceWithDefaultValues()
    {
        Guarded.Run(async loop =>
        {
            bool callbackRan = false;
            loop.CallSoon(() => callbackRan = true);

            await default(Coroutine);
            int number = await default(Coroutine<int>);
            string? text = await default(Coroutine<string?>);

            Assert.Equal(0, number);
            Assert.Null(text);
            Assert.False(callbackRan);
            await AsyncIO.Sleep(0);
        });
    }

    [Fact]
    public void Await_DefaultCoroutineTwice_DoesNotThrow()
    {
        Guarded.Run(async loop =>
        {
            Coroutine finished = default;
            await finished;
            await finished;
            await AsyncIO.Sleep(0);
        });
    }

    [Fact]
    public void CreateTask_DefaultCoroutines_TasksSucceedWithDefaultValues()
    {
        Guarded.Run(async loop =>
        {
            AioTask plain = AsyncIO.CreateTask(default(Coroutine));
            AioTask<int> valued = AsyncIO.CreateTask(default(Coroutine<int>));
            await plain;
            Assert.Equal(0, await valued);
            Assert.True(plain.IsCompletedSuccessfully);
            Assert.True(valued.IsCompletedSuccessfully);
        });
    }

    // ---- deep nesting ---------------------------------------------------------------------------

    [Fact]
    public void Await_TenThousandNestedLevelsFinishingAtOnce_UnwindWithoutOverflowingTheStack()
    {
        const int depth = 10_000;
        int result = Guarded.Run(async loop => await Nest(depth));
        Assert.Equal(depth, result);
    }

    [Fact]
    public void Await_TenThousandNestedLevelsWithoutResult_UnwindWithoutOverflowingTheStack()
    {
        const int depth = 10_000;
        int reached = 0;
        Guarded.Run(async loop =>
        {
            await NestPlain(depth);
            Assert.Equal(depth + 1, reached);
        });

        async Coroutine NestPlain(int level)
        {
            await AsyncIO.Sleep(0);
            if (level > 0)
            {
                await NestPlain(level - 1);
            }

            reached++;
        }
    }

    [Fact]
    public void Await_ThousandNestedLevelsThrowingAtTheLeaf_ExceptionReachesTheTop()
    {
        // Fewer levels than the success case: every level adds its frames to the stack trace, so the
        // cost grows with the square of the depth, as with ordinary async methods.
        var error = new InvalidOperationException("leaf");
        Guarded.Run(async loop => Assert.Same(error, await AwaitAssert.Throws<InvalidOperationException>(Throwing(1_000))));

        async Coroutine<int> Throwing(int level)
        {
            await AsyncIO.Sleep(0);
            if (level == 0)
            {
                throw error;
            }

            return await Throwing(level - 1) + 1;
        }
    }

    /// <summary>Each level yields before going deeper, so the descent stays shallow and every level is
    /// suspended when the leaf returns: the whole chain then completes within one step.</summary>
    private static async Coroutine<int> Nest(int level)
    {
        await AsyncIO.Sleep(0);
        if (level == 0)
        {
            return 0;
        }

        return await Nest(level - 1) + 1;
    }

    // ---- mixing with ordinary async methods ----------------------------------------------------

    [Fact]
    public void Await_AsyncTaskHelperFromCoroutine_HelperResumesOnLoopThreadAsTheSameTask()
    {
        Guarded.Run(async loop =>
        {
            int loopThread = Environment.CurrentManagedThreadId;
            AioTask self = AsyncIO.CurrentTask!;

            (int Value, int Thread, AioTask? Task) seen = await Helper();

            Assert.Equal(11, seen.Value);
            Assert.Equal(loopThread, seen.Thread);
            Assert.Same(self, seen.Task);
            Assert.Equal(loopThread, Environment.CurrentManagedThreadId);
        });

        static async Task<(int, int, AioTask?)> Helper()
        {
            await Task.Delay(1);
            int thread = Environment.CurrentManagedThreadId;
            AioTask? task = AsyncIO.CurrentTask;
            int value = await AsyncIO.Sleep(0.001, 10) + 1;
            return (value, thread, task);
        }
    }

    [Fact]
    public void Await_CoroutineFromAsyncTaskHelper_HelperGetsTheResult()
    {
        int result = Guarded.Run(async loop => await Helper() * 2);
        Assert.Equal(42, result);

        static async Task<int> Helper()
        {
            await Task.Yield();
            return await Inner() + 1;
        }

        static async Coroutine<int> Inner()
        {
            await AsyncIO.Sleep(0.001);
            await Task.Delay(1);
            return 20;
        }
    }

    [Fact]
    public void Await_ExceptionThroughCoroutineAndAsyncTaskLayers_SameInstanceArrives()
    {
        var error = new InvalidOperationException("deep");
        Guarded.Run(async loop =>
        {
            InvalidOperationException? caught = null;
            try
            {
                await OuterHelper();
            }
            catch (InvalidOperationException ex)
            {
                caught = ex;
            }

            Assert.Same(error, caught);
        });

        async Task OuterHelper()
        {
            await Task.Delay(1);
            await Middle();
        }

        async Coroutine Middle()
        {
            await AsyncIO.Sleep(0);
            await InnerHelper();
        }

        async Task InnerHelper()
        {
            await Task.Yield();
            throw error;
        }
    }

    [Fact]
    public async Task Await_CoroutineWhereNoLoopRuns_BehavesLikeAnOrdinaryAsyncMethod()
    {
        int value = await Task.Run(async () => await NoLoop()).WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal(8, value);

        static async Coroutine<int> NoLoop()
        {
            Assert.Null(EventLoop.Current);
            await Task.Delay(1);
            return 8;
        }
    }

    [Fact]
    public void Await_CoroutineWhereNoLoopRunsFinishesBeforeTheAwaiterRegisters_StillResumesOnce()
    {
        // Off the loop, a coroutine can finish on another thread between the awaiting method's
        // IsCompleted check and its OnCompleted call. Reproduce that interleaving by hand: the
        // continuation registered after completion must still run, exactly once.
        var gate = new TaskCompletionSource<int>();
        Coroutine<int> coroutine = FinishesWhenReleased(gate.Task);
        var awaiter = coroutine.GetAwaiter();
        Assert.False(awaiter.IsCompleted);

        gate.SetResult(5);
        int resumed = 0;
        using var done = new ManualResetEventSlim();
        awaiter.UnsafeOnCompleted(() =>
        {
            Interlocked.Increment(ref resumed);
            done.Set();
        });

        Assert.True(done.Wait(TimeSpan.FromSeconds(20)), "The late continuation never ran.");
#pragma warning disable xUnit1031 // The coroutine has finished: GetResult does not block here.
        Assert.Equal(5, awaiter.GetResult());
#pragma warning restore xUnit1031
        Thread.Sleep(20);
        Assert.Equal(1, Volatile.Read(ref resumed));

        static async Coroutine<int> FinishesWhenReleased(Task<int> gate) => await gate;
    }

    // ---- helpers --------------------------------------------------------------------------------

    private static async Coroutine<int> ThrowAfterSuspending()
    {
        await AsyncIO.Sleep(0);
        throw new InvalidOperationException("late failure");
    }

    private static async Coroutine Yield() => await AsyncIO.Sleep(0);
}
