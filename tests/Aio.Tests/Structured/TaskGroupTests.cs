using Aio.Tests.Support;

namespace Aio.Tests.Structured;

public sealed class TaskGroupTests
{
    [Fact]
    public void TaskGroup_ChildrenSucceed_WaitsForEveryOne()
    {
        var log = new List<string>();
        VirtualLoop.Run(async loop =>
        {
            AioTask<int>? typed = null;
            await AsyncIO.TaskGroup(async tg =>
            {
                tg.StartSoon(Step("a", 10, log));
                tg.StartSoon(Step("b", 0, log));
                typed = tg.CreateTask(Delayed(5, 3));
                await AsyncIO.Sleep(0);
                log.Add("body done");
            });
            log.Add("group done");

            // The group waited for its slowest child, and no longer.
            Assert.Equal(10.0, loop.Time());
            Assert.Equal(3, typed!.Result);
        });
        Assert.Equal("group done", log[^1]);
        Assert.Equal(["a", "b", "body done", "group done"], log.Order());
    }

    [Fact]
    public void TaskGroupOfT_BodyReturnsValue_ReturnsItAfterChildrenFinish()
    {
        var log = new List<string>();
        int result = VirtualLoop.Run(async loop =>
        {
            int value = await AsyncIO.TaskGroup(async tg =>
            {
                tg.StartSoon(Step("child", 5, log));
                await AsyncIO.Sleep(0);
                return 17;
            });
            Assert.Equal(5.0, loop.Time());
            return value;
        });
        Assert.Equal(17, result);
        Assert.Equal(["child"], log);
    }

    [Fact]
    public void TaskGroup_DelegateChildren_AreAwaitedToo()
    {
        int done = 0;
        VirtualLoop.Run(async loop =>
        {
            await AsyncIO.TaskGroup(async tg =>
            {
                tg.StartSoon(async () =>
                {
                    await AsyncIO.Sleep(2);
                    done++;
                });
                AioTask<int> typed = tg.CreateTask(async () =>
                {
                    await AsyncIO.Sleep(1);
                    done++;
                    return 1;
                });
                await AsyncIO.Sleep(0);
                Assert.False(typed.IsDone);
            });
            Assert.Equal(2.0, loop.Time());
        });
        Assert.Equal(2, done);
    }

    [Fact]
    public void TaskGroup_Count_TracksRunningChildren()
    {
        VirtualLoop.Run(async loop =>
        {
            TaskGroup? group = null;
            Future<int> gate = loop.CreateFuture<int>();
            await AsyncIO.TaskGroup(async tg =>
            {
                group = tg;
                Assert.Equal(0, tg.Count);
                tg.StartSoon(AwaitGate(gate));
                tg.StartSoon(Delayed(0, 1));
                Assert.Equal(2, tg.Count);
                await AsyncIO.Sleep(0.002);
                Assert.Equal(1, tg.Count);
                gate.SetResult(0);
            });
            Assert.Equal(0, group!.Count);
        });
    }

    [Fact]
    public void TaskGroup_ChildFails_CancelsSiblingsAndBodyAndThrowsAggregate()
    {
        var log = new List<string>();
        VirtualLoop.Run(async loop =>
        {
            var error = await AioAssert.ThrowsAsync<AggregateException>(() => AsyncIO.TaskGroup(async tg =>
            {
                tg.StartSoon(Fail(2, new InvalidOperationException("child")));
                tg.StartSoon(Sleeper("sibling", log));
                try
                {
                    await AsyncIO.Sleep(3600);
                    log.Add("body woke");
                }
                catch (CancelledException)
                {
                    log.Add("body cancelled");
                    throw;
                }
            }));

            var inner = Assert.IsType<InvalidOperationException>(Assert.Single(error.InnerExceptions));
            Assert.Equal("child", inner.Message);
            Assert.Equal(2.0, loop.Time());
            Assert.Equal(0, AsyncIO.CurrentTask!.Cancelling);
        });
        Assert.Equal(["body cancelled", "sibling cancelled"], log.Order());
    }

    [Fact]
    public void TaskGroup_SeveralChildrenAndBodyFail_AggregatesEveryError()
    {
        var log = new List<string>();
        VirtualLoop.Run(async loop =>
        {
            var first = new InvalidOperationException("first");
            var second = new ArgumentException("second");
            var cleanup = new NotSupportedException("cleanup");
            var body = new FormatException("body");

            var error = await AioAssert.ThrowsAsync<AggregateException>(() => AsyncIO.TaskGroup(async tg =>
            {
                // Both fail in the same loop iteration, before the group can cancel either.
                tg.StartSoon(Fail(0, first));
                tg.StartSoon(Fail(0, second));

                // Turns the group's cancellation into an error of its own.
                tg.StartSoon(FailWhenCancelled(cleanup, log));
                tg.StartSoon(Sleeper("quiet", log));
                try
                {
                    await AsyncIO.Sleep(3600);
                }
                catch (CancelledException)
                {
                    log.Add("body cancelled");
                    throw body;
                }
            }));

            Assert.Equal(4, error.InnerExceptions.Count);
            Assert.Contains(first, error.InnerExceptions);
            Assert.Contains(second, error.InnerExceptions);
            Assert.Contains(cleanup, error.InnerExceptions);
            Assert.Contains(body, error.InnerExceptions);
            Assert.DoesNotContain(error.InnerExceptions, e => e is OperationCanceledException);
            Assert.Equal(0, AsyncIO.CurrentTask!.Cancelling);
        });
        Assert.Equal(["body cancelled", "cleanup child cancelled", "quiet cancelled"], log.Order());
    }

    [Fact]
    public void TaskGroup_BodyFails_CancelsChildrenAndThrowsAggregateWithBodyError()
    {
        var log = new List<string>();
        VirtualLoop.Run(async loop =>
        {
            var error = await AioAssert.ThrowsAsync<AggregateException>(() => AsyncIO.TaskGroup(async tg =>
            {
                tg.StartSoon(Sleeper("child", log));
                await AsyncIO.Sleep(2);
                throw new FormatException("body");
            }));
            Assert.Equal(2.0, loop.Time());

            Assert.Equal("body", Assert.IsType<FormatException>(Assert.Single(error.InnerExceptions)).Message);
            Assert.Equal(0, AsyncIO.CurrentTask!.Cancelling);
        });
        Assert.Equal(["child cancelled"], log);
    }

    [Fact]
    public void TaskGroup_ChildFailsAfterBodyFinished_CancelsSiblingsAndThrows()
    {
        var log = new List<string>();
        VirtualLoop.Run(async loop =>
        {
            var error = await AioAssert.ThrowsAsync<AggregateException>(() => AsyncIO.TaskGroup(tg =>
            {
                tg.StartSoon(Sleeper("sibling", log));
                tg.StartSoon(Fail(2, new InvalidOperationException("late")));
                return default;
            }));
            Assert.Equal(2.0, loop.Time());

            Assert.IsType<InvalidOperationException>(Assert.Single(error.InnerExceptions));
            Assert.Equal(0, AsyncIO.CurrentTask!.Cancelling);

            // The group withdrew the cancellation it requested, so the task carries on normally.
            await AsyncIO.Sleep(0.001);
            log.Add("parent continues");
        });
        Assert.Equal(["sibling cancelled", "parent continues"], log);
    }

    [Fact]
    public void TaskGroupOfT_ChildFails_ThrowsAggregate()
    {
        VirtualLoop.Run(async loop =>
        {
            var error = await AioAssert.ThrowsAsync<AggregateException, int>(() => AsyncIO.TaskGroup(async tg =>
            {
                tg.StartSoon(Fail(0, new InvalidOperationException("child")));
                await AsyncIO.Sleep(3600);
                return 1;
            }));
            Assert.IsType<InvalidOperationException>(Assert.Single(error.InnerExceptions));
        });
    }

    [Fact]
    public void TaskGroup_ParentCancelledWhileBodyRuns_CancelsChildrenAndPropagatesCancellation()
    {
        var log = new List<string>();
        VirtualLoop.Run(async loop =>
        {
            AioTask worker = AsyncIO.CreateTask(Worker());
            await AsyncIO.Sleep(5);
            worker.Cancel();

            await AioAssert.ThrowsAsync<CancelledException>(worker);
            Assert.True(worker.IsCancelled);
            Assert.Equal(5.0, loop.Time());
        });
        Assert.Equal(["a cancelled", "b cancelled", "body cancelled", "worker saw CancelledException"], log.Order());

        async Coroutine Worker()
        {
            try
            {
                await AsyncIO.TaskGroup(async tg =>
                {
                    tg.StartSoon(Sleeper("a", log));
                    tg.StartSoon(Sleeper("b", log));
                    try
                    {
                        await AsyncIO.Sleep(3600);
                    }
                    catch (CancelledException)
                    {
                        log.Add("body cancelled");
                        throw;
                    }
                });
            }
            catch (Exception ex)
            {
                log.Add("worker saw " + ex.GetType().Name);

                // The outside request is still pending: the group did not withdraw it.
                Assert.Equal(1, AsyncIO.CurrentTask!.Cancelling);
                throw;
            }
        }
    }

    [Fact]
    public void TaskGroup_ParentCancelledWhileGroupWaitsForChildren_CancelsThemAndPropagatesCancellation()
    {
        var log = new List<string>();
        VirtualLoop.Run(async loop =>
        {
            AioTask worker = AsyncIO.CreateTask(Worker());
            await AsyncIO.Sleep(5);
            worker.Cancel();

            await AioAssert.ThrowsAsync<CancelledException>(worker);
            Assert.Equal(5.0, loop.Time());
        });
        Assert.Equal(["a cancelled", "b cancelled", "worker saw CancelledException"], log.Order());

        async Coroutine Worker()
        {
            try
            {
                // The body returns at once, so the cancellation reaches the group while it waits.
                await AsyncIO.TaskGroup(tg =>
                {
                    tg.StartSoon(Sleeper("a", log));
                    tg.StartSoon(Sleeper("b", log));
                    return default;
                });
            }
            catch (Exception ex)
            {
                log.Add("worker saw " + ex.GetType().Name);
                throw;
            }
        }
    }

    [Fact]
    public void TaskGroup_ChildFailsDuringOutsideCancellation_ErrorsWinAndCancellationStaysPending()
    {
        var log = new List<string>();
        VirtualLoop.Run(async loop =>
        {
            AioTask worker = AsyncIO.CreateTask(Worker());
            await AsyncIO.Sleep(5);
            worker.Cancel();

            await AioAssert.ThrowsAsync<CancelledException>(worker);
            Assert.Equal(5.0, loop.Time());
        });
        Assert.Equal(["aggregate: NotSupportedException", "cancelling=1", "next await cancelled"], log);

        async Coroutine Worker()
        {
            try
            {
                await AsyncIO.TaskGroup(async tg =>
                {
                    tg.StartSoon(FailWhenCancelled(new NotSupportedException("cleanup"), new List<string>()));
                    await AsyncIO.Sleep(3600);
                });
            }
            catch (AggregateException ex)
            {
                log.Add("aggregate: " + Assert.Single(ex.InnerExceptions).GetType().Name);
                log.Add("cancelling=" + AsyncIO.CurrentTask!.Cancelling);
            }

            try
            {
                await AsyncIO.Sleep(0.001);
                log.Add("next await ran");
            }
            catch (CancelledException)
            {
                log.Add("next await cancelled");
                throw;
            }
        }
    }

    [Fact]
    public void TaskGroup_Cancel_CancelsEverythingAndExitsQuietly()
    {
        var log = new List<string>();
        VirtualLoop.RunInOrder(async loop =>
        {
            await AsyncIO.TaskGroup(async tg =>
            {
                tg.StartSoon(Sleeper("a", log));
                tg.StartSoon(Sleeper("b", log));
                await AsyncIO.Sleep(0);
                tg.Cancel();
                try
                {
                    await AsyncIO.Sleep(3600);
                }
                catch (CancelledException)
                {
                    log.Add("body cancelled");
                    throw;
                }
            });

            log.Add("group exited");
            Assert.Equal(0.0, loop.Time());
            Assert.Equal(0, AsyncIO.CurrentTask!.Cancelling);
            await AsyncIO.Sleep(1);
            log.Add("parent continues");
        });
        Assert.Equal(["a cancelled", "b cancelled", "body cancelled", "group exited", "parent continues"], log.Order());
        Assert.Equal(["group exited", "parent continues"], log[^2..]);
    }

    [Fact]
    public void TaskGroup_CancelFromChild_EndsTheGroupQuietly()
    {
        var log = new List<string>();
        VirtualLoop.Run(async loop =>
        {
            await AsyncIO.TaskGroup(async tg =>
            {
                tg.StartSoon(Sleeper("sleeper", log));
                tg.StartSoon(CancelGroup(tg));
                await AsyncIO.Sleep(3600);
                log.Add("body woke");
            });
            log.Add("group exited");
            Assert.Equal(2.0, loop.Time());
            Assert.Equal(0, AsyncIO.CurrentTask!.Cancelling);
        });
        Assert.Equal(["group exited", "sleeper cancelled"], log.Order());

        static async Coroutine CancelGroup(TaskGroup tg)
        {
            await AsyncIO.Sleep(2);
            tg.Cancel();
        }
    }

    [Fact]
    public void TaskGroup_CancelFromChildWhileGroupWaits_ExitsQuietly()
    {
        var log = new List<string>();
        VirtualLoop.Run(async loop =>
        {
            await AsyncIO.TaskGroup(tg =>
            {
                tg.StartSoon(Sleeper("sleeper", log));
                tg.StartSoon(CancelGroup(tg));
                return default;
            });
            log.Add("group exited");
            Assert.Equal(2.0, loop.Time());
            Assert.Equal(0, AsyncIO.CurrentTask!.Cancelling);
            await AsyncIO.Sleep(1);
            log.Add("parent continues");
        });
        Assert.Equal(["sleeper cancelled", "group exited", "parent continues"], log);

        static async Coroutine CancelGroup(TaskGroup tg)
        {
            await AsyncIO.Sleep(2);
            tg.Cancel();
        }
    }

    [Fact]
    public void TaskGroupOfT_Cancelled_ReturnsDefault()
    {
        int result = VirtualLoop.Run(async loop =>
            await AsyncIO.TaskGroup(async tg =>
            {
                tg.Cancel();
                await AsyncIO.Sleep(3600);
                return 5;
            }));
        Assert.Equal(0, result);
    }

    [Fact]
    public void TaskGroup_CancelAfterExit_IsHarmless()
    {
        VirtualLoop.Run(async loop =>
        {
            TaskGroup? group = null;
            await AsyncIO.TaskGroup(tg =>
            {
                group = tg;
                return default;
            });
            group!.Cancel();
            group.Cancel();
            Assert.Equal(0, AsyncIO.CurrentTask!.Cancelling);
            await AsyncIO.Sleep(0.001);
        });
    }

    [Fact]
    public void TaskGroup_CreateTaskAfterGroupFinished_Throws()
    {
        VirtualLoop.Run(async loop =>
        {
            TaskGroup? group = null;
            await AsyncIO.TaskGroup(async tg =>
            {
                group = tg;
                tg.StartSoon(Delayed(0, 1));
                await AsyncIO.Sleep(0);
            });

            Assert.Throws<InvalidOperationException>(() => group!.CreateTask(Delayed(0, 2)));
            Assert.Throws<InvalidOperationException>(() => group!.StartSoon(Delayed(0, 2)));
            Assert.Throws<InvalidOperationException>(() => group!.StartSoon(() => Task.CompletedTask));
            Assert.DoesNotContain(AsyncIO.AllTasks(), t => t != AsyncIO.CurrentTask);
        });
    }

    [Fact]
    public void TaskGroup_CreateTaskWhileShuttingDown_Throws()
    {
        Exception? refused = null;
        VirtualLoop.Run(async loop =>
        {
            await AioAssert.ThrowsAsync<AggregateException>(() => AsyncIO.TaskGroup(async tg =>
            {
                tg.StartSoon(Fail(0, new InvalidOperationException("child")));
                try
                {
                    await AsyncIO.Sleep(3600);
                }
                catch (CancelledException)
                {
                    refused = Record.Exception(() => tg.StartSoon(Delayed(0, 1)));
                    throw;
                }
            }));
        });
        Assert.IsType<InvalidOperationException>(refused);
    }

    [Fact]
    public void TaskGroup_ChildStartsTaskWhileGroupWaits_NewTaskIsAwaitedToo()
    {
        var log = new List<string>();
        VirtualLoop.Run(async loop =>
        {
            await AsyncIO.TaskGroup(tg =>
            {
                tg.StartSoon(Spawner(tg, log));
                return default;
            });
            log.Add("group exited");
            Assert.Equal(6.0, loop.Time());
        });
        Assert.Equal(["spawned", "grandchild done", "group exited"], log);

        static async Coroutine Spawner(TaskGroup tg, List<string> log)
        {
            await AsyncIO.Sleep(1);
            tg.StartSoon(Step("grandchild done", 5, log));
            log.Add("spawned");
        }
    }

    [Fact]
    public void TaskGroup_OutsideTask_ThrowsInvalidOperation()
    {
        Exception? error = null;
        bool bodyRan = false;
        VirtualLoop.Run(async loop =>
        {
            loop.CallSoon(() =>
            {
                // A plain callback belongs to no task; the coroutine fails before its first suspension,
                // so its result is available at once.
                error = Record.Exception(() => AsyncIO.TaskGroup(tg =>
                {
                    bodyRan = true;
                    return default;
                }).GetAwaiter().GetResult());
            });
            await AsyncIO.Sleep(0);
            await AsyncIO.Sleep(0);
        });
        Assert.IsType<InvalidOperationException>(error);
        Assert.False(bodyRan);
    }

    [Fact]
    public void TaskGroup_Nested_InnerFailureReachesOuterAsNestedAggregate()
    {
        var log = new List<string>();
        VirtualLoop.Run(async loop =>
        {
            var error = await AioAssert.ThrowsAsync<AggregateException>(() => AsyncIO.TaskGroup(async outer =>
            {
                outer.StartSoon(Sleeper("outer child", log));
                await AsyncIO.TaskGroup(async inner =>
                {
                    inner.StartSoon(Fail(1, new InvalidOperationException("deep")));
                    await AsyncIO.Sleep(3600);
                });
            }));

            var nested = Assert.IsType<AggregateException>(Assert.Single(error.InnerExceptions));
            Assert.IsType<InvalidOperationException>(Assert.Single(nested.InnerExceptions));
            Assert.Equal(1.0, loop.Time());
            Assert.Equal(0, AsyncIO.CurrentTask!.Cancelling);
        });
        Assert.Equal(["outer child cancelled"], log);
    }

    [Fact]
    public void TaskGroup_InsideTimeout_TimeoutCancelsChildrenAndIsReportedAsTimeout()
    {
        var log = new List<string>();
        VirtualLoop.Run(async loop =>
        {
            await AioAssert.ThrowsAsync<TimeoutException>(() => AsyncIO.Timeout(5, scope =>
                AsyncIO.TaskGroup(async tg =>
                {
                    tg.StartSoon(Sleeper("child", log));
                    await AsyncIO.Sleep(3600);
                })));
            Assert.Equal(5.0, loop.Time());
            Assert.Equal(0, AsyncIO.CurrentTask!.Cancelling);
        });
        Assert.Equal(["child cancelled"], log);
    }

    [Fact]
    public void TaskGroup_FailedChildren_TheirExceptionsCountAsRetrieved()
    {
        var reports = new List<LoopExceptionContext>();
        VirtualLoop.Run(
            async loop =>
            {
                loop.SetExceptionHandler((_, context) => reports.Add(context));
                await AioAssert.ThrowsAsync<AggregateException>(() => AsyncIO.TaskGroup(tg =>
                {
                    tg.StartSoon(Fail(0, new InvalidOperationException("a")));
                    tg.StartSoon(Fail(0, new FormatException("b")));
                    return default;
                }));
            },
            allowHandlerReports: true);

        // Closing the loop reports every failed task whose exception nobody looked at; the group did.
        Assert.Empty(reports);
    }

    [Fact]
    public void TaskGroup_OutsideCancelAfterChildFailure_ThrowsAggregateAndKeepsTheCancellation()
    {
        var log = new List<string>();
        VirtualLoop.Run(async loop =>
        {
            Future<bool> bodyCancelled = loop.CreateFuture<bool>();
            AioTask worker = AsyncIO.CreateTask(Worker(bodyCancelled));
            await bodyCancelled;
            worker.Cancel();

            await AioAssert.ThrowsAsync<CancelledException>(worker);
        });
        Assert.Equal(["body cancelled by the group", "aggregate: InvalidOperationException", "cancelling=1", "next await cancelled"], log);

        async Coroutine Worker(Future<bool> bodyCancelled)
        {
            try
            {
                await AsyncIO.TaskGroup(async tg =>
                {
                    tg.StartSoon(Fail(0, new InvalidOperationException("child")));
                    try
                    {
                        await AsyncIO.Sleep(3600);
                    }
                    catch (CancelledException)
                    {
                        log.Add("body cancelled by the group");
                        bodyCancelled.SetResult(true);

                        // The outside cancellation arrives here, while the group is already aborting.
                        await AsyncIO.Sleep(3600);
                    }
                });
            }
            catch (AggregateException ex)
            {
                log.Add("aggregate: " + Assert.Single(ex.InnerExceptions).GetType().Name);
                log.Add("cancelling=" + AsyncIO.CurrentTask!.Cancelling);
            }

            try
            {
                await AsyncIO.Sleep(0.001);
                log.Add("next await ran");
            }
            catch (CancelledException)
            {
                log.Add("next await cancelled");
                throw;
            }
        }
    }

    private static async Coroutine Step(string name, double seconds, List<string> log)
    {
        await AsyncIO.Sleep(seconds);
        log.Add(name);
    }

    private static async Coroutine<int> AwaitGate(Future<int> gate) => await gate;

    private static async Coroutine<T> Delayed<T>(double seconds, T value)
    {
        await AsyncIO.Sleep(seconds);
        return value;
    }

    private static async Coroutine Fail(double seconds, Exception error)
    {
        await AsyncIO.Sleep(seconds);
        throw error;
    }

    private static async Coroutine Sleeper(string name, List<string> log)
    {
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

    private static async Coroutine FailWhenCancelled(Exception error, List<string> log)
    {
        try
        {
            await AsyncIO.Sleep(3600);
        }
        catch (CancelledException)
        {
            log.Add("cleanup child cancelled");
            throw error;
        }
    }
}
