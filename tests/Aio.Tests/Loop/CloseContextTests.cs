using System.Runtime.CompilerServices;

namespace Aio.Tests.Loop;

public sealed class CloseContextTests
{
    private static readonly AsyncLocal<int> s_local = new();

    [Fact]
    public void Close_ReportsAnUnretrievedFailureThroughTheHandler_KeepsTheCallersAsyncLocals()
    {
        int reports = 0;
        var loop = new EventLoop();
        loop.SetExceptionHandler((_, _) => reports++);
        loop.RunUntilComplete(Fail(loop));
        s_local.Value = 42;
        loop.Close();                          // the collected failure goes to the custom handler
        Assert.Equal(1, reports);
        Assert.Equal(42, s_local.Value);       // actual: 0 — Close restored the loop's captured context

        static async Coroutine Fail(EventLoop loop)
        {
            MakeFailedFuture(loop);
            await AsyncIO.Sleep(0);
        }

        [MethodImpl(MethodImplOptions.NoInlining)]
        static void MakeFailedFuture(EventLoop loop) => loop.CreateFuture<int>().SetException(new InvalidOperationException("x"));
    }
}
