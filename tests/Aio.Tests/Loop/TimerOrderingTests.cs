using Aio.Tests.Support;

namespace Aio.Tests.Loop;

public sealed class TimerOrderingTests
{
    [Fact]
    public void CallAt_DifferentDeadlines_FireInDeadlineOrder()
    {
        var order = new List<string>();
        VirtualLoop.RunInOrder(async loop =>
        {
            Future<bool> done = loop.CreateFuture<bool>();
            double now = loop.Time();
            loop.CallAt(now + 3, () =>
            {
                order.Add($"c at {loop.Time()}");
                done.SetResult(true);
            });
            loop.CallAt(now + 1, () => order.Add($"a at {loop.Time()}"));
            loop.CallAt(now + 2, () => order.Add($"b at {loop.Time()}"));
            await done;
        });
        Assert.Equal(["a at 1", "b at 2", "c at 3"], order);
    }

    [Fact]
    public void CallLater_DifferentDelays_FireShortestFirst()
    {
        var order = new List<double>();
        VirtualLoop.RunInOrder(async loop =>
        {
            Future<bool> done = loop.CreateFuture<bool>();
            loop.CallLater(20, () =>
            {
                order.Add(loop.Time());
                done.SetResult(true);
            });
            loop.CallLater(10, () => order.Add(loop.Time()));
            loop.CallLater(0, () => order.Add(loop.Time()));
            await done;
        });

        // Each fired at its own deadline: the value logged is the loop time it ran at.
        Assert.Equal([0.0, 10.0, 20.0], order);
    }

    [Fact]
    public void CallAt_SameDeadline_FireInSchedulingOrder()
    {
        var order = new List<int>();
        VirtualLoop.RunInOrder(async loop =>
        {
            Future<bool> done = loop.CreateFuture<bool>();
            double when = loop.Time() + 1;
            for (int i = 0; i < 10; i++)
            {
                int n = i;
                loop.CallAt(when, () => order.Add(n));
            }

            loop.CallAt(when, () => done.SetResult(true));
            await done;
            Assert.Equal(1.0, loop.Time());
        });
        Assert.Equal(Enumerable.Range(0, 10), order);
    }

    [Fact]
    public void CallAt_ManyShuffledDeadlinesWithTies_FireByDeadlineThenSchedulingOrder()
    {
        // Enough timers, with ties spread through the heap, that an unstable heap would reorder them.
        const int count = 90;
        var random = new Random(1234);
        int[] slot = Enumerable.Range(0, count).Select(_ => random.Next(3)).ToArray();
        var order = new List<int>();
        VirtualLoop.RunInOrder(async loop =>
        {
            Future<bool> done = loop.CreateFuture<bool>();
            double now = loop.Time();
            for (int i = 0; i < count; i++)
            {
                int n = i;
                loop.CallAt(now + slot[i], () =>
                {
                    order.Add(n);
                    if (order.Count == count)
                    {
                        done.SetResult(true);
                    }
                });
            }

            await done;
            Assert.Equal(2.0, loop.Time());
        });
        int[] expected = Enumerable.Range(0, count).OrderBy(i => slot[i]).ThenBy(i => i).ToArray();
        Assert.Equal(expected, order);
    }

    [Fact]
    public void CallAt_PastDeadline_RunsBeforeATimerDueLater()
    {
        var order = new List<string>();
        VirtualLoop.RunInOrder(async loop =>
        {
            Future<bool> done = loop.CreateFuture<bool>();
            loop.CallLater(0, () =>
            {
                order.Add("now");
                done.SetResult(true);
            });
            loop.CallAt(loop.Time() - 1, () => order.Add("past"));
            await done;
        });
        Assert.Equal(["past", "now"], order);
    }

    [Fact]
    public void CallLater_ZeroDelayAndCallSoon_CallSoonFirstThenTimerInTheSameIteration()
    {
        // As asyncio's _run_once: due timers join the ready queue behind what is already there, and the
        // whole batch runs in one iteration; "next" is scheduled during it, so it runs after both.
        var order = new List<string>();
        VirtualLoop.RunInOrder(async loop =>
        {
            Future<bool> done = loop.CreateFuture<bool>();
            loop.CallSoon(() =>
            {
                loop.CallLater(0, () => order.Add("timer"));
                loop.CallSoon(() =>
                {
                    order.Add("soon");
                    loop.CallSoon(() =>
                    {
                        order.Add("next");
                        done.SetResult(true);
                    });
                });
            });
            await done;
        });
        Assert.Equal(["soon", "timer", "next"], order);
    }

    [Fact]
    public void CallLater_NegativeDelay_RunsAsSoonAsPossible()
    {
        bool ran = false;
        VirtualLoop.RunInOrder(async loop =>
        {
            Future<bool> done = loop.CreateFuture<bool>();
            loop.CallLater(-5, () =>
            {
                ran = true;
                done.SetResult(true);
            });
            await done;
        });
        Assert.True(ran);
    }

    [Fact]
    public void CallLater_TimeSpanOverload_FiresLikeSeconds()
    {
        var order = new List<string>();
        VirtualLoop.RunInOrder(async loop =>
        {
            Future<bool> done = loop.CreateFuture<bool>();
            loop.CallLater(TimeSpan.FromMilliseconds(2500), () =>
            {
                order.Add($"span at {loop.Time()}");
                done.SetResult(true);
            });
            loop.CallLater(1.5, () => order.Add($"seconds at {loop.Time()}"));
            await done;
        });
        Assert.Equal(["seconds at 1.5", "span at 2.5"], order);
    }

    [Fact]
    public void CallLater_WithState_PassesTheState()
    {
        object? seen = null;
        var state = new object();
        VirtualLoop.RunInOrder(async loop =>
        {
            Future<bool> done = loop.CreateFuture<bool>();
            loop.CallLater(0, s =>
            {
                seen = s;
                done.SetResult(true);
            }, state);
            await done;
        });
        Assert.Same(state, seen);
    }
}
