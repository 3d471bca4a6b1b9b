using System.Globalization;
using System.Runtime.CompilerServices;

namespace Aio.Tests.Tasks;

public sealed class TaskTests
{
    // ---- scheduling -----------------------------------------------------------------------------

    [Fact]
    public void CreateTask_Coroutine_ReturnsPendingTaskThatRunsOnALaterIteration()
    {
        Guarded.Run(async loop =>
        {
            bool ran = false;
            AioTask task = AsyncIO.CreateTask(Body());

            Assert.False(ran);
            Assert.False(task.IsDone);

            await AsyncIO.Sleep(0);
            Assert.True(ran);
            Assert.True(task.IsCompletedSuccessfully);

            async Coroutine Body()
            {
                ran = true;
                await default(Coroutine);
            }
        });
    }

    [Fact]
    public void CreateTask_SeveralTasks_FirstStepsRunInCreationOrder()
    {
        var order = new List<int>();
        Guarded.Run(async loop =>
        {
            var tasks = new List<AioTask>();
            for (int i = 0; i < 5; i++)
            {
                tasks.Add(AsyncIO.CreateTask(Record(i)));
            }

            foreach (AioTask task in tasks)
            {
                await task;
            }
        });
        Assert.Equal([0, 1, 2, 3, 4], order);

        async Coroutine Record(int n)
        {
            order.Add(n);
            await AsyncIO.Sleep(0);
        }
    }

    // ---- identity -------------------------------------------------------------------------------

    [Fact]
    public void Name_Default_TaskNumberedInCreationOrder()
    {
        Guarded.Run(async loop =>
        {
            AioTask first = AsyncIO.CreateTask(Yield());
            AioTask second = AsyncIO.CreateTask(Yield());

            Assert.Matches("^Task-[0-9]+$", first.Name);
            Assert.Equal(Number(first) + 1, Number(second));
            await first;
            await second;
        });

        static int Number(AioTask task) => int.Parse(task.Name["Task-".Length..], CultureInfo.InvariantCulture);
    }

    [Fact]
    public void Name_GivenAtCreationOrSetLater_IsUsed()
    {
        Guarded.Run(async loop =>
        {
            AioTask task = AsyncIO.CreateTask(Yield(), "worker");
            Assert.Equal("worker", task.Name);

            task.Name = "renamed";
            Assert.Equal("renamed", task.Name);
            Assert.Throws<ArgumentNullException>(() => task.Name = null!);
            Assert.Equal("renamed", task.Name);
            await task;
        });
    }

    [Fact]
    public void CreatedAt_TaskFromCreateTask_IsFileAndLineOfTheCall()
    {
        Guarded.Run(async loop =>
        {
            int line = LineHere() + 1;
            AioTask task = AsyncIO.CreateTask(Yield());

            Assert.Equal($"{nameof(TaskTests)}.cs:{line}", task.CreatedAt);
            await task;
        });
    }

    [Fact]
    public void CreatedAt_TaskFromLoopCreateTask_IsFileAndLineOfTheCall()
    {
        Guarded.Run(async loop =>
        {
            int line = LineHere() + 1;
            AioTask<int> task = loop.CreateTask(Value(1));

            Assert.Equal($"{nameof(TaskTests)}.cs:{line}", task.CreatedAt);
            await task;
        });
    }

    [Fact]
    public void ToString_ThroughTheLifecycle_ShowsNameStateAndCreationSite()
    {
        Guarded.Run(async loop =>
        {
            int line = LineHere() + 1;
            AioTask<int> task = AsyncIO.CreateTask(Value(1), "shown");
            string site = $"{nameof(TaskTests)}.cs:{line}";

            Assert.Equal($"<Task name='shown' pending created at {site}>", task.ToString());
            await task;
            Assert.Equal($"<Task name='shown' finished created at {site}>", task.ToString());

            AioTask failed = AsyncIO.CreateTask(Fail("x"), "broken");
            await AwaitAssert.Throws<InvalidOperationException>(failed);
            Assert.Contains("name='broken'", failed.ToString(), StringComparison.Ordinal);
            Assert.Contains("failed: InvalidOperationException", failed.ToString(), StringComparison.Ordinal);

            AioTask cancelled = AsyncIO.CreateTask(Yield(), "stopped");
            cancelled.Cancel();
            await AwaitAssert.Cancelled(cancelled);
            Assert.Contains("name='stopped' cancelled", cancelled.ToString(), StringComparison.Ordinal);
        });
    }

    // ---- current task ---------------------------------------------------------------------------

    [Fact]
    public void CurrentTask_InsideTask_IsThatTaskAcrossAwaits()
    {
        Guarded.Run(async loop =>
        {
            var seen = new List<AioTask?>();
            AioTask task = AsyncIO.CreateTask(Body());
            await task;
            Assert.Equal(2, seen.Count);
            Assert.All(seen, s => Assert.Same(task, s));

            async Coroutine Body()
            {
                seen.Add(AsyncIO.CurrentTask);
                await AsyncIO.Sleep(0.001);
                seen.Add(AsyncIO.CurrentTask);
            }
        });
    }

    [Fact]
    public void CurrentTask_InsideAsyncHelperAfterDotNetAwait_IsTheCallingTask()
    {
        Guarded.Run(async loop =>
        {
            AioTask<AioTask?> task = AsyncIO.CreateTask(Body());
            Assert.Same(task, await task);
        });

        static async Coroutine<AioTask?> Body() => await Helper();

        static async Task<AioTask?> Helper()
        {
            await Task.Delay(1);
            return AsyncIO.CurrentTask;
        }
    }

    [Fact]
    public void CurrentTask_InPlainAndDoneCallbacks_IsNull()
    {
        Guarded.Run(async loop =>
        {
            Assert.NotNull(AsyncIO.CurrentTask);
            var seen = new List<AioTask?>();
            bool ran = false;
            loop.CallSoon(() =>
            {
                ran = true;
                seen.Add(AsyncIO.CurrentTask);
            });
            Future<int> future = loop.CreateFuture<int>();
            future.AddDoneCallback(_ => seen.Add(AsyncIO.CurrentTask));
            future.SetResult(1);
            await AsyncIO.Sleep(0);

            Assert.True(ran);
            Assert.Equal([null, null], seen);
        });
    }

    [Fact]
    public void CurrentTask_OffTheLoop_IsNull()
    {
        Assert.Null(AsyncIO.CurrentTask);
        Assert.Equal(CancellationToken.None, AsyncIO.CancellationToken);
    }

    // ---- all tasks ------------------------------------------------------------------------------

    [Fact]
    public void AllTasks_WhileChildrenPending_ListsEveryUnfinishedTaskOnly()
    {
        Guarded.Run(async loop =>
        {
            AioTask self = AsyncIO.CurrentTask!;
            Future<int> gate = loop.CreateFuture<int>();
            AioTask quick = AsyncIO.CreateTask(Yield());
            AioTask a = AsyncIO.CreateTask(WaitFor(gate));
            AioTask b = AsyncIO.CreateTask(WaitFor(gate));

            IReadOnlyList<AioTask> notStarted = AsyncIO.AllTasks();
            Assert.Equal(4, notStarted.Count);

            await quick;
            IReadOnlyList<AioTask> waiting = AsyncIO.AllTasks();
            Assert.Equal(3, waiting.Count);
            Assert.Contains(self, waiting);
            Assert.Contains(a, waiting);
            Assert.Contains(b, waiting);
            Assert.DoesNotContain(quick, waiting);

            gate.SetResult(0);
            await a;
            await b;
            Assert.Same(self, Assert.Single(AsyncIO.AllTasks()));
        });

        static async Coroutine WaitFor(Future<int> gate) => await gate;
    }

    // ---- results --------------------------------------------------------------------------------

    [Fact]
    public void Result_SucceededTask_ReturnsValueAndExceptionIsNull()
    {
        Guarded.Run(async loop =>
        {
            AioTask<int> task = AsyncIO.CreateTask(Value(6));
            await AsyncIO.Sleep(0);
            await AsyncIO.Sleep(0);

            Assert.True(task.IsCompletedSuccessfully);
            Assert.Equal(6, task.Result);
            Assert.Null(task.Exception);
        });
    }

    [Fact]
    public void Result_PendingTask_ResultAndExceptionThrowInvalidOperation()
    {
        Guarded.Run(async loop =>
        {
            AioTask<int> task = AsyncIO.CreateTask(Value(1));
            Assert.Throws<InvalidOperationException>(() => task.Result);
            Assert.Throws<InvalidOperationException>(() => task.Exception);
            await task;
        });
    }

    [Fact]
    public void Result_FailedTask_ResultRethrowsAndExceptionReturnsTheSameInstance()
    {
        Guarded.Run(async loop =>
        {
            var error = new InvalidOperationException("boom");
            AioTask<int> task = AsyncIO.CreateTask(Throw(error));
            await AsyncIO.Sleep(0);
            await AsyncIO.Sleep(0);

            Assert.True(task.IsFaulted);
            Assert.Same(error, task.Exception);
            Assert.Same(error, Assert.Throws<InvalidOperationException>(() => task.Result));
        });

        static async Coroutine<int> Throw(Exception error)
        {
            await AsyncIO.Sleep(0);
            throw error;
        }
    }

    [Fact]
    public void Result_CancelledTask_ResultAndExceptionThrowCancelled()
    {
        Guarded.Run(async loop =>
        {
            AioTask<int> task = AsyncIO.CreateTask(Value(1));
            task.Cancel("no");
            await AsyncIO.Sleep(0);

            Assert.True(task.IsCancelled);
            Assert.Equal("no", Assert.Throws<CancelledException>(() => task.Result).CancelMessage);
            Assert.Equal("no", Assert.Throws<CancelledException>(() => task.Exception).CancelMessage);
        });
    }

    // ---- tasks awaiting tasks -------------------------------------------------------------------

    [Fact]
    public void Await_OtherTask_GetsItsResult()
    {
        int result = Guarded.Run(async loop =>
        {
            AioTask<int> inner = AsyncIO.CreateTask(Value(20));
            AioTask<int> outer = AsyncIO.CreateTask(Add(inner, 1));
            return await outer;
        });
        Assert.Equal(21, result);

        static async Coroutine<int> Add(AioTask<int> inner, int n) => await inner + n;
    }

    [Fact]
    public void Await_AlreadyFinishedTask_GetsItsResultAgain()
    {
        Guarded.Run(async loop =>
        {
            AioTask<int> task = AsyncIO.CreateTask(Value(4));
            Assert.Equal(4, await task);
            Assert.Equal(4, await task);
        });
    }

    [Fact]
    public void Await_FailingTask_ThrowsTheSameExceptionAndTheAwaiterIsNotCancelled()
    {
        Guarded.Run(async loop =>
        {
            AioTask failing = AsyncIO.CreateTask(Fail("inner failure"));
            AioTask<string> observer = AsyncIO.CreateTask(Observe(failing));

            Assert.Equal("caught inner failure", await observer);
            Assert.True(failing.IsFaulted);
        });

        static async Coroutine<string> Observe(AioTask failing)
        {
            try
            {
                await failing;
                return "no exception";
            }
            catch (InvalidOperationException ex)
            {
                Assert.Same(failing.Exception, ex);
                return "caught " + ex.Message;
            }
        }
    }

    [Fact]
    public void Await_TaskCancelledByItsOwner_ThrowsCancelledAndUncaughtItCancelsTheAwaiter()
    {
        Guarded.Run(async loop =>
        {
            AioTask inner = AsyncIO.CreateTask(SleepLong());
            AioTask outer = AsyncIO.CreateTask(Await(inner));
            await AsyncIO.Sleep(0);

            inner.Cancel("inner only");
            CancelledException error = await AwaitAssert.Cancelled(outer);

            Assert.Equal("inner only", error.CancelMessage);
            Assert.True(inner.IsCancelled);
            Assert.True(outer.IsCancelled);
            Assert.Equal(0, outer.Cancelling);
        });

        static async Coroutine Await(AioTask inner) => await inner;
    }

    // ---- delegate tasks -------------------------------------------------------------------------

    [Fact]
    public void CreateTask_AsyncDelegate_CalledAtFirstStepAndRunsAsTheTask()
    {
        Guarded.Run(async loop =>
        {
            int loopThread = Environment.CurrentManagedThreadId;
            var seen = new List<AioTask?>();
            int threadAfterDelay = 0;
            bool called = false;
            AioTask task = AsyncIO.CreateTask(async () =>
            {
                called = true;
                seen.Add(AsyncIO.CurrentTask);
                await Task.Delay(1);
                threadAfterDelay = Environment.CurrentManagedThreadId;
                seen.Add(AsyncIO.CurrentTask);
                await AsyncIO.Sleep(0.001);
                seen.Add(AsyncIO.CurrentTask);
            });

            Assert.False(called);
            await task;

            Assert.True(task.IsCompletedSuccessfully);
            Assert.Equal(3, seen.Count);
            Assert.All(seen, s => Assert.Same(task, s));
            Assert.Equal(loopThread, threadAfterDelay);
        });
    }

    [Fact]
    public void CreateTask_AsyncDelegateWithResult_TaskReturnsTheValue()
    {
        string result = Guarded.Run(async loop =>
        {
            AioTask<string> task = AsyncIO.CreateTask(async () =>
            {
                await Task.Yield();
                await AsyncIO.Sleep(0);
                return "from delegate";
            });
            return await task;
        });
        Assert.Equal("from delegate", result);
    }

    [Fact]
    public void CreateTask_DelegateThrowingSynchronously_TaskFailsWithTheException()
    {
        var error = new InvalidOperationException("sync");
        Guarded.Run(async loop =>
        {
            AioTask task = AsyncIO.CreateTask((Func<Task>)(() => throw error));
            Assert.Same(error, await AwaitAssert.Throws<InvalidOperationException>(task));
            Assert.True(task.IsFaulted);
        });
    }

    [Fact]
    public void CreateTask_DelegateReturningNull_TaskFailsWithInvalidOperation()
    {
        Guarded.Run(async loop =>
        {
            AioTask task = AsyncIO.CreateTask(() => null!);
            await AwaitAssert.Throws<InvalidOperationException>(task);
        });
    }

    [Fact]
    public void CreateTask_AsyncDelegateThrowingAfterAwait_TaskFailsWithTheSameException()
    {
        var error = new InvalidOperationException("async");
        Guarded.Run(async loop =>
        {
            AioTask<int> task = AsyncIO.CreateTask<int>(async () =>
            {
                await Task.Delay(1);
                throw error;
            });
            Assert.Same(error, await AwaitAssert.Throws<InvalidOperationException>(task));
        });
    }

    [Fact]
    public void Cancel_DelegateTaskBeforeFirstStep_DelegateNeverCalled()
    {
        bool called = false;
        Guarded.Run(async loop =>
        {
            AioTask task = AsyncIO.CreateTask(async () =>
            {
                called = true;
                await Task.Yield();
            });
            task.Cancel();
            await AwaitAssert.Cancelled(task);
            Assert.True(task.IsCancelled);
        });
        Assert.False(called);
    }

    [Fact]
    public void Cancel_DelegateTaskInLoopSleep_TaskCancelledWithMessageAndFinallyRuns()
    {
        var log = new List<string>();
        Guarded.Run(async loop =>
        {
            Future<int> sleeping = loop.CreateFuture<int>();
            AioTask task = AsyncIO.CreateTask(async () =>
            {
                try
                {
                    await Task.Yield();
                    sleeping.SetResult(0);
                    await AsyncIO.Sleep(3600);
                    log.Add("woke");
                }
                finally
                {
                    log.Add("finally");
                }
            });
            await sleeping;

            task.Cancel("stop delegate");
            CancelledException error = await AwaitAssert.Cancelled(task);
            Assert.Equal("stop delegate", error.CancelMessage);
            Assert.True(task.IsCancelled);
        });
        Assert.Equal(["finally"], log);
    }

    // ---- misuse and callbacks --------------------------------------------------------------------

    [Fact]
    public void CreateTask_NoLoopRunningOnThisThread_ThrowsInvalidOperation()
    {
        bool ran = false;
        Assert.Throws<InvalidOperationException>(() => AsyncIO.CreateTask(Body()));
        Assert.Throws<InvalidOperationException>(() => AsyncIO.CreateTask(() => Task.CompletedTask));
        Assert.False(ran);

        async Coroutine Body()
        {
            ran = true;
            await default(Coroutine);
        }
    }

    [Fact]
    public void AddDoneCallback_OnTask_RunsAfterTheTaskFinishedWithTheTask()
    {
        Guarded.Run(async loop =>
        {
            AioTask<int> task = AsyncIO.CreateTask(Value(2));
            Future? seen = null;
            bool wasDone = false;
            task.AddDoneCallback(f =>
            {
                seen = f;
                wasDone = f.IsDone;
            });
            await task;
            await AsyncIO.Sleep(0);

            Assert.Same(task, seen);
            Assert.True(wasDone);
        });
    }

    // ---- AsTask on tasks ------------------------------------------------------------------------

    [Fact]
    public void AsTask_TaskObservedFromAnotherThread_CompletesWithTheResult()
    {
        Guarded.Run(async loop =>
        {
            AioTask<int> task = AsyncIO.CreateTask(Delayed(5));
            int seen = await Task.Run(async () => await task.AsTask().ConfigureAwait(false));
            Assert.Equal(5, seen);
        });

        static async Coroutine<int> Delayed(int value)
        {
            await AsyncIO.Sleep(0.005);
            return value;
        }
    }

    // ---- helpers --------------------------------------------------------------------------------

    private static int LineHere([CallerLineNumber] int line = 0) => line;

    private static async Coroutine Yield() => await AsyncIO.Sleep(0);

    private static async Coroutine SleepLong() => await AsyncIO.Sleep(3600);

    private static async Coroutine<int> Value(int value)
    {
        await AsyncIO.Sleep(0);
        return value;
    }

    private static async Coroutine Fail(string message)
    {
        await AsyncIO.Sleep(0);
        throw new InvalidOperationException(message);
    }
}
