using Aio.Tests.Support;

namespace Aio.Tests.Structured;

public sealed class TimeoutScopeTests
{
    [Fact]
    public void Timeout_BodyFinishesInTime_ExitsNormallyWithoutExpiring()
    {
        VirtualLoop.Run(async loop =>
        {
            TimeoutScope? seen = null;
            await AsyncIO.Timeout(10, async scope =>
            {
                seen = scope;
                await AsyncIO.Sleep(1);
            });
            Assert.False(seen!.Expired);
            Assert.Equal(1.0, loop.Time());
            Assert.Equal(0, loop.GetResources().Timers);
        });
    }

    [Fact]
    public void TimeoutOfT_BodyFinishesInTime_ReturnsItsValue()
    {
        string result = VirtualLoop.Run(async loop => await AsyncIO.Timeout(10, async scope =>
        {
            await AsyncIO.Sleep(1);
            return "done";
        }));
        Assert.Equal("done", result);
    }

    [Fact]
    public void Timeout_DeadlinePasses_BodyCancelledThenTimeoutWithCancellationInside()
    {
        var log = new List<string>();
        VirtualLoop.Run(async loop =>
        {
            TimeoutScope? seen = null;
            var error = await AioAssert.ThrowsAsync<TimeoutException>(() => AsyncIO.Timeout(5, async scope =>
            {
                seen = scope;
                try
                {
                    await AsyncIO.Sleep(3600);
                    log.Add("woke");
                }
                finally
                {
                    await AsyncIO.Sleep(1);
                    log.Add("body finally");
                }
            }));
            log.Add("timeout observed");

            // The deadline, then the second the body's finally block took.
            Assert.Equal(6.0, loop.Time());

            Assert.IsType<CancelledException>(error.InnerException);
            Assert.True(seen!.Expired);
            Assert.Equal(0, AsyncIO.CurrentTask!.Cancelling);
        });
        Assert.Equal(["body finally", "timeout observed"], log);
    }

    [Fact]
    public void TimeoutOfT_DeadlinePasses_ThrowsTimeout()
    {
        VirtualLoop.Run(async loop =>
        {
            await AioAssert.ThrowsAsync<TimeoutException, int>(() => AsyncIO.Timeout(2, async scope =>
            {
                await AsyncIO.Sleep(3600);
                return 1;
            }));
            Assert.Equal(2.0, loop.Time());
        });
    }

    [Fact]
    public void Timeout_TimeSpanDelay_ExpiresLikeSeconds()
    {
        VirtualLoop.Run(async loop =>
        {
            await AioAssert.ThrowsAsync<TimeoutException>(() =>
                AsyncIO.Timeout(TimeSpan.FromMilliseconds(2500), async scope => await AsyncIO.Sleep(3600)));
            Assert.Equal(2.5, loop.Time());
        });
    }

    [Fact]
    public void Timeout_NestedInnerDeadlineFirst_InnerScopeReportsTimeoutAndOuterCarriesOn()
    {
        var log = new List<string>();
        VirtualLoop.Run(async loop =>
        {
            TimeoutScope? outerScope = null;
            TimeoutScope? innerScope = null;
            await AsyncIO.Timeout(10, async outer =>
            {
                outerScope = outer;
                try
                {
                    await AsyncIO.Timeout(5, async inner =>
                    {
                        innerScope = inner;
                        await AsyncIO.Sleep(3600);
                    });
                }
                catch (TimeoutException)
                {
                    log.Add($"inner timed out at {loop.Time()}");
                }

                await AsyncIO.Sleep(1);
                log.Add("outer body finished");
            });
            Assert.Equal(6.0, loop.Time());

            Assert.True(innerScope!.Expired);
            Assert.False(outerScope!.Expired);
            Assert.Equal(0, AsyncIO.CurrentTask!.Cancelling);
        });
        Assert.Equal(["inner timed out at 5", "outer body finished"], log);
    }

    [Fact]
    public void Timeout_NestedOuterDeadlineFirst_InnerPropagatesCancellationOuterReportsTimeout()
    {
        var log = new List<string>();
        VirtualLoop.Run(async loop =>
        {
            TimeoutScope? outerScope = null;
            TimeoutScope? innerScope = null;
            await AioAssert.ThrowsAsync<TimeoutException>(() => AsyncIO.Timeout(5, async outer =>
            {
                outerScope = outer;
                try
                {
                    await AsyncIO.Timeout(10, async inner =>
                    {
                        innerScope = inner;
                        await AsyncIO.Sleep(3600);
                    });
                }
                catch (Exception ex)
                {
                    log.Add("inner scope threw " + ex.GetType().Name);
                    throw;
                }
            }));

            Assert.Equal(5.0, loop.Time());
            Assert.True(outerScope!.Expired);
            Assert.False(innerScope!.Expired);
            Assert.Equal(0, AsyncIO.CurrentTask!.Cancelling);
        });
        Assert.Equal(["inner scope threw CancelledException"], log);
    }

    [Fact]
    public void Timeout_NestedBothExpireTogether_OnlyOuterReportsTimeout()
    {
        var log = new List<string>();
        VirtualLoop.Run(async loop =>
        {
            double when = loop.Time() + 5;
            await AioAssert.ThrowsAsync<TimeoutException>(() => AsyncIO.TimeoutAt(when, async outer =>
            {
                try
                {
                    await AsyncIO.TimeoutAt(when, async inner => await AsyncIO.Sleep(3600));
                }
                catch (Exception ex)
                {
                    log.Add("inner scope threw " + ex.GetType().Name);
                    throw;
                }
            }));
            Assert.Equal(5.0, loop.Time());
            Assert.Equal(0, AsyncIO.CurrentTask!.Cancelling);
            await AsyncIO.Sleep(1);
        });
        Assert.Equal(["inner scope threw CancelledException"], log);
    }

    [Fact]
    public void Timeout_RescheduleToNone_BodyRunsPastTheOriginalDeadline()
    {
        VirtualLoop.Run(async loop =>
        {
            TimeoutScope? seen = null;
            await AsyncIO.Timeout(2, async scope =>
            {
                seen = scope;
                scope.Reschedule(null);
                Assert.Null(scope.When);
                await AsyncIO.Sleep(20);
            });
            Assert.False(seen!.Expired);
            Assert.Equal(20.0, loop.Time());
        });
    }

    [Fact]
    public void Timeout_RescheduleAfterLonger_BodyRunsPastTheOriginalDeadline()
    {
        VirtualLoop.Run(async loop =>
        {
            await AsyncIO.Timeout(2, async scope =>
            {
                Assert.Equal(2.0, scope.When);
                scope.RescheduleAfter(10);
                Assert.Equal(10.0, scope.When);
                await AsyncIO.Sleep(9);
                scope.RescheduleAfter(10);
                Assert.Equal(19.0, scope.When);
                await AsyncIO.Sleep(9);
            });
            Assert.Equal(18.0, loop.Time());
        });
    }

    [Fact]
    public void Timeout_RescheduleSooner_ExpiresAtTheNewDeadline()
    {
        VirtualLoop.Run(async loop =>
        {
            TimeoutScope? seen = null;
            await AioAssert.ThrowsAsync<TimeoutException>(() => AsyncIO.Timeout(null, async scope =>
            {
                seen = scope;
                Assert.Null(scope.When);
                scope.RescheduleAfter(2);
                await AsyncIO.Sleep(3600);
            }));
            Assert.True(seen!.Expired);
            Assert.Equal(2.0, loop.Time());
        });
    }

    [Fact]
    public void Timeout_RescheduleIntoThePast_ExpiresAtTheNextSuspension()
    {
        VirtualLoop.Run(async loop =>
        {
            await AioAssert.ThrowsAsync<TimeoutException>(() => AsyncIO.Timeout(10, async scope =>
            {
                await AsyncIO.Sleep(5);
                scope.Reschedule(loop.Time() - 1);
                await AsyncIO.Sleep(3600);
            }));
            Assert.Equal(5.0, loop.Time());
        });
    }

    [Fact]
    public void Timeout_RescheduleAfterExit_Throws()
    {
        VirtualLoop.Run(async loop =>
        {
            TimeoutScope? finished = null;
            await AsyncIO.Timeout(10, async scope =>
            {
                finished = scope;
                await AsyncIO.Sleep(0);
            });
            Assert.Throws<InvalidOperationException>(() => finished!.Reschedule(loop.Time() + 1));
            Assert.Throws<InvalidOperationException>(() => finished!.RescheduleAfter(1));

            TimeoutScope? expired = null;
            await AioAssert.ThrowsAsync<TimeoutException>(() => AsyncIO.Timeout(1, async scope =>
            {
                expired = scope;
                await AsyncIO.Sleep(3600);
            }));
            Assert.Throws<InvalidOperationException>(() => expired!.Reschedule(null));
        });
    }

    [Fact]
    public void Timeout_RescheduleWhileExpiring_Throws()
    {
        Exception? refused = null;
        VirtualLoop.Run(async loop =>
        {
            await AsyncIO.Timeout(1, async scope =>
            {
                try
                {
                    await AsyncIO.Sleep(3600);
                }
                catch (CancelledException)
                {
                    Assert.True(scope.Expired);
                    refused = Record.Exception(() => scope.RescheduleAfter(10));
                }
            });
        });
        Assert.IsType<InvalidOperationException>(refused);
    }

    [Fact]
    public void TimeoutAt_When_ReportsTheDeadline()
    {
        VirtualLoop.Run(async loop =>
        {
            double when = loop.Time() + 100;
            await AsyncIO.TimeoutAt(when, async scope =>
            {
                Assert.Equal(when, scope.When!.Value, 6);
                scope.Reschedule(when + 1);
                Assert.Equal(when + 1, scope.When!.Value, 6);
                await AsyncIO.Sleep(0);
            });

            int value = await AsyncIO.TimeoutAt(null, async scope =>
            {
                Assert.Null(scope.When);
                await AsyncIO.Sleep(0);
                return 3;
            });
            Assert.Equal(3, value);
        });
    }

    [Fact]
    public void TimeoutAt_PastDeadline_TimesOutAtTheFirstSuspension()
    {
        var log = new List<string>();
        VirtualLoop.Run(async loop =>
        {
            await AioAssert.ThrowsAsync<TimeoutException>(() => AsyncIO.TimeoutAt(loop.Time() - 1, async scope =>
            {
                log.Add("body started");
                await AsyncIO.Sleep(3600);
                log.Add("woke");
            }));
            Assert.Equal(0.0, loop.Time());
        });
        Assert.Equal(["body started"], log);
    }

    [Fact]
    public void Timeout_ZeroDelay_TimesOutAtTheFirstSuspension()
    {
        VirtualLoop.RunInOrder(async loop =>
        {
            TimeoutScope? seen = null;
            await AioAssert.ThrowsAsync<TimeoutException>(() => AsyncIO.Timeout(0, async scope =>
            {
                seen = scope;
                await AsyncIO.Sleep(0);
            }));
            Assert.True(seen!.Expired);
        });
    }

    [Fact]
    public void TimeoutAt_PastDeadlineBodyNeverSuspends_ExitsNormally()
    {
        VirtualLoop.Run(async loop =>
        {
            TimeoutScope? seen = null;
            await AsyncIO.TimeoutAt(loop.Time() - 1, scope =>
            {
                seen = scope;
                return default;
            });
            Assert.False(seen!.Expired);
            Assert.Equal(0, AsyncIO.CurrentTask!.Cancelling);

            // The expiry scheduled for the next iteration must have been withdrawn.
            await AsyncIO.Sleep(1);
        });
    }

    [Fact]
    public void Timeout_BodyCatchesCancellationAndFinishes_ScopeExitsNormally()
    {
        VirtualLoop.Run(async loop =>
        {
            TimeoutScope? seen = null;
            int value = await AsyncIO.Timeout(2, async scope =>
            {
                seen = scope;
                try
                {
                    await AsyncIO.Sleep(3600);
                    return 0;
                }
                catch (CancelledException)
                {
                    return 42;
                }
            });

            Assert.Equal(42, value);
            Assert.Equal(2.0, loop.Time());
            Assert.True(seen!.Expired);
            Assert.Equal(0, AsyncIO.CurrentTask!.Cancelling);
            await AsyncIO.Sleep(1);
        });
    }

    [Fact]
    public void Timeout_BodyReplacesCancellationWithOwnError_ThatErrorPropagates()
    {
        VirtualLoop.Run(async loop =>
        {
            var error = await AioAssert.ThrowsAsync<FormatException>(() => AsyncIO.Timeout(2, async scope =>
            {
                try
                {
                    await AsyncIO.Sleep(3600);
                }
                catch (CancelledException)
                {
                    throw new FormatException("replaced");
                }
            }));
            Assert.Equal("replaced", error.Message);
            Assert.Equal(0, AsyncIO.CurrentTask!.Cancelling);
        });
    }

    [Fact]
    public void Timeout_BodyThrowsBeforeDeadline_ExceptionPropagatesUnchanged()
    {
        VirtualLoop.Run(async loop =>
        {
            var error = await AioAssert.ThrowsAsync<FormatException>(() => AsyncIO.Timeout(10, async scope =>
            {
                await AsyncIO.Sleep(0);
                throw new FormatException("body");
            }));
            Assert.Equal("body", error.Message);
            Assert.Equal(0, loop.GetResources().Timers);
        });
    }

    [Fact]
    public void Timeout_HandledTimeout_RestoresCancellingCountAndTaskToken()
    {
        VirtualLoop.Run(async loop =>
        {
            AioTask task = AsyncIO.CurrentTask!;
            CancellationToken tokenInside = default;
            await AioAssert.ThrowsAsync<TimeoutException>(() => AsyncIO.Timeout(2, async scope =>
            {
                tokenInside = AsyncIO.CancellationToken;
                await AsyncIO.Sleep(3600);
            }));

            Assert.True(tokenInside.IsCancellationRequested);
            Assert.Equal(0, task.Cancelling);
            Assert.False(AsyncIO.CancellationToken.IsCancellationRequested);

            // Repeated timeouts stay balanced.
            for (int i = 0; i < 3; i++)
            {
                await AioAssert.ThrowsAsync<TimeoutException>(() => AsyncIO.Timeout(1, async scope => await AsyncIO.Sleep(3600)));
            }

            Assert.Equal(5.0, loop.Time());
            Assert.Equal(0, task.Cancelling);
            await AsyncIO.Sleep(1);
        });
    }

    [Fact]
    public void Timeout_TaskCancelledFromOutside_PropagatesCancellationNotTimeout()
    {
        var log = new List<string>();
        VirtualLoop.Run(async loop =>
        {
            TimeoutScope? seen = null;
            AioTask worker = AsyncIO.CreateTask(Worker());
            await AsyncIO.Sleep(5);
            worker.Cancel();

            await AioAssert.ThrowsAsync<CancelledException>(worker);
            Assert.False(seen!.Expired);
            Assert.Equal(5.0, loop.Time());

            async Coroutine Worker()
            {
                try
                {
                    await AsyncIO.Timeout(10, async scope =>
                    {
                        seen = scope;
                        await AsyncIO.Sleep(3600);
                    });
                }
                catch (Exception ex)
                {
                    log.Add("worker saw " + ex.GetType().Name);
                    throw;
                }
            }
        });
        Assert.Equal(["worker saw CancelledException"], log);
    }

    [Fact]
    public void Timeout_OutsideCancelArrivesAfterExpiry_PropagatesCancellationNotTimeout()
    {
        var log = new List<string>();
        VirtualLoop.Run(async loop =>
        {
            Future<bool> expirySeen = loop.CreateFuture<bool>();
            AioTask worker = AsyncIO.CreateTask(Worker(expirySeen));
            await expirySeen;
            Assert.Equal(2.0, loop.Time());
            worker.Cancel();

            await AioAssert.ThrowsAsync<CancelledException>(worker);
        });
        Assert.Equal(["expired", "worker saw CancelledException"], log);

        async Coroutine Worker(Future<bool> expirySeen)
        {
            try
            {
                await AsyncIO.Timeout(2, async scope =>
                {
                    try
                    {
                        await AsyncIO.Sleep(3600);
                    }
                    catch (CancelledException)
                    {
                        log.Add("expired");
                        expirySeen.SetResult(true);

                        // Still inside the expired scope when the outside request comes.
                        await AsyncIO.Sleep(3600);
                    }
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
    public void Timeout_OutsideTask_ThrowsInvalidOperation()
    {
        Exception? error = null;
        bool bodyRan = false;
        VirtualLoop.Run(async loop =>
        {
            loop.CallSoon(() =>
            {
                // A plain callback belongs to no task; the coroutine fails before its first suspension,
                // so its result is available at once.
                error = Record.Exception(() => AsyncIO.Timeout(1, scope =>
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
    public void Timeout_ExpiresInsideChildTask_OnlyThatTaskTimesOut()
    {
        VirtualLoop.Run(async loop =>
        {
            AioTask<string> child = AsyncIO.CreateTask(TimesOut());
            await AsyncIO.Sleep(10);
            Assert.True(child.IsDone);
            Assert.Equal("timed out", await child);
            Assert.Equal(0, AsyncIO.CurrentTask!.Cancelling);
        });

        static async Coroutine<string> TimesOut()
        {
            try
            {
                await AsyncIO.Timeout(2, async scope => await AsyncIO.Sleep(3600));
                return "finished";
            }
            catch (TimeoutException)
            {
                return "timed out";
            }
        }
    }
}
