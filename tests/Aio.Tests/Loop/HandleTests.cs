using Aio.Tests.Support;

namespace Aio.Tests.Loop;

public sealed class HandleTests
{
    [Fact]
    public void Cancel_BeforeCallbackRuns_CallbackNeverRuns()
    {
        bool ran = false;
        LoopTest.Run(async loop =>
        {
            Handle handle = loop.CallSoon(() => ran = true);
            Assert.False(handle.IsCancelled);
            handle.Cancel();
            Assert.True(handle.IsCancelled);
            await AsyncIO.Sleep(0);
            await AsyncIO.Sleep(0);
            Assert.True(handle.IsCancelled);
        });
        Assert.False(ran);
    }

    [Fact]
    public void Cancel_ByAnEarlierCallbackOfTheSameIteration_CallbackNeverRuns()
    {
        var order = new List<string>();
        LoopTest.Run(async loop =>
        {
            Handle victim = default;
            loop.CallSoon(() =>
            {
                order.Add("canceller");
                victim.Cancel();
            });
            victim = loop.CallSoon(() => order.Add("victim"));
            loop.CallSoon(() => order.Add("after"));
            await AsyncIO.Sleep(0);
            await AsyncIO.Sleep(0);
        });
        Assert.Equal(["canceller", "after"], order);
    }

    [Fact]
    public void Cancel_AfterCallbackRan_HasNoEffect()
    {
        int runs = 0;
        LoopTest.Run(async loop =>
        {
            Handle handle = loop.CallSoon(() => runs++);
            await AsyncIO.Sleep(0);
            Assert.Equal(1, runs);
            handle.Cancel();
            handle.Cancel();
            Assert.False(handle.IsCancelled);
            await AsyncIO.Sleep(0);
        });
        Assert.Equal(1, runs);
    }

    [Fact]
    public void Cancel_StaleHandleAfterLaterCallSoon_DoesNotCancelTheLaterCallback()
    {
        bool laterRan = false;
        LoopTest.Run(async loop =>
        {
            Handle first = loop.CallSoon(() => { });
            await AsyncIO.Sleep(0);
            Handle later = loop.CallSoon(() => laterRan = true);
            first.Cancel();
            Assert.False(later.IsCancelled);
            Assert.NotEqual(first, later);
            await AsyncIO.Sleep(0);
        });
        Assert.True(laterRan);
    }

    [Fact]
    public void Cancel_OwnHandleFromInsideTheCallback_DoesNotCancelWhatTheCallbackSchedules()
    {
        bool nextRan = false;
        LoopTest.Run(async loop =>
        {
            Handle self = default;
            self = loop.CallSoon(() =>
            {
                loop.CallSoon(() => nextRan = true);
                self.Cancel();
            });
            await AsyncIO.Sleep(0);
            await AsyncIO.Sleep(0);
            Assert.False(self.IsCancelled);
        });
        Assert.True(nextRan);
    }

    [Fact]
    public void DefaultHandles_Cancel_DoNothing()
    {
        Handle handle = default;
        TimerHandle timer = default;
        handle.Cancel();
        timer.Cancel();
        Assert.False(handle.IsCancelled);
        Assert.False(timer.IsCancelled);
        Assert.Equal(default, handle);
    }

    [Fact]
    public void Handles_SameHandleCopied_AreEqual()
    {
        LoopTest.Run(async loop =>
        {
            Handle a = loop.CallSoon(() => { });
            Handle copy = a;
            Handle b = loop.CallSoon(() => { });
            Assert.True(a == copy);
            Assert.True(a != b);
            Assert.Equal(a.GetHashCode(), copy.GetHashCode());
            TimerHandle t = loop.CallLater(0, () => { });
            TimerHandle tCopy = t;
            Assert.True(t == tCopy);
            Assert.True(t.Equals((object)tCopy));
            await AsyncIO.Sleep(0);
            await AsyncIO.Sleep(0);
        });
    }

    [Fact]
    public void TimerHandleCancel_BeforeDeadline_CallbackNeverRunsAndTimerIsRemoved()
    {
        bool ran = false;
        VirtualLoop.Run(async loop =>
        {
            int before = loop.GetResources().Timers;
            TimerHandle timer = loop.CallLater(1, () => ran = true);
            Assert.Equal(before + 1, loop.GetResources().Timers);
            Assert.False(timer.IsCancelled);
            timer.Cancel();
            Assert.True(timer.IsCancelled);
            Assert.Equal(before, loop.GetResources().Timers);
            await AsyncIO.Sleep(3);
        });
        Assert.False(ran);
    }

    [Fact]
    public void TimerHandleCancel_OneOfSeveral_OthersStillFireInOrder()
    {
        var order = new List<int>();
        VirtualLoop.Run(async loop =>
        {
            Future<bool> done = loop.CreateFuture<bool>();
            double now = loop.Time();
            var timers = new List<TimerHandle>();
            for (int i = 0; i < 6; i++)
            {
                int n = i;
                timers.Add(loop.CallAt(now + (6 - i), () => order.Add(n)));
            }

            loop.CallAt(now + 10, () => done.SetResult(true));
            timers[2].Cancel();
            timers[5].Cancel();
            await done;
        });
        Assert.Equal([4, 3, 1, 0], order);
    }

    [Fact]
    public void TimerHandleCancel_ByAnotherTimerDueInTheSameIteration_CallbackNeverRuns()
    {
        var order = new List<string>();
        VirtualLoop.RunInOrder(async loop =>
        {
            Future<bool> done = loop.CreateFuture<bool>();
            double when = loop.Time() - 1;
            TimerHandle victim = default;
            loop.CallAt(when, () =>
            {
                order.Add("canceller");
                victim.Cancel();
            });
            victim = loop.CallAt(when, () => order.Add("victim"));
            loop.CallAt(when, () =>
            {
                order.Add("after");
                done.SetResult(true);
            });
            await done;
            Assert.True(victim.IsCancelled);
        });
        Assert.Equal(["canceller", "after"], order);
    }

    [Fact]
    public void TimerHandleCancel_AfterItFired_HasNoEffect()
    {
        int runs = 0;
        bool laterRan = false;
        VirtualLoop.Run(async loop =>
        {
            Future<bool> fired = loop.CreateFuture<bool>();
            TimerHandle timer = loop.CallLater(0, () =>
            {
                runs++;
                fired.SetResult(true);
            });
            await fired;
            Future<bool> laterFired = loop.CreateFuture<bool>();
            TimerHandle later = loop.CallLater(0, () =>
            {
                laterRan = true;
                laterFired.SetResult(true);
            });
            timer.Cancel();
            Assert.False(timer.IsCancelled);
            Assert.False(later.IsCancelled);
            await laterFired;
        });
        Assert.Equal(1, runs);
        Assert.True(laterRan);
    }

    [Fact]
    public void TimerHandleWhen_CallAt_IsTheDeadlineGiven()
    {
        LoopTest.Run(loop =>
        {
            double when = loop.Time() + 12.5;
            TimerHandle timer = loop.CallAt(when, () => { });
            Assert.Equal(when, timer.When, 6);
            timer.Cancel();
            Assert.Equal(when, timer.When, 6);
            return default;
        });
    }

    [Fact]
    public void TimerHandleWhen_CallLater_IsLoopTimePlusDelay()
    {
        LoopTest.Run(loop =>
        {
            double before = loop.Time();
            TimerHandle timer = loop.CallLater(7, () => { });
            double after = loop.Time();
            timer.Cancel();
            Assert.InRange(timer.When, before + 7 - 1e-6, after + 7 + 1e-6);
            return default;
        });
    }
}
