using Aio.Tests.Support;

namespace Aio.Tests.Loop;

public sealed class AsyncIORunTests
{
    [Fact]
    public void Run_MainReturnsAValue_ReturnsItAndClosesTheLoop()
    {
        EventLoop? used = null;
        int result = 0;
        LoopTest.WithinSeconds(10, () =>
        {
            result = AsyncIO.Run(Main());
            Assert.Null(EventLoop.Current);
        });
        Assert.Equal(42, result);
        Assert.NotNull(used);
        Assert.True(used.IsClosed);

        async Coroutine<int> Main()
        {
            used = AsyncIO.GetRunningLoop();
            await AsyncIO.Sleep(0.001);
            return 42;
        }
    }

    [Fact]
    public void Run_TaskDelegateMain_ReturnsItsValue()
    {
        string? result = null;
        LoopTest.WithinSeconds(10, () => result = AsyncIO.Run(async () =>
        {
            await Task.Delay(1);
            return "from a Task";
        }));
        Assert.Equal("from a Task", result);
    }

    [Fact]
    public void Run_MainThrows_RethrowsTheSameException()
    {
        var boom = new InvalidOperationException("main failed");
        Exception? thrown = null;
        LoopTest.WithinSeconds(10, () => thrown = Record.Exception(() => AsyncIO.Run(Main())));
        Assert.Same(boom, thrown);

        async Coroutine Main()
        {
            await AsyncIO.Sleep(0);
            throw boom;
        }
    }

    [Fact]
    public void Run_MainCancelsItself_ThrowsCancelledException()
    {
        Exception? thrown = null;
        LoopTest.WithinSeconds(10, () => thrown = Record.Exception(() => AsyncIO.Run(Main())));
        Assert.IsType<CancelledException>(thrown);

        static async Coroutine Main()
        {
            AsyncIO.CurrentTask!.Cancel();
            await AsyncIO.Sleep(1);
        }
    }

    [Fact]
    public void Run_LeftoverTasks_AreCancelledAndTheirFinallyBlocksRun()
    {
        var log = new List<string>();
        var leftovers = new List<AioTask>();
        LoopTest.WithinSeconds(10, () => AsyncIO.Run(Main()));
        Assert.Equal(2, leftovers.Count);
        Assert.All(leftovers, t => Assert.True(t.IsCancelled));
        Assert.Equal(["finally 0", "finally 1"], log.Order());

        async Coroutine Main()
        {
            leftovers.Add(AsyncIO.CreateTask(Sleeper(0)));
            leftovers.Add(AsyncIO.CreateTask(Sleeper(1)));
            await AsyncIO.Sleep(0);
        }

        async Coroutine Sleeper(int n)
        {
            try
            {
                await AsyncIO.Sleep(3600);
            }
            finally
            {
                log.Add("finally " + n);
            }
        }
    }

    [Fact]
    public void Run_LeftoverTaskFailsWhileCancelled_IsReportedToTheExceptionHandler()
    {
        var reports = new List<LoopExceptionContext>();
        var cleanupError = new InvalidOperationException("cleanup failed");
        AioTask? leftover = null;
        int result = 0;
        LoopTest.WithinSeconds(10, () => result = AsyncIO.Run(Main()));
        Assert.Equal(1, result);
        LoopExceptionContext report = Assert.Single(reports);
        Assert.Same(cleanupError, report.Exception);
        Assert.Same(leftover, report.Task);
        Assert.Contains("shutdown", report.Message, StringComparison.OrdinalIgnoreCase);

        async Coroutine<int> Main()
        {
            AsyncIO.GetRunningLoop().SetExceptionHandler((_, context) => reports.Add(context));
            leftover = AsyncIO.CreateTask(FailsOnCancel());
            await AsyncIO.Sleep(0);
            return 1;
        }

        async Coroutine FailsOnCancel()
        {
            try
            {
                await AsyncIO.Sleep(3600);
            }
            catch (CancelledException)
            {
                throw cleanupError;
            }
        }
    }

    [Fact]
    public void Run_InsideARunningLoop_ThrowsAndDoesNotRunMain()
    {
        bool innerRan = false;
        LoopTest.Run(loop =>
        {
            var thrown = Assert.Throws<InvalidOperationException>(() => AsyncIO.Run(Inner()));
            Assert.Contains("running event loop", thrown.Message, StringComparison.OrdinalIgnoreCase);
            Assert.Same(loop, EventLoop.Current);
            return default;
        });
        Assert.False(innerRan);

        async Coroutine Inner()
        {
            innerRan = true;
            await AsyncIO.Sleep(0);
        }
    }

    [Fact]
    public void Run_ExecutorWorkStillRunningAtTheEnd_IsWaitedFor()
    {
        bool finished = false;
        LoopTest.WithinSeconds(10, () =>
        {
            AsyncIO.Run(Main());
            Assert.True(Volatile.Read(ref finished), "AsyncIO.Run returned while executor work was still running");
        });

        async Coroutine Main()
        {
            // Not awaited: the work is still running when main returns.
            _ = AsyncIO.GetRunningLoop().RunInExecutor(null, () =>
            {
                Thread.Sleep(30);
                Volatile.Write(ref finished, true);
            });
            await Task.CompletedTask;
        }
    }

    [Fact]
    public void Run_ExecutorWorkOutlivesTheShutdownTimeout_ReportsItAndReturns()
    {
        var reports = new List<LoopExceptionContext>();
        var release = new ManualResetEventSlim();
        var options = new EventLoopOptions { ExecutorShutdownTimeout = TimeSpan.FromMilliseconds(20) };
        try
        {
            LoopTest.WithinSeconds(10, () => AsyncIO.Run(Main(), options));
        }
        finally
        {
            release.Set();
        }

        LoopExceptionContext report = Assert.Single(reports);
        Assert.Contains("executor", report.Message, StringComparison.OrdinalIgnoreCase);

        async Coroutine Main()
        {
            EventLoop loop = AsyncIO.GetRunningLoop();
            loop.SetExceptionHandler((_, context) => reports.Add(context));
            _ = loop.RunInExecutor(null, () => release.Wait());
            await Task.CompletedTask;
        }
    }

    [Fact]
    public void Run_Twice_OnTheSameThread_UsesAFreshLoopEachTime()
    {
        EventLoop? first = null;
        EventLoop? second = null;
        LoopTest.WithinSeconds(10, () =>
        {
            first = AsyncIO.Run(CurrentLoop());
            second = AsyncIO.Run(CurrentLoop());
        });
        Assert.NotNull(first);
        Assert.NotSame(first, second);
        Assert.True(first.IsClosed);
        Assert.True(second!.IsClosed);

        static async Coroutine<EventLoop> CurrentLoop()
        {
            await AsyncIO.Sleep(0);
            return AsyncIO.GetRunningLoop();
        }
    }
}
