using System.Runtime.InteropServices;
using Aio.Diagnostics;
using Aio.Tests.Support;
using Microsoft.Extensions.Logging;

namespace Aio.Tests.Diagnostics;

/// <summary>Debug mode's report at close of whatever was left open, as asyncio's "Task was destroyed but
/// it is pending!" and "unclosed ..." warnings.</summary>
public sealed class UnclosedResourceTests
{
    [Fact]
    public void Close_DebugModeTaskStillPending_ReportedWithTheTaskAndItsCreationStack()
    {
        AioTask? sleeper = null;
        List<LoopExceptionContext> reports = RunThenClose(debug: true, loop => sleeper = SpawnSleeper(loop));

        LoopExceptionContext report = Assert.Single(reports);
        Assert.Equal("Task was destroyed but it is pending!", report.Message);
        Assert.Same(sleeper, report.Task);
        Assert.Equal(LogLevel.Warning, report.Level);
        Assert.Contains(nameof(SpawnSleeper), report.CreationStackTrace!.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Close_DebugModeReaderTimerAndSignalHandlerLeft_EachReported()
    {
        (int read, int write) = Native.CreatePipe();
        try
        {
            List<LoopExceptionContext> reports = RunThenClose(debug: true, loop =>
            {
                loop.AddReader(read, OnReadable);
                loop.CallLater(60, OnTimer);
                loop.AddSignalHandler((PosixSignal)Native.SIGUSR1, OnTimer);
            });

            Assert.Equal(
                [
                    $"Unclosed reader of fd {read} (callback UnclosedResourceTests.OnReadable())",
                    "Unclosed signal handler for signal 10",
                    "Unclosed timer UnclosedResourceTests.OnTimer() due in X s",
                ],
                reports.Select(r => DueIn(r.Message)).Order(StringComparer.Ordinal));
        }
        finally
        {
            Native.Close(read);
            Native.Close(write);
        }
    }

    [Fact]
    public void Close_DebugModeLoopResourceLeftOpen_ReportedWithWhereItWasOpened()
    {
        var resource = new FakeResource();
        List<LoopExceptionContext> reports = RunThenClose(debug: true, loop => Open(loop, resource));

        LoopExceptionContext report = Assert.Single(reports);
        Assert.Equal("Unclosed fake socket fd=99", report.Message);
        Assert.Contains(nameof(Open), report.CreationStackTrace!.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Close_LoopResourceClosedInTime_NothingReported()
    {
        var resource = new FakeResource();
        List<LoopExceptionContext> reports = RunThenClose(debug: true, loop =>
        {
            Open(loop, resource);
            Assert.Equal(1, loop.GetResources().OpenResources);
            Assert.True(loop.UntrackResource(resource));
        });

        Assert.Empty(reports);
    }

    [Fact]
    public void Close_DebugOffWithEverythingLeftOpen_NothingReported()
    {
        List<LoopExceptionContext> reports = RunThenClose(debug: false, loop =>
        {
            SpawnSleeper(loop);
            loop.CallLater(60, OnTimer);
            Open(loop, new FakeResource());
        });

        Assert.Empty(reports);
    }

    private static void OnReadable()
    {
    }

    private static void OnTimer()
    {
    }

    private static AioTask SpawnSleeper(EventLoop loop) => loop.CreateTask(Sleep(), "sleeper");

    private static void Open(EventLoop loop, ILoopResource resource) => loop.TrackResource(resource);

    private static async Coroutine Sleep() => await AsyncIO.Sleep(60);

    private static string DueIn(string message) =>
        System.Text.RegularExpressions.Regex.Replace(message, @"due in \d+\.\d{3} s", "due in X s");

    /// <summary>Runs a loop that does <paramref name="leave"/> on its thread, then closes it and returns
    /// the reports made while closing.</summary>
    private static List<LoopExceptionContext> RunThenClose(bool debug, Action<EventLoop> leave)
    {
        var reports = new List<LoopExceptionContext>();
        var loop = new EventLoop(new EventLoopOptions { Debug = debug });
        try
        {
            loop.SetExceptionHandler((_, context) => reports.Add(context));
            loop.RunUntilComplete(loop.CreateTask(Body()));
        }
        finally
        {
            loop.Close();
        }

        return reports;

        async Coroutine Body()
        {
            leave(AsyncIO.GetRunningLoop());
            await AsyncIO.Sleep(0);
        }
    }

    private sealed class FakeResource : ILoopResource
    {
        public string Describe() => "fake socket fd=99";
    }
}
