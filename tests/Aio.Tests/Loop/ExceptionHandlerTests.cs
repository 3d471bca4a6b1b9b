using Aio.Tests.Support;
using Microsoft.Extensions.Logging;

namespace Aio.Tests.Loop;

[Collection(ConsoleCollection.Name)]
public sealed class ExceptionHandlerTests
{
    private static readonly InvalidOperationException s_boom = new("boom from a callback");

    private static void ThrowingCallback() => throw s_boom;

    [Fact]
    public void DefaultHandler_NoLogger_WritesTheReportToStandardErrorAndTheLoopGoesOn()
    {
        bool ranAfter = false;
        string text;
        using (var stderr = new StandardErrorCapture())
        {
            LoopTest.Run(async loop =>
            {
                loop.SetExceptionHandler(null);
                loop.CallSoon(ThrowingCallback);
                loop.CallSoon(() => ranAfter = true);
                await AsyncIO.Sleep(0);
            });
            text = stderr.Text;
        }

        Assert.True(ranAfter);
        Assert.Contains("Exception in callback", text, StringComparison.Ordinal);
        Assert.Contains(nameof(ThrowingCallback), text, StringComparison.Ordinal);
        Assert.Contains("boom from a callback", text, StringComparison.Ordinal);
    }

    [Fact]
    public void DefaultHandler_WithLogger_LogsAnErrorWithTheExceptionAndNothingOnStandardError()
    {
        var logger = new TestLogger();
        bool ranAfter = false;
        string text;
        using (var stderr = new StandardErrorCapture())
        {
            LoopTest.Run(
                async loop =>
                {
                    loop.SetExceptionHandler(null);
                    loop.CallSoon(ThrowingCallback);
                    loop.CallSoon(() => ranAfter = true);
                    await AsyncIO.Sleep(0);
                },
                options: new EventLoopOptions { Logger = logger });
            text = stderr.Text;
        }

        Assert.True(ranAfter);
        LogEntry entry = Assert.Single(logger.Entries);
        Assert.Equal(LogLevel.Error, entry.Level);
        Assert.Same(s_boom, entry.Exception);
        Assert.Contains("Exception in callback", entry.Message, StringComparison.Ordinal);
        Assert.Contains(nameof(ThrowingCallback), entry.Message, StringComparison.Ordinal);
        Assert.Equal(string.Empty, text);
    }

    [Fact]
    public void DefaultHandler_LoggerThrows_FallsBackToStandardError()
    {
        var logger = new TestLogger { FailWith = new InvalidOperationException("logger is broken") };
        bool ranAfter = false;
        string text;
        using (var stderr = new StandardErrorCapture())
        {
            LoopTest.Run(
                async loop =>
                {
                    loop.SetExceptionHandler(null);
                    loop.CallSoon(ThrowingCallback);
                    loop.CallSoon(() => ranAfter = true);
                    await AsyncIO.Sleep(0);
                },
                options: new EventLoopOptions { Logger = logger });
            text = stderr.Text;
        }

        Assert.True(ranAfter);
        Assert.Contains("Exception in callback", text, StringComparison.Ordinal);
        Assert.Contains("boom from a callback", text, StringComparison.Ordinal);
    }

    [Fact]
    public void CustomHandler_CallbackThrows_ReceivesTheLoopAndADescriptiveContext()
    {
        EventLoop? seenLoop = null;
        EventLoop? runningLoop = null;
        var contexts = new List<LoopExceptionContext>();
        int handlerThread = -1;
        int loopThread = -2;
        LoopTest.Run(
            async loop =>
            {
                loopThread = Environment.CurrentManagedThreadId;
                loop.SetExceptionHandler((l, context) =>
                {
                    seenLoop = l;
                    contexts.Add(context);
                    handlerThread = Environment.CurrentManagedThreadId;
                });
                loop.CallSoon(ThrowingCallback);
                await AsyncIO.Sleep(0);
                runningLoop = loop;
            },
            allowHandlerReports: true);
        Assert.Same(runningLoop, seenLoop);
        Assert.Equal(loopThread, handlerThread);
        LoopExceptionContext context = Assert.Single(contexts);
        Assert.Same(s_boom, context.Exception);
        Assert.StartsWith("Exception in callback", context.Message, StringComparison.Ordinal);
        Assert.NotNull(context.Callback);
        Assert.EndsWith(nameof(ExceptionHandlerTests) + "." + nameof(ThrowingCallback), context.Callback, StringComparison.Ordinal);
        Assert.Null(context.Task);
        Assert.Contains("boom from a callback", context.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void CustomHandler_Throws_DefaultHandlerReportsBothAndTheLoopGoesOn()
    {
        var logger = new TestLogger();
        var handlerError = new ArithmeticException("handler is broken");
        bool ranAfter = false;
        LoopTest.Run(
            async loop =>
            {
                loop.SetExceptionHandler((_, _) => throw handlerError);
                loop.CallSoon(ThrowingCallback);
                loop.CallSoon(() => ranAfter = true);
                await AsyncIO.Sleep(0);
                loop.SetExceptionHandler(null);
            },
            options: new EventLoopOptions { Logger = logger });
        Assert.True(ranAfter);
        IReadOnlyList<LogEntry> entries = logger.Entries;
        Assert.All(entries, e => Assert.Equal(LogLevel.Error, e.Level));
        Assert.Contains(entries, e => ReferenceEquals(e.Exception, handlerError)
            && e.Message.Contains("Unhandled error in exception handler", StringComparison.Ordinal));

        // The report the handler failed on must not be lost.
        Assert.Contains(entries, e => ReferenceEquals(e.Exception, s_boom)
            || e.Message.Contains("boom from a callback", StringComparison.Ordinal));
    }

    [Fact]
    public void CustomHandler_ThrowsWithoutLogger_BothReportsGoToStandardError()
    {
        bool ranAfter = false;
        string text;
        using (var stderr = new StandardErrorCapture())
        {
            LoopTest.Run(async loop =>
            {
                loop.SetExceptionHandler((_, _) => throw new ArithmeticException("handler is broken"));
                loop.CallSoon(ThrowingCallback);
                loop.CallSoon(() => ranAfter = true);
                await AsyncIO.Sleep(0);
                loop.SetExceptionHandler(null);
            });
            text = stderr.Text;
        }

        Assert.True(ranAfter);
        int handlerFailure = text.IndexOf("Unhandled error in exception handler", StringComparison.Ordinal);
        Assert.True(handlerFailure >= 0, text);
        Assert.Contains("handler is broken", text, StringComparison.Ordinal);
        Assert.Contains("boom from a callback", text, StringComparison.Ordinal);
    }

    [Fact]
    public void SetExceptionHandler_SetThenNull_GetReturnsWhatWasSet()
    {
        LoopTest.Run(loop =>
        {
            LoopExceptionHandler previous = loop.GetExceptionHandler()!;
            LoopExceptionHandler handler = (_, _) => { };
            loop.SetExceptionHandler(handler);
            Assert.Same(handler, loop.GetExceptionHandler());
            loop.SetExceptionHandler(null);
            Assert.Null(loop.GetExceptionHandler());
            loop.SetExceptionHandler(previous);
            return default;
        });
    }

    [Fact]
    public void CallExceptionHandler_CustomContext_ReachesTheHandlerAsIs()
    {
        var received = new List<LoopExceptionContext>();
        var context = new LoopExceptionContext("something odd happened", new TimeoutException());
        LoopTest.Run(
            loop =>
            {
                loop.SetExceptionHandler((_, c) => received.Add(c));
                loop.CallExceptionHandler(context);
                return default;
            },
            allowHandlerReports: true);
        Assert.Same(context, Assert.Single(received));
    }

    [Fact]
    public void DefaultExceptionHandler_CalledDirectly_WritesMessageAndException()
    {
        string text;
        using (var stderr = new StandardErrorCapture())
        {
            using var loop = new EventLoop();
            loop.DefaultExceptionHandler(new LoopExceptionContext("direct report", new FormatException("bad format")));
            text = stderr.Text;
        }

        Assert.Contains("direct report", text, StringComparison.Ordinal);
        Assert.Contains("bad format", text, StringComparison.Ordinal);
    }
}
