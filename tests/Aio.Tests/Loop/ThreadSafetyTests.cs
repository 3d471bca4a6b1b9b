using System.Runtime.InteropServices;
using Aio.Tests.Support;

namespace Aio.Tests.Loop;

public sealed class ThreadSafetyTests
{
    /// <summary>Runs <paramref name="action"/> on a new thread and waits for it: while it runs, the loop
    /// thread is blocked inside the caller, so the loop is running but cannot make progress.</summary>
    private static Exception? OnOtherThread(Action action)
    {
        Exception? error = null;
        var thread = new Thread(() => error = Record.Exception(action)) { IsBackground = true };
        thread.Start();
        Assert.True(thread.Join(TimeSpan.FromSeconds(10)), "the other thread hung");
        return error;
    }

    [Fact]
    public void CallSoonThreadsafe_EightThreadsAtOnce_EveryCallbackRunsOnceOnTheLoopThreadInOrder()
    {
        const int threads = 8;
        const int perThread = 10_000;
        var runs = new int[threads * perThread];
        var lastSeen = new int[threads];
        int total = 0;
        int offLoopThread = 0;
        int outOfOrder = 0;
        LoopTest.WithinSeconds(30, () => LoopTest.Run(async loop =>
        {
            int loopThread = Environment.CurrentManagedThreadId;
            Future<bool> allRan = loop.CreateFuture<bool>();
            Array.Fill(lastSeen, -1);
            using var start = new Barrier(threads);
            var producers = new Thread[threads];
            for (int t = 0; t < threads; t++)
            {
                int producer = t;
                producers[t] = new Thread(() =>
                {
                    start.SignalAndWait();
                    for (int i = 0; i < perThread; i++)
                    {
                        int n = i;
                        loop.CallSoonThreadsafe(() =>
                        {
                            if (Environment.CurrentManagedThreadId != loopThread)
                            {
                                offLoopThread++;
                            }

                            if (lastSeen[producer] != n - 1)
                            {
                                outOfOrder++;
                            }

                            lastSeen[producer] = n;
                            runs[(producer * perThread) + n]++;
                            if (++total == threads * perThread)
                            {
                                allRan.SetResult(true);
                            }
                        });
                    }
                })
                { IsBackground = true };
                producers[t].Start();
            }

            await allRan;
            foreach (Thread producer in producers)
            {
                producer.Join();
            }

            // Nothing may run twice after the count was reached.
            await AsyncIO.Sleep(0);
        }));
        Assert.Equal(threads * perThread, total);
        Assert.All(runs, count => Assert.Equal(1, count));
        Assert.Equal(0, offLoopThread);
        Assert.Equal(0, outOfOrder);
    }

    [Fact]
    public void CallSoonThreadsafe_WhileTheLoopWaitsForALongTimer_WakesTheLoop()
    {
        bool ran = false;
        LoopTest.WithinSeconds(10, () => LoopTest.Run(async loop =>
        {
            // The only timer is an hour away, so the loop blocks in its poll for an hour unless woken.
            TimerHandle far = loop.CallLater(3600, () => { });
            Future<bool> done = loop.CreateFuture<bool>();
            var producer = new Thread(() =>
            {
                Thread.Sleep(20);
                loop.CallSoonThreadsafe(() =>
                {
                    ran = true;
                    done.SetResult(true);
                });
            })
            { IsBackground = true };
            producer.Start();
            await done;
            far.Cancel();
            producer.Join();
        }));
        Assert.True(ran);
    }

    [Fact]
    public void CallSoonThreadsafe_WhileTheLoopWaitsWithNothingScheduled_WakesTheLoop()
    {
        bool ran = false;
        LoopTest.WithinSeconds(10, () => LoopTest.Run(async loop =>
        {
            Future<bool> done = loop.CreateFuture<bool>();
            var producer = new Thread(() =>
            {
                Thread.Sleep(20);
                loop.CallSoonThreadsafe(() =>
                {
                    ran = true;
                    done.SetResult(true);
                });
            })
            { IsBackground = true };
            producer.Start();
            await done;
            producer.Join();
        }));
        Assert.True(ran);
    }

    [Fact]
    public void CallSoonThreadsafe_StopFromAnotherThread_EndsRunForever()
    {
        LoopTest.WithinSeconds(10, () =>
        {
            using var loop = new EventLoop();
            var stopper = new Thread(() =>
            {
                Thread.Sleep(20);
                loop.CallSoonThreadsafe(loop.Stop);
            })
            { IsBackground = true };
            stopper.Start();
            loop.RunForever();
            stopper.Join();
            Assert.False(loop.IsRunning);
        });
    }

    [Fact]
    public void CallSoonThreadsafe_BeforeTheLoopRuns_RunsOnceTheLoopStarts()
    {
        LoopTest.WithinSeconds(10, () =>
        {
            using var loop = new EventLoop();
            int loopThread = Environment.CurrentManagedThreadId;
            int ranOn = -1;
            Assert.Null(OnOtherThread(() => loop.CallSoonThreadsafe(() =>
            {
                ranOn = Environment.CurrentManagedThreadId;
                loop.Stop();
            })));
            loop.RunForever();
            Assert.Equal(loopThread, ranOn);
        });
    }

    [Fact]
    public void CallSoonThreadsafe_HandleCancelledFromAnotherThread_CallbackNeverRuns()
    {
        bool ran = false;
        Handle handle = default;
        LoopTest.Run(async loop =>
        {
            Assert.Null(OnOtherThread(() =>
            {
                handle = loop.CallSoonThreadsafe(() => ran = true);
                handle.Cancel();
            }));
            Assert.True(handle.IsCancelled);
            await AsyncIO.Sleep(0);
            await AsyncIO.Sleep(0);
        });
        Assert.False(ran);
    }

    [Fact]
    public void CallSoonThreadsafe_HandleMadeOnAnotherThreadCancelledOnTheLoop_CallbackNeverRuns()
    {
        bool ran = false;
        LoopTest.Run(async loop =>
        {
            Handle handle = default;
            Assert.Null(OnOtherThread(() => handle = loop.CallSoonThreadsafe(() => ran = true)));
            handle.Cancel();
            Assert.True(handle.IsCancelled);
            await AsyncIO.Sleep(0);
            await AsyncIO.Sleep(0);
        });
        Assert.False(ran);
    }

    [Fact]
    public void CallSoonThreadsafe_CalledOnTheLoopThread_HandleCancellableFromAnotherThread()
    {
        // The handle of CallSoonThreadsafe is documented as cancellable from any thread, whichever thread
        // scheduled the callback.
        bool ran = false;
        LoopTest.Run(async loop =>
        {
            Handle handle = loop.CallSoonThreadsafe(() => ran = true);
            Exception? error = OnOtherThread(handle.Cancel);
            Assert.Null(error);
            Assert.True(handle.IsCancelled);
            await AsyncIO.Sleep(0);
            await AsyncIO.Sleep(0);
        });
        Assert.False(ran);
    }

    [Fact]
    public void LoopNotRunning_CallSoonFromAnotherThread_IsAllowed()
    {
        LoopTest.WithinSeconds(10, () =>
        {
            using var loop = new EventLoop();
            bool ran = false;
            Assert.Null(OnOtherThread(() => loop.CallSoon(() =>
            {
                ran = true;
                loop.Stop();
            })));
            loop.RunForever();
            Assert.True(ran);
        });
    }

    [Theory]
    [InlineData("CallSoon")]
    [InlineData("CallSoonWithState")]
    [InlineData("CallLater")]
    [InlineData("CallAt")]
    [InlineData("CreateTask")]
    [InlineData("CreateDelegateTask")]
    [InlineData("CreateFuture")]
    [InlineData("Stop")]
    [InlineData("AddReader")]
    [InlineData("RemoveReader")]
    [InlineData("AddSignalHandler")]
    [InlineData("RunInExecutor")]
    [InlineData("SetExceptionHandler")]
    [InlineData("AllTasks")]
    [InlineData("FutureSetResult")]
    [InlineData("FutureSetException")]
    [InlineData("FutureCancel")]
    [InlineData("TaskCancel")]
    [InlineData("HandleCancel")]
    [InlineData("TimerHandleCancel")]
    public void ForeignThread_LoopThreadOnlyMember_ThrowsInvalidOperationExceptionNamingTheRule(string member)
    {
        bool callbackRan = false;
        LoopTest.Run(async loop =>
        {
            Future<int> future = loop.CreateFuture<int>();
            AioTask task = loop.CreateTask(Idle());
            Handle handle = loop.CallSoon(() => callbackRan = true);
            TimerHandle timer = loop.CallLater(3600, () => callbackRan = true);
            Action call = member switch
            {
                "CallSoon" => () => loop.CallSoon(() => callbackRan = true),
                "CallSoonWithState" => () => loop.CallSoon(_ => callbackRan = true, null),
                "CallLater" => () => loop.CallLater(0, () => callbackRan = true),
                "CallAt" => () => loop.CallAt(0, () => callbackRan = true),
                "CreateTask" => () => loop.CreateTask(Idle()),
                "CreateDelegateTask" => () => loop.CreateTask(() => Task.CompletedTask),
                "CreateFuture" => () => loop.CreateFuture<int>(),
                "Stop" => loop.Stop,
                "AddReader" => () => loop.AddReader(0, () => callbackRan = true),
                "RemoveReader" => () => loop.RemoveReader(0),
                "AddSignalHandler" => () => loop.AddSignalHandler((PosixSignal)Native.SIGUSR1, () => callbackRan = true),
                "RunInExecutor" => () => loop.RunInExecutor(null, () => { }),
                "SetExceptionHandler" => () => loop.SetExceptionHandler(null),
                "AllTasks" => () => loop.AllTasks(),
                "FutureSetResult" => () => future.SetResult(1),
                "FutureSetException" => () => future.SetException(new InvalidOperationException()),
                "FutureCancel" => () => future.Cancel(),
                "TaskCancel" => () => task.Cancel(),
                "HandleCancel" => handle.Cancel,
                "TimerHandleCancel" => timer.Cancel,
                _ => throw new ArgumentOutOfRangeException(nameof(member)),
            };

            Exception? error = OnOtherThread(call);

            var thrown = Assert.IsType<InvalidOperationException>(error);
            Assert.Contains("CallSoonThreadsafe", thrown.Message, StringComparison.Ordinal);
            Assert.False(future.IsDone);
            Assert.False(task.IsDone);
            Assert.False(handle.IsCancelled);
            Assert.False(timer.IsCancelled);

            handle.Cancel();
            timer.Cancel();
            await CancelAndWait(task);
        });
        Assert.False(callbackRan);

        static async Coroutine Idle() => await AsyncIO.Sleep(3600);
    }

    [Fact]
    public void ForeignThread_AwaitingALoopFuture_ThrowsInvalidOperationException()
    {
        // What the compiler does for `await future` on a thread where the future's loop does not run.
        LoopTest.Run(async loop =>
        {
            Future<int> future = loop.CreateFuture<int>();
            AioTask task = loop.CreateTask(Idle());
            Exception? onFuture = OnOtherThread(() => future.GetAwaiter().UnsafeOnCompleted(() => { }));
            Exception? onTypedFuture = OnOtherThread(() => ((Future)future).GetAwaiter().OnCompleted(() => { }));
            Exception? onTask = OnOtherThread(() => task.GetAwaiter().UnsafeOnCompleted(() => { }));
            foreach (Exception? error in new[] { onFuture, onTypedFuture, onTask })
            {
                var thrown = Assert.IsType<InvalidOperationException>(error);
                Assert.Contains("not running on the current thread", thrown.Message, StringComparison.Ordinal);
            }

            await CancelAndWait(task);
        });

        static async Coroutine Idle() => await AsyncIO.Sleep(3600);
    }

    [Fact]
    public void ForeignThread_ModuleFunctions_ThrowNoRunningLoop()
    {
        LoopTest.Run(loop =>
        {
            Exception? createTask = OnOtherThread(() => AsyncIO.CreateTask(Idle()));
            Exception? getLoop = OnOtherThread(() => AsyncIO.GetRunningLoop());
            Exception? sleep = OnOtherThread(() => AsyncIO.Sleep(1).GetAwaiter());
            foreach (Exception? error in new[] { createTask, getLoop, sleep })
            {
                var thrown = Assert.IsType<InvalidOperationException>(error);
                Assert.Contains("No event loop is running on this thread", thrown.Message, StringComparison.Ordinal);
            }

            Assert.Equal(0, loop.GetResources().Timers);
            return default;
        });

        static async Coroutine Idle() => await AsyncIO.Sleep(3600);
    }

    [Fact]
    public void ForeignThread_FutureAsTask_CompletesWhenTheLoopSetsTheResult()
    {
        // The documented bridge for code on other threads.
        int seen = 0;
        LoopTest.WithinSeconds(10, () => LoopTest.Run(async loop =>
        {
            Future<int> future = loop.CreateFuture<int>();
            Task<int> fromOtherThread = Task.Run(async () => await future.AsTask());
            await AsyncIO.Sleep(0.005);
            future.SetResult(9);
            seen = await fromOtherThread;
        }));
        Assert.Equal(9, seen);
    }

    private static async Coroutine CancelAndWait(AioTask task)
    {
        task.Cancel();
        try
        {
            await task;
        }
        catch (CancelledException)
        {
        }

        Assert.True(task.IsCancelled);
    }
}
