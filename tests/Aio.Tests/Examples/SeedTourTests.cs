using System.Globalization;
using System.Text.RegularExpressions;

namespace Aio.Tests.Examples;

/// <summary>
/// Each twin in examples/SeedTour prints exactly what its Python original prints. Concurrency shows in
/// the order of the lines, never in timings.
/// </summary>
public sealed partial class SeedTourTests
{
    private const string Project = "SeedTour";

    private static readonly string[] Names =
    [
        "001-generator",
        "001-create-task",
        "001-open-file",
        "003-await",
        "003-await-another",
        "003-create-task",
        "003-gather",
        "003-exception",
        "003-task-exception",
        "003-task-result",
        "003-executor",
        "003-blocking",
        "003-wait-for",
        "003-sleep0",
        "004-echo",
    ];

    public static TheoryData<string, string[]> ExactOutputs => new()
    {
        { "001-generator", ["Received value: 3", "Received value: 4"] },
        { "001-create-task", ["Coroutine function started", "Coroutine function finished"] },
        { "001-open-file", ["文件和网络IO的异步化", "async with asyncio.open(filename) as f"] },
        { "003-await", ["协程开始,等待 2 秒", "协程结束", "等待了 2 秒的结果"] },
        { "003-await-another", ["另一个协程的结果"] },
        { "003-exception", ["Caught an error: Something went wrong!"] },
        { "003-task-exception", ["Caught error from task: Task failed!"] },
        { "003-task-result", ["Caught error from task: Task failed!"] },
        { "003-wait-for", ["任务超时", "(long_running_task was cancelled)"] },
        { "004-echo", ["echoed: hello", "echoed: 你好,协程", "echoed: bye"] },
    };

    [Theory]
    [MemberData(nameof(ExactOutputs))]
    public async Task Twin_PrintsWhatPythonPrints(string name, string[] expected)
    {
        string[] lines = await RunCleanly(name);

        Assert.Equal(expected, lines);
    }

    [Fact]
    public async Task CreateTask_BothTasksStartBeforeEitherEnds()
    {
        string[] lines = await RunCleanly("003-create-task");

        Assert.Equal(["协程开始,等待 1 秒", "协程开始,等待 2 秒", "协程结束", "协程结束", "所有任务完成"], lines);
        AssertStartsPrecedeEnds(lines);
    }

    [Fact]
    public async Task Gather_AllStartBeforeAnyEnds_ResultsInArgumentOrder()
    {
        string[] lines = await RunCleanly("003-gather");

        Assert.Equal(
            ["协程开始,等待 1 秒", "协程开始,等待 2 秒", "协程结束", "协程结束", "['等待了 1 秒的结果', '等待了 2 秒的结果', '另一个协程的结果']"],
            lines);
        AssertStartsPrecedeEnds(lines);
    }

    [Fact]
    public async Task Executor_PrintsResult_LoopKeptTickingMeanwhile()
    {
        string[] lines = await RunCleanly("003-executor");

        Assert.Equal(2, lines.Length);
        Assert.Equal("CPU密集型任务完成,耗时 2 秒", lines[0]);
        Match ticked = TickedLine().Match(lines[1]);
        Assert.True(ticked.Success, lines[1]);
        Assert.True(int.Parse(ticked.Groups[1].Value) > 0, "The loop never ran the ticker while the executor worked.");
    }

    [Fact]
    public async Task Blocking_DebugModeReportsTheBlockingTask_NotTheOneUsingToThread()
    {
        string[] lines = await RunCleanly("003-blocking");

        // Python: "Executing <Task finished name='blocking' coro=<blocking() done, ...> ...> took 0.201 seconds",
        // then the two results. A machine loaded enough to hold some other step past the threshold gets
        // a report for that too, in Python as here: only the blocking task's report is required.
        string[] reports = lines.Where(line => line.StartsWith("Executing ", StringComparison.Ordinal)).ToArray();
        string[] results = lines.Where(line => !line.StartsWith("Executing ", StringComparison.Ordinal)).ToArray();
        Assert.Equal(["阻塞操作完成,耗时 0.2 秒", "阻塞操作完成,耗时 0.2 秒"], results);
        int blocking = Array.FindIndex(lines, line => SlowTaskReport().IsMatch(line));
        Assert.True(blocking >= 0 && blocking < Array.IndexOf(lines, results[0]), string.Join('\n', lines));

        // The thread did the sleeping: no step of in_thread held the loop for the 0.2 s the work took.
        Assert.DoesNotContain(reports, line => line.Contains("name='in_thread'", StringComparison.Ordinal)
            && double.Parse(Took().Match(line).Groups[1].Value, CultureInfo.InvariantCulture) >= 0.2);
    }

    [Fact]
    public async Task Sleep0_PrintsResult_OtherTaskRanMeanwhile()
    {
        string[] lines = await RunCleanly("003-sleep0");

        Assert.Equal(2, lines.Length);
        Assert.Equal("任务完成", lines[0]);
        Match ran = RanLine().Match(lines[1]);
        Assert.True(ran.Success, lines[1]);
        Assert.True(int.Parse(ran.Groups[1].Value) > 0, "sleep(0) never let the other task run.");
    }

    [Fact]
    public async Task List_NamesEveryTwinInOrder()
    {
        string[] lines = await RunCleanly("--list");

        Assert.Equal(Names, lines.Select(line => line.Split(' ', 2)[0]));
        Assert.All(lines, line => Assert.True(line.Split(' ', 2) is [_, { } description] && description.Trim().Length > 0, line));
    }

    [Fact]
    public async Task UnknownName_ExitsWith2_AndSaysSoOnStderr()
    {
        ExampleRun run = await ExampleProcess.RunAsync(Project, "no-such-twin");

        Assert.Equal(2, run.ExitCode);
        Assert.Empty(run.Lines);
        Assert.Contains("no-such-twin", run.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task NoArgument_RunsEveryTwinInOrder_UnderAHeader()
    {
        string[] lines = await RunCleanly();

        Assert.Equal(Names.Select(name => $"== {name} =="), lines.Where(line => line.StartsWith("== ", StringComparison.Ordinal)));
        Assert.Equal("Received value: 3", lines[1]);
        Assert.Equal("echoed: bye", lines[^1]);
    }

    private static async Task<string[]> RunCleanly(params string[] args)
    {
        ExampleRun run = await ExampleProcess.RunAsync(Project, args);
        Assert.True(run.ExitCode == 0, $"Exit code {run.ExitCode}; stderr:\n{run.Stderr}");
        Assert.True(run.Stderr.Length == 0, $"Unexpected stderr:\n{run.Stderr}");
        return [.. run.Lines];
    }

    private static void AssertStartsPrecedeEnds(string[] lines)
    {
        int lastStart = Array.FindLastIndex(lines, line => line.StartsWith("协程开始", StringComparison.Ordinal));
        int firstEnd = Array.FindIndex(lines, line => line == "协程结束");
        Assert.True(lastStart >= 0 && firstEnd >= 0 && lastStart < firstEnd, string.Join('\n', lines));
    }

    [GeneratedRegex(@"^\(the loop ticked (\d+) times meanwhile\)$")]
    private static partial Regex TickedLine();

    [GeneratedRegex(@"^Executing <Task name='blocking' coro=<Seed003Blocking\.Blocking\(\) resumed at Seed003Blocking\.cs:\d+, then finished>> took \d+\.\d{3} seconds$")]
    private static partial Regex SlowTaskReport();

    [GeneratedRegex(@" took (\d+\.\d+) seconds$")]
    private static partial Regex Took();

    [GeneratedRegex(@"^\(another task ran (\d+) times meanwhile\)$")]
    private static partial Regex RanLine();
}
