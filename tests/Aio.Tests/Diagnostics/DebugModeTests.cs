using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;
using Aio.Tests.Support;
using Microsoft.Extensions.Logging;

namespace Aio.Tests.Diagnostics;

/// <summary>What debug mode reports: slow callbacks and task steps, exceptions never retrieved and
/// coroutines never awaited (with where they were created), and calls from foreign threads.</summary>
public sealed partial class DebugModeTests
{
    private static readonly TimeSpan s_threshold = TimeSpan.FromMilliseconds(20);

    /// <summary>Well past the threshold: a report, not a timing assertion.</summary>
    private const int BlockMilliseconds = 60;

    private static EventLoopOptions DebugOptions => new() { Debug = true, SlowCallbackThreshold = s_threshold };

    [Fact]
    public void SlowTaskStep_DebugMode_ReportNamesTaskCoroutineAndWhereItResumed()
    {
        var reports = new List<LoopExceptionContext>();
        AioTask? blocker = null;
        LoopTest.Run(
            async loop =>
            {
                loop.SetExceptionHandler((_, context) => reports.Add(context));
                blocker = AsyncIO.CreateTask(Blocker(), "blocker");
                await blocker;
            },
            options: DebugOptions);

        LoopExceptionContext report = Assert.Single(reports, r => r.Message.StartsWith("Executing ", StringComparison.Ordinal));
        string file = nameof(DebugModeTests) + ".cs";
        Assert.Equal(
            $"Executing <Task name='blocker' coro=<DebugModeTests.Blocker() resumed at {file}:{SourceLines.Of("// resumes here")}, " +
            $"then suspended at {file}:{SourceLines.Of("// suspends here")}>> took X seconds",
            Seconds().Replace(report.Message, "took X seconds"));
        Assert.Same(blocker, report.Task);
        Assert.Equal(LogLevel.Warning, report.Level);
        Assert.True(report.Duration >= s_threshold, $"Duration {report.Duration}");
    }

    [Fact]
    public void SlowCallback_DebugMode_ReportNamesTheCallback()
    {
        var reports = new List<LoopExceptionContext>();
        LoopTest.Run(
            async loop =>
            {
                loop.SetExceptionHandler((_, context) => reports.Add(context));
                loop.CallSoon(SlowCallback);
                await AsyncIO.Sleep(0);
            },
            options: DebugOptions);

        LoopExceptionContext report = Assert.Single(reports);
        Assert.Equal("Executing <Handle DebugModeTests.SlowCallback()> took X seconds", Seconds().Replace(report.Message, "took X seconds"));
        Assert.Null(report.Task);
    }

    [Fact]
    public void SlowTaskStep_DebugOff_NothingReported()
    {
        var reports = new List<LoopExceptionContext>();
        LoopTest.Run(
            async loop =>
            {
                loop.SetExceptionHandler((_, context) => reports.Add(context));
                await AsyncIO.CreateTask(Blocker());
            },
            options: new EventLoopOptions { Debug = false, SlowCallbackThreshold = s_threshold });

        Assert.Empty(reports);
    }

    [Fact]
    public void SlowStep_DebugSwitchedOnWhileRunning_Reported()
    {
        var reports = new List<LoopExceptionContext>();
        LoopTest.Run(
            async loop =>
            {
                loop.SetExceptionHandler((_, context) => reports.Add(context));
                loop.SlowCallbackThreshold = s_threshold;
                loop.Debug = true;
                await AsyncIO.CreateTask(Blocker(), "late");
                loop.Debug = false;
            },
            options: new EventLoopOptions { Debug = false });

        Assert.Contains(reports, r => r.Message.StartsWith("Executing <Task name='late'", StringComparison.Ordinal));
    }

    [Fact]
    public void ExceptionNeverRetrieved_DebugMode_ReportCarriesTheCreationStack()
    {
        List<LoopExceptionContext> reports = RunAndClose(DebugOptions, SpawnFailingAndForget);

        LoopExceptionContext report = Assert.Single(reports, r => r.Message == "Task exception was never retrieved");
        Assert.NotNull(report.CreationStackTrace);
        Assert.Contains(nameof(SpawnFailingAndForget), report.CreationStackTrace.ToString(), StringComparison.Ordinal);
        Assert.Contains("created at:", report.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void ExceptionNeverRetrieved_DebugOff_ReportedWithoutCreationStack()
    {
        List<LoopExceptionContext> reports = RunAndClose(new EventLoopOptions { Debug = false }, SpawnFailingAndForget);

        LoopExceptionContext report = Assert.Single(reports, r => r.Message == "Task exception was never retrieved");
        Assert.Null(report.CreationStackTrace);
    }

    [Fact]
    public void CoroutineNeverAwaited_DebugMode_ReportedWithTheCreationStack()
    {
        List<LoopExceptionContext> reports = RunAndClose(DebugOptions, CreateAndDrop);

        LoopExceptionContext report = Assert.Single(reports);
        Assert.Equal("Coroutine 'DebugModeTests.Forgotten()' was never awaited", report.Message);
        Assert.Equal(LogLevel.Warning, report.Level);
        Assert.Contains(nameof(CreateAndDrop), report.CreationStackTrace!.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void CoroutineNeverAwaited_DebugOff_NothingReported()
    {
        List<LoopExceptionContext> reports = RunAndClose(new EventLoopOptions { Debug = false }, CreateAndDrop);

        Assert.Empty(reports);
    }

    [Fact]
    public void ForeignThread_DebugModeLoopStopped_Throws()
    {
        using var loop = new EventLoop(DebugOptions);
        loop.RunUntilComplete(loop.CreateTask(Nothing()));

        Exception? error = OnOtherThread(() => loop.CallSoon(() => { }));

        Assert.IsType<InvalidOperationException>(error);
        Assert.Contains("CallSoonThreadsafe", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ForeignThread_DebugOffLoopStopped_Allowed()
    {
        using var loop = new EventLoop(new EventLoopOptions { Debug = false });
        loop.RunUntilComplete(loop.CreateTask(Nothing()));

        Assert.Null(OnOtherThread(() => loop.CallSoon(() => { })));
    }

    [Fact]
    public void ForeignThread_DebugModeLoopNeverRun_MayPrepareIt()
    {
        // A loop is often built on one thread and handed to the thread that runs it.
        using var loop = new EventLoop(DebugOptions);

        Assert.Null(OnOtherThread(() => loop.CallSoon(() => { })));
    }

    [Fact]
    public void ForeignThread_DebugModeLoopStopped_PrimitivesBoundToItThrowToo()
    {
        foreach (bool debug in new[] { false, true })
        {
            var gate = new Aio.Sync.AsyncLock();
            using var loop = new EventLoop(new EventLoopOptions { Debug = debug });
            loop.RunUntilComplete(loop.CreateTask(UseLock(gate)));

            Exception? error = OnOtherThread(() => _ = gate.IsLocked);

            if (debug)
            {
                Assert.IsType<InvalidOperationException>(error);
            }
            else
            {
                Assert.Null(error);
            }
        }
    }

    [Fact]
    public void ForeignThread_WhileRunning_ThrowsInEitherMode()
    {
        foreach (bool debug in new[] { false, true })
        {
            Exception? error = null;
            LoopTest.Run(
                loop =>
                {
                    error = OnOtherThread(() => loop.CreateFuture<int>());
                    return Nothing();
                },
                options: new EventLoopOptions { Debug = debug });

            Assert.IsType<InvalidOperationException>(error);
        }
    }

    [Theory]
    [InlineData(null, false)]
    [InlineData("", false)]
    [InlineData("  ", false)]
    [InlineData("0", false)]
    [InlineData("false", false)]
    [InlineData("FALSE", false)]
    [InlineData("1", true)]
    [InlineData(" 1 ", true)]
    [InlineData("true", true)]
    [InlineData("yes", true)]
    public void DebugFlag_EnvironmentValue_ParsedAsPythonAsyncioDebug(string? value, bool expected) =>
        Assert.Equal(expected, EventLoop.ParseDebugFlag(value));

    [Fact]
    public void Debug_OptionGiven_OverridesTheEnvironment()
    {
        using var on = new EventLoop(new EventLoopOptions { Debug = true });
        using var off = new EventLoop(new EventLoopOptions { Debug = false });

        Assert.True(on.Debug);
        Assert.False(off.Debug);
    }

    private static async Coroutine Blocker()
    {
        await AsyncIO.Sleep(0); // resumes here
        Thread.Sleep(BlockMilliseconds);
        await AsyncIO.Sleep(0); // suspends here
    }

    private static async Coroutine UseLock(Aio.Sync.AsyncLock gate)
    {
        using (await gate.LockAsync())
        {
        }
    }

    private static void SlowCallback() => Thread.Sleep(BlockMilliseconds);

    private static async Coroutine Fail()
    {
        await AsyncIO.Sleep(0);
        throw new InvalidOperationException("nobody looks at this");
    }

    private static async Coroutine Forgotten() => await AsyncIO.Sleep(0);

    private static async Coroutine Nothing() => await AsyncIO.Sleep(0);

    /// <summary>Kept out of line so no reference to the task survives in the caller's frame.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void SpawnFailingAndForget() => AsyncIO.CreateTask(Fail());

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void CreateAndDrop() => _ = Forgotten();

    /// <summary>Runs <paramref name="inTask"/> inside a task, lets the loop settle, closes it, and returns
    /// every report the loop made, those made while closing included.</summary>
    private static List<LoopExceptionContext> RunAndClose(EventLoopOptions options, Action inTask)
    {
        var reports = new List<LoopExceptionContext>();
        var loop = new EventLoop(options);
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
            inTask();
            for (int i = 0; i < 3; i++)
            {
                await AsyncIO.Sleep(0);
            }
        }
    }

    private static Exception? OnOtherThread(Action action)
    {
        Exception? error = null;
        var thread = new Thread(() => error = Record.Exception(action)) { IsBackground = true };
        thread.Start();
        Assert.True(thread.Join(TimeSpan.FromSeconds(10)), "the other thread hung");
        return error;
    }

    [GeneratedRegex(@"took \d+\.\d{3} seconds$")]
    private static partial Regex Seconds();
}
