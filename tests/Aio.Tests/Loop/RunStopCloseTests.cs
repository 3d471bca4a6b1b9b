using System.Runtime.InteropServices;
using Aio.Tests.Support;

namespace Aio.Tests.Loop;

public sealed class RunStopCloseTests
{
    /// <summary>Runs <paramref name="test"/> with a fresh loop on a guarded thread and closes the loop after.</summary>
    private static void WithLoop(Action<EventLoop> test) => LoopTest.WithinSeconds(10, () =>
    {
        var loop = new EventLoop();
        try
        {
            test(loop);
        }
        finally
        {
            loop.Close();
        }
    });

    [Fact]
    public void Stop_BeforeRunForever_RunsOneIterationThenReturns()
    {
        var order = new List<string>();
        WithLoop(loop =>
        {
            loop.CallSoon(() =>
            {
                order.Add("first");
                loop.CallSoon(() => order.Add("second"));
            });
            loop.Stop();
            loop.RunForever();
            Assert.Equal(["first"], order);
            Assert.False(loop.IsRunning);

            // The stop was consumed: the next run goes on until stopped again.
            loop.CallSoon(loop.Stop);
            loop.RunForever();
        });
        Assert.Equal(["first", "second"], order);
    }

    [Fact]
    public void Stop_FromACallback_FinishesTheIterationThenReturns()
    {
        var order = new List<string>();
        WithLoop(loop =>
        {
            loop.CallSoon(() =>
            {
                order.Add("stop");
                loop.Stop();
                loop.CallSoon(() => order.Add("next iteration"));
            });
            loop.CallSoon(() => order.Add("already due"));
            loop.RunForever();
        });
        Assert.Equal(["stop", "already due"], order);
    }

    [Fact]
    public void Stop_FromATimer_ReturnsFromRunForever()
    {
        bool stopped = false;
        WithLoop(loop =>
        {
            loop.CallLater(0.01, () =>
            {
                stopped = true;
                loop.Stop();
            });
            loop.RunForever();
            Assert.False(loop.IsRunning);
        });
        Assert.True(stopped);
    }

    [Fact]
    public void RunUntilComplete_Coroutine_ReturnsItsResult()
    {
        WithLoop(loop => Assert.Equal(42, loop.RunUntilComplete(Answer())));

        static async Coroutine<int> Answer()
        {
            await AsyncIO.Sleep(0.001);
            return 42;
        }
    }

    [Fact]
    public void RunUntilComplete_Future_ReturnsTheResultSetByACallback()
    {
        WithLoop(loop =>
        {
            Future<string> future = loop.CreateFuture<string>();
            loop.CallLater(0.001, () => future.SetResult("done"));
            Assert.Equal("done", loop.RunUntilComplete(future));
            Assert.False(loop.IsRunning);
        });
    }

    [Fact]
    public void RunUntilComplete_CoroutineThrows_RethrowsTheSameException()
    {
        var boom = new InvalidOperationException("boom");
        WithLoop(loop =>
        {
            var thrown = Assert.Throws<InvalidOperationException>(() => loop.RunUntilComplete(Fail()));
            Assert.Same(boom, thrown);
        });

        async Coroutine Fail()
        {
            await AsyncIO.Sleep(0);
            throw boom;
        }
    }

    [Fact]
    public void RunUntilComplete_FutureCancelled_ThrowsCancelledException()
    {
        WithLoop(loop =>
        {
            Future<int> future = loop.CreateFuture<int>();
            loop.CallSoon(() => future.Cancel("gone"));
            var thrown = Assert.Throws<CancelledException>(() => loop.RunUntilComplete(future));
            Assert.Equal("gone", thrown.CancelMessage);
        });
    }

    [Fact]
    public void RunUntilComplete_LoopStoppedFirst_ThrowsStoppedBeforeFutureCompleted()
    {
        WithLoop(loop =>
        {
            Future<int> future = loop.CreateFuture<int>();
            loop.CallSoon(loop.Stop);
            var thrown = Assert.Throws<InvalidOperationException>(() => loop.RunUntilComplete(future));
            Assert.Contains("stopped before the future completed", thrown.Message, StringComparison.OrdinalIgnoreCase);
            Assert.False(future.IsDone);
            Assert.False(loop.IsRunning);

            // The loop and the future are still usable.
            loop.CallSoon(() => future.SetResult(7));
            Assert.Equal(7, loop.RunUntilComplete(future));
        });
    }

    [Fact]
    public void RunUntilComplete_FutureAlreadyDone_RunsOneIterationAndReturnsTheResult()
    {
        var order = new List<string>();
        WithLoop(loop =>
        {
            Future<int> future = loop.CreateFuture<int>();
            future.SetResult(3);
            loop.CallSoon(() =>
            {
                order.Add("queued");
                loop.CallSoon(() => order.Add("scheduled during the run"));
            });
            Assert.Equal(3, loop.RunUntilComplete(future));
        });
        Assert.Equal(["queued"], order);
    }

    [Fact]
    public void RunUntilComplete_FutureOfAnotherLoop_ThrowsArgumentException()
    {
        WithLoop(loop =>
        {
            using var other = new EventLoop();
            Future<int> foreign = other.CreateFuture<int>();
            Assert.Throws<ArgumentException>(() => loop.RunUntilComplete(foreign));
            Assert.False(loop.IsRunning);
        });
    }

    [Fact]
    public void Close_WhileRunning_ThrowsAndTheLoopGoesOn()
    {
        Exception? error = null;
        bool ranAfter = false;
        WithLoop(loop =>
        {
            loop.CallSoon(() =>
            {
                error = Record.Exception(loop.Close);
                loop.CallSoon(() =>
                {
                    ranAfter = true;
                    loop.Stop();
                });
            });
            loop.RunForever();
            Assert.False(loop.IsClosed);
        });
        Assert.IsType<InvalidOperationException>(error);
        Assert.True(ranAfter);
    }

    [Fact]
    public void Close_CalledTwice_IsIdempotent()
    {
        var loop = new EventLoop();
        loop.Close();
        loop.Close();
        loop.Dispose();
        Assert.True(loop.IsClosed);
        Assert.False(loop.IsRunning);
    }

    [Fact]
    public void Close_PendingCallbacksAndTimers_AreDropped()
    {
        var loop = new EventLoop();
        loop.CallSoon(() => { });
        loop.CallLater(10, () => { });
        Assert.False(loop.GetResources().IsEmpty);
        loop.Close();
        Assert.True(loop.GetResources().IsEmpty, loop.GetResources().ToString());
    }

    [Theory]
    [InlineData("CallSoon")]
    [InlineData("CallSoonWithState")]
    [InlineData("CallLater")]
    [InlineData("CallAt")]
    [InlineData("CallSoonThreadsafe")]
    [InlineData("CreateFuture")]
    [InlineData("CreateTask")]
    [InlineData("RunForever")]
    [InlineData("RunUntilComplete")]
    [InlineData("AddReader")]
    [InlineData("AddWriter")]
    [InlineData("AddSignalHandler")]
    [InlineData("RunInExecutor")]
    public void ClosedLoop_SchedulingOrRunning_ThrowsInvalidOperationException(string member)
    {
        var loop = new EventLoop();
        loop.Close();
        Action call = member switch
        {
            "CallSoon" => () => loop.CallSoon(() => { }),
            "CallSoonWithState" => () => loop.CallSoon(_ => { }, null),
            "CallLater" => () => loop.CallLater(1, () => { }),
            "CallAt" => () => loop.CallAt(loop.Time(), () => { }),
            "CallSoonThreadsafe" => () => loop.CallSoonThreadsafe(() => { }),
            "CreateFuture" => () => loop.CreateFuture<int>(),
            "CreateTask" => () => loop.CreateTask(Nothing()),
            "RunForever" => loop.RunForever,
            "RunUntilComplete" => () => loop.RunUntilComplete(Nothing()),
            "AddReader" => () => loop.AddReader(0, () => { }),
            "AddWriter" => () => loop.AddWriter(1, () => { }),
            "AddSignalHandler" => () => loop.AddSignalHandler((PosixSignal)Native.SIGUSR1, () => { }),
            "RunInExecutor" => () => loop.RunInExecutor(null, () => { }),
            _ => throw new ArgumentOutOfRangeException(nameof(member)),
        };
        var thrown = Assert.Throws<InvalidOperationException>(call);
        Assert.Contains("closed", thrown.Message, StringComparison.OrdinalIgnoreCase);
        Assert.True(loop.GetResources().IsEmpty, loop.GetResources().ToString());

        static async Coroutine Nothing() => await AsyncIO.Sleep(0);
    }

    [Fact]
    public void ClosedLoop_Removing_ReturnsFalse()
    {
        var loop = new EventLoop();
        loop.Close();
        Assert.False(loop.RemoveReader(0));
        Assert.False(loop.RemoveWriter(1));
        Assert.False(loop.RemoveSignalHandler((PosixSignal)Native.SIGUSR1));
    }

    [Fact]
    public void RunForever_WhileAnotherLoopRunsOnThisThread_Throws()
    {
        LoopTest.Run(loop =>
        {
            using var other = new EventLoop();
            var thrown = Assert.Throws<InvalidOperationException>(other.RunForever);
            Assert.Contains("another loop", thrown.Message, StringComparison.OrdinalIgnoreCase);
            Future<int> future = other.CreateFuture<int>();
            Assert.Throws<InvalidOperationException>(() => other.RunUntilComplete(future));
            Assert.False(other.IsRunning);
            Assert.Same(loop, EventLoop.Current);
            return default;
        });
    }

    [Fact]
    public void RunForever_FromInsideTheRunningLoop_ThrowsAlreadyRunning()
    {
        LoopTest.Run(loop =>
        {
            var thrown = Assert.Throws<InvalidOperationException>(loop.RunForever);
            Assert.Contains("already running", thrown.Message, StringComparison.OrdinalIgnoreCase);
            Assert.True(loop.IsRunning);
            return default;
        });
    }

    [Fact]
    public void RunForever_FromAnotherThreadWhileRunning_ThrowsAlreadyRunning()
    {
        LoopTest.Run(loop =>
        {
            Exception? error = null;
            var thread = new Thread(() => error = Record.Exception(loop.RunForever));
            thread.Start();
            thread.Join();
            var thrown = Assert.IsType<InvalidOperationException>(error);
            Assert.Contains("already running", thrown.Message, StringComparison.OrdinalIgnoreCase);
            return default;
        });
    }

    [Fact]
    public void Lifecycle_IsRunningIsClosedAndCurrent_FollowTheLoop()
    {
        WithLoop(loop =>
        {
            Assert.False(loop.IsRunning);
            Assert.False(loop.IsClosed);
            Assert.Null(EventLoop.Current);
            bool runningInside = false;
            EventLoop? currentInside = null;
            loop.CallSoon(() =>
            {
                runningInside = loop.IsRunning;
                currentInside = EventLoop.Current;
                loop.Stop();
            });
            loop.RunForever();
            Assert.True(runningInside);
            Assert.Same(loop, currentInside);
            Assert.False(loop.IsRunning);
            Assert.Null(EventLoop.Current);
            loop.Close();
            Assert.True(loop.IsClosed);
            Assert.False(loop.IsRunning);
        });
    }

    [Fact]
    public void RunForever_CallbackThrowsAfterStop_LoopEndsStoppedAndCanRunAgain()
    {
        // A failing callback must not leave the loop marked running or current.
        var reports = new List<LoopExceptionContext>();
        WithLoop(loop =>
        {
            loop.SetExceptionHandler((_, context) => reports.Add(context));
            loop.CallSoon(() =>
            {
                loop.Stop();
                throw new InvalidOperationException("late");
            });
            loop.RunForever();
            Assert.False(loop.IsRunning);
            Assert.Null(EventLoop.Current);
            Assert.Equal(5, loop.RunUntilComplete(Five()));
        });
        Assert.Single(reports);

        static async Coroutine<int> Five()
        {
            await AsyncIO.Sleep(0);
            return 5;
        }
    }
}
