using Aio.Tests.Support;

namespace Aio.Tests.Loop;

public sealed class CallSoonTests
{
    [Fact]
    public void CallSoon_SeveralCallbacks_RunInSchedulingOrder()
    {
        var order = new List<int>();
        LoopTest.Run(async loop =>
        {
            for (int i = 0; i < 5; i++)
            {
                int n = i;
                loop.CallSoon(() => order.Add(n));
            }

            await AsyncIO.Sleep(0);
        });
        Assert.Equal([0, 1, 2, 3, 4], order);
    }

    [Fact]
    public void CallSoon_ScheduledFromACallback_WaitsForTheNextIteration()
    {
        var order = new List<string>();
        LoopTest.Run(async loop =>
        {
            loop.CallSoon(() =>
            {
                order.Add("a");
                loop.CallSoon(() => order.Add("c"));
            });
            loop.CallSoon(() => order.Add("b"));
            await AsyncIO.Sleep(0);
            await AsyncIO.Sleep(0);
        });
        Assert.Equal(["a", "b", "c"], order);
    }

    [Fact]
    public void CallSoon_CallbackReschedulingItself_DoesNotStarveStop()
    {
        // If callbacks scheduled during an iteration ran in that same iteration, a callback that
        // reschedules itself would keep the first iteration going for ever and Stop would never take effect.
        int runs = 0;
        LoopTest.WithinSeconds(10, () =>
        {
            using var loop = new EventLoop();
            Action? again = null;
            again = () =>
            {
                runs++;
                loop.CallSoon(again!);
            };
            loop.CallSoon(again);
            loop.Stop();
            loop.RunForever();
        });
        Assert.Equal(1, runs);
    }

    [Fact]
    public void CallSoon_WithState_PassesTheState()
    {
        object? seen = null;
        var state = new object();
        LoopTest.Run(async loop =>
        {
            loop.CallSoon(s => seen = s, state);
            await AsyncIO.Sleep(0);
        });
        Assert.Same(state, seen);
    }

    [Fact]
    public void CallSoon_CallbackRuns_OnTheLoopThreadOutsideAnyTask()
    {
        int loopThread = -1;
        int callbackThread = -2;
        EventLoop? current = null;
        AioTask? task = null;
        bool ran = false;
        LoopTest.Run(async loop =>
        {
            loopThread = Environment.CurrentManagedThreadId;
            loop.CallSoon(() =>
            {
                ran = true;
                callbackThread = Environment.CurrentManagedThreadId;
                current = EventLoop.Current;
                task = AsyncIO.CurrentTask;
            });
            await AsyncIO.Sleep(0);
            Assert.Same(loop, current);
        });
        Assert.True(ran);
        Assert.Equal(loopThread, callbackThread);
        Assert.Null(task);
    }

    [Fact]
    public void CallSoonThreadsafe_OnTheLoopThread_KeepsOrderWithCallSoon()
    {
        var order = new List<string>();
        LoopTest.Run(async loop =>
        {
            loop.CallSoon(() => order.Add("a"));
            loop.CallSoonThreadsafe(() => order.Add("b"));
            loop.CallSoon(() => order.Add("c"));
            await AsyncIO.Sleep(0);
        });
        Assert.Equal(["a", "b", "c"], order);
    }

    [Fact]
    public void CallSoon_NullCallback_ThrowsArgumentNullException()
    {
        LoopTest.Run(loop =>
        {
            Assert.Throws<ArgumentNullException>(() => loop.CallSoon(null!));
            Assert.Throws<ArgumentNullException>(() => loop.CallLater(0, null!));
            Assert.Throws<ArgumentNullException>(() => loop.CallSoonThreadsafe(null!));
            return default;
        });
    }
}
