using System.Runtime.InteropServices;
using Aio.Tests.Support;

namespace Aio.Tests.Loop;

/// <remarks>
/// SIGUSR1 terminates the process unless someone handles it, so each test sends it only while a loop
/// handler is registered, and waits for that handler to run before removing it.
/// </remarks>
public sealed class SignalTests
{
    private static readonly PosixSignal s_usr1 = (PosixSignal)Native.SIGUSR1;

    [Fact]
    public void AddSignalHandler_SignalSentToThisProcess_CallbackRunsOnTheLoopThread()
    {
        int loopThread = -1;
        int callbackThread = -2;
        EventLoop? current = null;
        LoopTest.WithinSeconds(10, () => LoopTest.Run(async loop =>
        {
            loopThread = Environment.CurrentManagedThreadId;
            Future<bool> received = loop.CreateFuture<bool>();
            loop.AddSignalHandler(s_usr1, () =>
            {
                callbackThread = Environment.CurrentManagedThreadId;
                current = EventLoop.Current;
                received.TrySetResult(true);
            });
            Assert.Equal(1, loop.GetResources().SignalHandlers);
            Native.SignalSelf(Native.SIGUSR1);
            await received;
            Assert.Same(loop, current);
            Assert.True(loop.RemoveSignalHandler(s_usr1));
        }));
        Assert.Equal(loopThread, callbackThread);
    }

    [Fact]
    public void AddSignalHandler_SignalSentTwice_CallbackRunsEachTime()
    {
        int calls = 0;
        LoopTest.WithinSeconds(10, () => LoopTest.Run(async loop =>
        {
            Future<bool> first = loop.CreateFuture<bool>();
            Future<bool> second = loop.CreateFuture<bool>();
            loop.AddSignalHandler(s_usr1, () =>
            {
                calls++;
                (calls == 1 ? first : second).TrySetResult(true);
            });
            Native.SignalSelf(Native.SIGUSR1);
            await first;
            Native.SignalSelf(Native.SIGUSR1);
            await second;
            Assert.True(loop.RemoveSignalHandler(s_usr1));
        }));
        Assert.Equal(2, calls);
    }

    [Fact]
    public void RemoveSignalHandler_Registered_ReturnsTrueThenFalse()
    {
        LoopTest.Run(loop =>
        {
            Assert.False(loop.RemoveSignalHandler(s_usr1));
            loop.AddSignalHandler(s_usr1, () => { });
            Assert.True(loop.RemoveSignalHandler(s_usr1));
            Assert.False(loop.RemoveSignalHandler(s_usr1));
            Assert.Equal(0, loop.GetResources().SignalHandlers);
            return default;
        });
    }

    [Fact]
    public void AddSignalHandler_SameSignalTwice_OnlyTheNewHandlerRuns()
    {
        var calls = new List<string>();
        LoopTest.WithinSeconds(10, () => LoopTest.Run(async loop =>
        {
            Future<bool> received = loop.CreateFuture<bool>();
            loop.AddSignalHandler(s_usr1, () => calls.Add("old"));
            loop.AddSignalHandler(s_usr1, () =>
            {
                calls.Add("new");
                received.TrySetResult(true);
            });
            Assert.Equal(1, loop.GetResources().SignalHandlers);
            Native.SignalSelf(Native.SIGUSR1);
            await received;

            // Anything the signal queued has had time to reach the loop.
            await AsyncIO.Sleep(0.02);
            Assert.True(loop.RemoveSignalHandler(s_usr1));
        }));
        Assert.Equal(["new"], calls);
    }

    [Fact]
    public void AddSignalHandler_CallbackThrows_GoesToTheHandlerAndTheLoopGoesOn()
    {
        var reports = new List<LoopExceptionContext>();
        var boom = new InvalidOperationException("signal callback failed");
        bool ranAfter = false;
        LoopTest.WithinSeconds(10, () => LoopTest.Run(
            async loop =>
            {
                Future<bool> reported = loop.CreateFuture<bool>();
                loop.SetExceptionHandler((_, context) =>
                {
                    reports.Add(context);
                    reported.TrySetResult(true);
                });
                loop.AddSignalHandler(s_usr1, () => throw boom);
                Native.SignalSelf(Native.SIGUSR1);
                await reported;
                Assert.True(loop.RemoveSignalHandler(s_usr1));
                await AsyncIO.Sleep(0);
                ranAfter = true;
            },
            allowHandlerReports: true));
        Assert.True(ranAfter);
        LoopExceptionContext report = Assert.Single(reports);
        Assert.Same(boom, report.Exception);
    }

    [Fact]
    public void Close_WithASignalHandler_RemovesIt()
    {
        var loop = new EventLoop();
        loop.AddSignalHandler(s_usr1, () => { });
        Assert.Equal(1, loop.GetResources().SignalHandlers);
        loop.Close();
        Assert.Equal(0, loop.GetResources().SignalHandlers);
        Assert.False(loop.RemoveSignalHandler(s_usr1));
    }
}
