using Aio.Testing;
using Aio.Tests.Support;

namespace Aio.Tests.Testing;

public sealed class VirtualTimeTests
{
    [Fact]
    public void Run_OneHourWaitForTimeout_TimesOutAtExactlyOneHourOfVirtualTime()
    {
        // The wall-clock limit only turns a real hour-long wait into a failure instead of a hung run.
        double timedOutAt = 0;
        LoopTest.WithinSeconds(GuardedLoop.DefaultLimitSeconds, () => timedOutAt = VirtualTime.Run(async () =>
        {
            EventLoop loop = AsyncIO.GetRunningLoop();
            await Assert.ThrowsAsync<TimeoutException>(async () => await AsyncIO.WaitFor(Sleeper(7200), timeout: 3600));
            return loop.Time();
        }));

        Assert.Equal(3600.0, timedOutAt);
    }

    /// <summary>The one-line form of a test on virtual time, as the README shows it.</summary>
    [Fact]
    public void WaitFor_SlowWork_TimesOutAfterAnHour() => VirtualTime.Run(async () =>
    {
        await Assert.ThrowsAsync<TimeoutException>(async () => await AsyncIO.WaitFor(Sleeper(7200), timeout: 3600));
        Assert.Equal(3600, AsyncIO.GetRunningLoop().Time());
    });

    [Fact]
    public void Run_Coroutine_ReturnsItsResultAndRethrowsItsExceptionUnwrapped()
    {
        Assert.Equal(42, VirtualTime.Run(Answer()));
        var error = Assert.Throws<FormatException>(() => VirtualTime.Run(Failing()));
        Assert.Equal("boom", error.Message);
        Assert.Throws<FormatException>(() => VirtualTime.Run(async () =>
        {
            await AsyncIO.Sleep(1);
            throw new FormatException("late");
        }));

        static async Coroutine<int> Answer()
        {
            await AsyncIO.Sleep(86_400);
            return 42;
        }

        static async Coroutine Failing()
        {
            await AsyncIO.Sleep(10);
            throw new FormatException("boom");
        }
    }

    [Fact]
    public void Run_InsideARunningLoop_Throws()
    {
        VirtualLoop.Run(async loop =>
        {
            Assert.Throws<InvalidOperationException>(() => VirtualTime.Run(async () => await AsyncIO.Sleep(0)));
            await AsyncIO.Sleep(0);
        });
    }

    [Fact]
    public void Time_StartsAtZeroAndMovesOnlyByTheDelaysSlept()
    {
        VirtualTime.Run(async () =>
        {
            EventLoop loop = AsyncIO.GetRunningLoop();
            Assert.True(VirtualTime.IsVirtual(loop));
            Assert.Equal(0.0, loop.Time());
            Assert.Equal(TimeSpan.Zero, VirtualTime.Now);

            await AsyncIO.Sleep(1.5);
            Assert.Equal(1.5, loop.Time());
            await AsyncIO.Sleep(TimeSpan.FromMinutes(2));
            Assert.Equal(121.5, loop.Time());
            Assert.Equal(TimeSpan.FromSeconds(121.5), VirtualTime.Now);

            // Running callbacks takes no virtual time, however long it takes for real.
            Thread.Sleep(20);
            await AsyncIO.Yield();
            Assert.Equal(121.5, loop.Time());
        });
    }

    [Fact]
    public void Sleep_ConcurrentSleepers_WakeInDeadlineOrderAtTheirExactDeadlines()
    {
        var woke = VirtualLoop.Run(async loop =>
        {
            var log = new List<(string, double)>();
            await AsyncIO.Gather(
                Sleep("c", 30, log),
                Sleep("a", 10, log),
                Sleep("b", 20, log),
                Sleep("a2", 10, log));
            return log;
        });

        Assert.Equal([("a", 10.0), ("a2", 10.0), ("b", 20.0), ("c", 30.0)], woke);

        static async Coroutine<int> Sleep(string name, double seconds, List<(string, double)> log)
        {
            await AsyncIO.Sleep(seconds);
            log.Add((name, AsyncIO.GetRunningLoop().Time()));
            return 0;
        }
    }

    [Fact]
    public void Run_SameProgramRepeatedly_TakesTheSameStepsAtTheSameTimesEveryTime()
    {
        string first = VirtualTime.Run(Program());
        for (int i = 0; i < 5; i++)
        {
            Assert.Equal(first, VirtualTime.Run(Program()));
        }

        // The trace is not trivially short: timeouts, cancellations and retries all took part.
        Assert.Contains("timeout", first, StringComparison.Ordinal);
        Assert.Contains("cancelled", first, StringComparison.Ordinal);

        static async Coroutine<string> Program()
        {
            EventLoop loop = AsyncIO.GetRunningLoop();
            var trace = new List<string>();
            void Log(string what) => trace.Add($"{loop.Time():0.###} {what}");

            async Coroutine Worker(int id)
            {
                for (int attempt = 0; attempt < 3; attempt++)
                {
                    try
                    {
                        await AsyncIO.WaitFor(Job(id, attempt), timeout: 5);
                        Log($"w{id} done on attempt {attempt}");
                        return;
                    }
                    catch (TimeoutException)
                    {
                        Log($"w{id} timeout on attempt {attempt}");
                    }
                }
            }

            async Coroutine Job(int id, int attempt)
            {
                try
                {
                    await AsyncIO.Sleep((id * 7 + attempt * 3) % 9);
                }
                catch (CancelledException)
                {
                    Log($"job {id}/{attempt} cancelled");
                    throw;
                }
            }

            await AsyncIO.TaskGroup(async group =>
            {
                for (int id = 0; id < 6; id++)
                {
                    group.StartSoon(Worker(id));
                }

                await AsyncIO.Sleep(0);
            });
            Log("end");
            return string.Join("\n", trace);
        }
    }

    [Fact]
    public void Advance_PastSomeTimers_FiresExactlyThoseOnTheNextIteration()
    {
        VirtualLoop.Run(async loop =>
        {
            var fired = new List<string>();
            loop.CallLater(5, () => fired.Add("5 s"));
            loop.CallLater(10, () => fired.Add("10 s"));

            VirtualTime.Advance(TimeSpan.FromSeconds(6));
            Assert.Equal(6.0, loop.Time());
            Assert.Empty(fired);

            // The due timer joins the ready queue behind this task's own wake-up: two iterations.
            await AsyncIO.Yield();
            await AsyncIO.Yield();
            Assert.Equal(["5 s"], fired);

            VirtualTime.Advance(loop, TimeSpan.FromSeconds(4));
            await AsyncIO.Yield();
            await AsyncIO.Yield();
            Assert.Equal(["5 s", "10 s"], fired);
            Assert.Equal(10.0, loop.Time());
        });
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void AdvanceAsync_ManualMode_ReturnsOnceEveryDueTimerFiredAndWokenTasksStepped(bool shuffled)
    {
        var log = new List<string>();
        VirtualLoop.Run(
            async loop =>
            {
                loop.CallLater(1, () => log.Add("timer 1 s"));
                loop.CallLater(3, () => log.Add("timer 3 s"));
                AioTask sleeper = AsyncIO.CreateTask(Sleep(2));

                // Shuffled, the sleeper's first step may run after this task's next one: a second
                // iteration makes sure it started (and armed its timer at zero).
                await AsyncIO.Yield();
                await AsyncIO.Yield();

                await VirtualTime.AdvanceAsync(TimeSpan.FromSeconds(2));
                Assert.Equal(2.0, loop.Time());
                Assert.True(sleeper.IsDone);
                Assert.Equal(["slept 2 s, woke at 2", "timer 1 s"], log.Order());

                await VirtualTime.AdvanceAsync(TimeSpan.FromSeconds(1));
                Assert.Equal("timer 3 s", log[^1]);
                Assert.Equal(3.0, loop.Time());
            },
            options: new VirtualTimeOptions { AutoAdvanceThreshold = Timeout.InfiniteTimeSpan, ShuffleSeed = shuffled ? 5 : null });

        async Coroutine Sleep(double seconds)
        {
            await AsyncIO.Sleep(seconds);
            log.Add($"slept {seconds} s, woke at {AsyncIO.GetRunningLoop().Time()}");
        }
    }

    [Fact]
    public void Advance_WhileATaskSleeps_TheSleepEndsEarlyInWallTermsButOnTimeInVirtualOnes()
    {
        VirtualLoop.Run(async loop =>
        {
            AioTask sleeper = AsyncIO.CreateTask(LongSleep());
            await AsyncIO.Yield();

            VirtualTime.Advance(TimeSpan.FromDays(1));
            await AsyncIO.Yield();
            await AsyncIO.Yield();
            Assert.True(sleeper.IsCompletedSuccessfully);
            Assert.Equal(86_400.0, loop.Time());
        });

        static async Coroutine LongSleep() => await AsyncIO.Sleep(TimeSpan.FromDays(1));
    }

    [Fact]
    public void Advance_BadArgumentsOrLoops_Throw()
    {
        VirtualLoop.Run(async loop =>
        {
            Assert.Throws<ArgumentOutOfRangeException>(() => VirtualTime.Advance(TimeSpan.FromTicks(-1)));
            VirtualTime.Advance(TimeSpan.Zero);
            Assert.Equal(0.0, loop.Time());

            // From another thread while the loop runs: only CallSoonThreadsafe may cross threads.
            Exception? fromThread = null;
            var thread = new Thread(() =>
            {
                try
                {
                    VirtualTime.Advance(loop, TimeSpan.FromSeconds(1));
                }
                catch (Exception ex)
                {
                    fromThread = ex;
                }
            });
            thread.Start();
            thread.Join();
            Assert.IsType<InvalidOperationException>(fromThread);
            await AsyncIO.Sleep(0);
        });

        using var real = new EventLoop();
        Assert.False(VirtualTime.IsVirtual(real));
        Assert.Throws<InvalidOperationException>(() => VirtualTime.Advance(real, TimeSpan.FromSeconds(1)));
        Assert.Throws<InvalidOperationException>(() => VirtualTime.Advance(TimeSpan.FromSeconds(1)));
        Assert.Throws<InvalidOperationException>(() => VirtualTime.Now);
    }

    [Fact]
    public void Advance_BeforeTheLoopRuns_MovesItsClock()
    {
        using var loop = new EventLoop(VirtualTime.CreateLoopOptions());
        VirtualTime.Advance(loop, TimeSpan.FromSeconds(3));
        Assert.Equal(3.0, loop.Time());
        Assert.Equal(5.0, loop.RunUntilComplete(After(2)));

        static async Coroutine<double> After(double seconds)
        {
            await AsyncIO.Sleep(seconds);
            return AsyncIO.GetRunningLoop().Time();
        }
    }

    [Fact]
    public void CreateLoopOptions_TwoLoopsFromTheSameOptions_EachHasItsOwnClockAndKeepsTheBaseSettings()
    {
        var baseOptions = new EventLoopOptions { ExecutorShutdownTimeout = TimeSpan.FromSeconds(7), HandleInterrupt = false };
        EventLoopOptions options = VirtualTime.CreateLoopOptions(new VirtualTimeOptions { Loop = baseOptions });
        Assert.Equal(TimeSpan.FromSeconds(7), options.ExecutorShutdownTimeout);
        Assert.False(options.HandleInterrupt);

        using var first = new EventLoop(options);
        using var second = new EventLoop(options);
        VirtualTime.Advance(first, TimeSpan.FromSeconds(1));
        Assert.Equal(1.0, first.Time());
        Assert.Equal(0.0, second.Time());

        // The base options themselves stay on real time.
        using var real = new EventLoop(baseOptions);
        Assert.False(VirtualTime.IsVirtual(real));
    }

    [Fact]
    public void CreateLoopOptions_NegativeThreshold_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() =>
            VirtualTime.CreateLoopOptions(new VirtualTimeOptions { AutoAdvanceThreshold = TimeSpan.FromSeconds(-1) }));
    }

    [Fact]
    public void AsyncIORun_WithVirtualOptions_RunsOnVirtualTime()
    {
        double end = AsyncIO.Run(Main(), VirtualTime.CreateLoopOptions());
        Assert.Equal(600.0, end);

        static async Coroutine<double> Main()
        {
            await AsyncIO.Sleep(600);
            return AsyncIO.GetRunningLoop().Time();
        }
    }

    [Fact]
    public void Idle_ExecutorWorkInFlight_ClockDoesNotJumpPastTheWork()
    {
        VirtualLoop.Run(async loop =>
        {
            // A jump would time this out at once; the clock must wait for the thread instead.
            int result = await AsyncIO.WaitFor(AsyncIO.ToThread(() =>
            {
                Thread.Sleep(30);
                return 7;
            }), timeout: 3600);
            Assert.Equal(7, result);

            // Meanwhile the clock followed the wall clock (while the loop was idle): some time, nowhere near
            // the timeout.
            Assert.InRange(loop.Time(), 1e-9, 60);
        });
    }

    [Fact]
    public void Idle_WorkOnAnotherExecutorInFlight_ClockDoesNotJumpEither()
    {
        using var executor = new ThreadPoolExecutor(1);
        VirtualLoop.Run(async loop =>
        {
            int result = await AsyncIO.WaitFor(loop.RunInExecutor(executor, () =>
            {
                Thread.Sleep(30);
                return 8;
            }), timeout: 3600);
            Assert.Equal(8, result);

            // The worker may start before the loop goes idle, so less than the work's duration may show.
            Assert.InRange(loop.Time(), 1e-9, 60);
        });
    }

    [Fact]
    public void Idle_TimeoutAroundExecutorWorkThatNeverFinishesInTime_FiresAtItsVirtualDeadline()
    {
        using var gate = new ManualResetEventSlim();
        VirtualLoop.Run(async loop =>
        {
            Future<int> work = AsyncIO.ToThread(() =>
            {
                gate.Wait();
                return 1;
            });
            await AioAssert.ThrowsAsync<TimeoutException, int>(() => AsyncIO.WaitFor(work, timeout: 0.05));

            // The clock followed the wall clock while the work ran, and stopped exactly on the deadline.
            Assert.Equal(0.05, loop.Time(), 9);
            gate.Set();
            await AsyncIO.Wait([work]);

            // The work is back: the clock jumps again.
            await AsyncIO.Sleep(3600);
            Assert.Equal(3600.05, loop.Time(), 6);
        });
    }

    [Fact]
    public void Idle_DescriptorReadyBeforeTheNextTimer_IsPolledBeforeTheClockJumps()
    {
        (int read, int write) = Native.CreatePipe();
        try
        {
            VirtualLoop.Run(async loop =>
            {
                Future<double> readAt = loop.CreateFuture<double>();
                loop.AddReader(read, () =>
                {
                    Native.ReadBytes(read, new byte[16]);
                    loop.RemoveReader(read);
                    readAt.TrySetResult(loop.Time());
                });
                Native.WriteBytes(write, [1]);

                // A timer is pending too; the readiness must win, at virtual time zero.
                Assert.Equal(0.0, await AsyncIO.WaitFor(readAt, timeout: 3600));
            });
        }
        finally
        {
            Native.Close(read);
            Native.Close(write);
        }
    }

    [Fact]
    public void Idle_WithAThreshold_AnotherThreadsWakeUpArrivesBeforeTheJump()
    {
        VirtualLoop.Run(
            async loop =>
            {
                Future<string> fromThread = loop.CreateFuture<string>();
                var thread = new Thread(() =>
                {
                    Thread.Sleep(20);
                    loop.CallSoonThreadsafe(() => fromThread.TrySetResult("hello"));
                });
                thread.Start();

                // Invisible to the loop (no executor): only the threshold keeps the clock from jumping.
                Assert.Equal("hello", await AsyncIO.WaitFor(fromThread, timeout: 3600));
                Assert.Equal(0.0, loop.Time());
                thread.Join();
            },
            options: new VirtualTimeOptions { AutoAdvanceThreshold = TimeSpan.FromSeconds(5) });
    }

    [Fact]
    public void Idle_WithAThreshold_JumpsOnceTheLoopStayedIdleThatLong_AndTheWaitCostsNoVirtualTime()
    {
        VirtualLoop.Run(
            async loop =>
            {
                await AsyncIO.Sleep(3600);

                // The real wait before the jump is not added to the clock: the sleep ends on its deadline.
                Assert.Equal(3600.0, loop.Time());
                await AsyncIO.Sleep(1);
                Assert.Equal(3601.0, loop.Time());
            },
            options: new VirtualTimeOptions { AutoAdvanceThreshold = TimeSpan.FromMilliseconds(20) });
    }

    [Fact]
    public void Idle_ManualMode_ClockMovesOnlyWhenAdvanced()
    {
        VirtualLoop.Run(
            async loop =>
            {
                AioTask<double> sleeper = AsyncIO.CreateTask(TimeAfter(10));
                for (int i = 0; i < 5; i++)
                {
                    await AsyncIO.Yield();
                }

                Assert.False(sleeper.IsDone);
                Assert.Equal(0.0, loop.Time());

                // Idle with only a timer pending: the loop waits for real, here for another thread.
                Future<int> poke = loop.CreateFuture<int>();
                var thread = new Thread(() =>
                {
                    Thread.Sleep(20);
                    loop.CallSoonThreadsafe(() => poke.TrySetResult(1));
                });
                thread.Start();
                await poke;
                thread.Join();
                Assert.Equal(0.0, loop.Time());
                Assert.False(sleeper.IsDone);

                VirtualTime.Advance(TimeSpan.FromSeconds(10));
                Assert.Equal(10.0, await sleeper);
            },
            options: new VirtualTimeOptions { AutoAdvanceThreshold = Timeout.InfiniteTimeSpan });

        static async Coroutine<double> TimeAfter(double seconds)
        {
            await AsyncIO.Sleep(seconds);
            return AsyncIO.GetRunningLoop().Time();
        }
    }

    [Fact]
    public void Idle_OnlyAnInfiniteSleepLeft_DoesNotJumpToTheEndOfTime()
    {
        VirtualLoop.Run(async loop =>
        {
            AioTask forever = AsyncIO.CreateTask(Forever());
            await AsyncIO.Yield();

            // The main task waits for another thread; the only timer is "never". A jump there would end
            // the infinite sleep instead of waiting for the thread.
            Future<int> poke = loop.CreateFuture<int>();
            var thread = new Thread(() =>
            {
                Thread.Sleep(20);
                loop.CallSoonThreadsafe(() => poke.TrySetResult(1));
            });
            thread.Start();
            await poke;
            thread.Join();

            Assert.False(forever.IsDone);
            Assert.Equal(0.0, loop.Time());
            forever.Cancel();
            await AsyncIO.Wait([forever]);
        });

        static async Coroutine Forever() => await AsyncIO.Sleep(double.PositiveInfinity);
    }

    [Fact]
    public void Idle_NothingScheduled_BlocksUntilAnotherThreadWakesIt()
    {
        VirtualLoop.Run(async loop =>
        {
            Future<int> poke = loop.CreateFuture<int>();
            var thread = new Thread(() =>
            {
                Thread.Sleep(20);
                loop.CallSoonThreadsafe(() => poke.TrySetResult(3));
            });
            thread.Start();
            Assert.Equal(3, await poke);
            thread.Join();
            Assert.Equal(0.0, loop.Time());
        });
    }

    private static async Coroutine Sleeper(double seconds) => await AsyncIO.Sleep(seconds);
}
