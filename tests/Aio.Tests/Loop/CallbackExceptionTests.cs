using Aio.Tests.Support;

namespace Aio.Tests.Loop;

public sealed class CallbackExceptionTests
{
    [Fact]
    public void CallSoon_CallbackThrows_GoesToHandlerAndLoopKeepsRunning()
    {
        var reports = new List<LoopExceptionContext>();
        var boom = new InvalidOperationException("boom");
        var order = new List<string>();
        LoopTest.Run(
            async loop =>
            {
                loop.SetExceptionHandler((_, context) => reports.Add(context));
                loop.CallSoon(() => throw boom);
                loop.CallSoon(() => order.Add("same iteration"));
                await AsyncIO.Sleep(0);
                loop.CallSoon(() => order.Add("next iteration"));
                await AsyncIO.Sleep(0);
            },
            allowHandlerReports: true);
        Assert.Equal(["same iteration", "next iteration"], order);
        LoopExceptionContext report = Assert.Single(reports);
        Assert.Same(boom, report.Exception);
        Assert.StartsWith("Exception in callback", report.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CallLater_CallbackThrows_GoesToHandlerAndLoopKeepsRunning()
    {
        var reports = new List<LoopExceptionContext>();
        var boom = new FormatException("timer boom");
        bool laterRan = false;
        VirtualLoop.Run(
            async loop =>
            {
                loop.SetExceptionHandler((_, context) => reports.Add(context));
                Future<bool> done = loop.CreateFuture<bool>();
                loop.CallLater(0, () => throw boom);
                loop.CallLater(10, () =>
                {
                    laterRan = true;
                    done.SetResult(true);
                });
                await done;
                Assert.Equal(10.0, loop.Time());
            },
            allowHandlerReports: true);
        Assert.True(laterRan);
        LoopExceptionContext report = Assert.Single(reports);
        Assert.Same(boom, report.Exception);
    }

    [Fact]
    public void CallSoon_SeveralCallbacksThrow_EachIsReportedOnce()
    {
        var reports = new List<LoopExceptionContext>();
        LoopTest.Run(
            async loop =>
            {
                loop.SetExceptionHandler((_, context) => reports.Add(context));
                for (int i = 0; i < 3; i++)
                {
                    int n = i;
                    loop.CallSoon(() => throw new InvalidOperationException("boom " + n));
                }

                await AsyncIO.Sleep(0);
                await AsyncIO.Sleep(0);
            },
            allowHandlerReports: true);
        Assert.Equal(["boom 0", "boom 1", "boom 2"], reports.Select(r => r.Exception!.Message));
    }
}
