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
}
