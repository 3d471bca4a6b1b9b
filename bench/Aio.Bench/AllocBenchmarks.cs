using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace Aio.Bench;

/// <summary>
/// Shows that steady-state awaits on the loop allocate nothing. One operation is one await inside a
/// long-running task: each invocation runs one task that awaits many times (OperationsPerInvoke), so the
/// few objects an invocation itself needs (its task, the run bookkeeping) amortise to well under a byte
/// per operation and the reported figure is the await's own. Nothing is subtracted.
/// </summary>
/// <remarks>
/// The loop is created once and reused by every invocation through <see cref="EventLoop.RunUntilComplete(Coroutine)"/>,
/// because a pending future has to exist before it is awaited: the futures are made in the iteration
/// setup, which the memory diagnoser does not count, so the pending-future benchmark measures the await
/// and not the future's creation.
/// </remarks>
[MemoryDiagnoser]
public class AllocBenchmarks
{
    private const int YieldOperations = 1_000_000;
    private const int TimerOperations = 10_000;
    private const int FutureOperations = 1_000_000;
    private const int PendingOperations = 2_000_000;

    private static readonly Action<object?> s_complete = static future => ((Future<int>)future!).SetResult(1);

    private EventLoop _loop = null!;
    private Future<int> _completed = null!;
    private readonly Future<int>[] _pending = new Future<int>[PendingOperations];

    /// <summary>Runs the benchmarks in this process with a short job, then checks the figures.</summary>
    public static int Run(string[] args)
    {
        // In-process: a generated benchmark project would inherit this repository's build rules.
        IConfig config = DefaultConfig.Instance
            .AddJob(Job.ShortRun.WithToolchain(InProcessEmitToolchain.Instance))
            .WithOptions(ConfigOptions.JoinSummary)
            .WithSummaryStyle(SummaryStyle.Default.WithZeroMetricValuesInContent());
        Summary[] summaries = BenchmarkSwitcher.FromTypes([typeof(AllocBenchmarks)]).Run(args.Length == 0 ? ["--filter", "*"] : args, config).ToArray();

        int failures = 0;
        int reports = 0;
        foreach (BenchmarkReport report in summaries.SelectMany(s => s.Reports))
        {
            reports++;
            long? allocated = report.GcStats.GetTotalAllocatedBytes(excludeAllocationQuantumSideEffects: true);
            if (!report.Success || report.GcStats.TotalOperations == 0 || allocated is null)
            {
                Console.Error.WriteLine($"{report.BenchmarkCase.Descriptor.WorkloadMethod.Name}: no result");
                failures++;
                continue;
            }

            double perOp = (double)allocated.Value / report.GcStats.TotalOperations;
            bool zero = perOp < 0.5;
            Console.WriteLine($"{report.BenchmarkCase.Descriptor.WorkloadMethod.Name}: {perOp:0.###} B allocated per await ({(zero ? "ok" : "NOT ZERO")})");
            failures += zero ? 0 : 1;
        }

        return reports == 0 || failures > 0 ? 1 : 0;
    }

    [GlobalSetup]
    public void Setup()
    {
        _loop = new EventLoop();
        _completed = _loop.CreateFuture<int>();
        _completed.SetResult(1);
    }

    [GlobalCleanup]
    public void Cleanup() => _loop.Close();

    [IterationSetup(Target = nameof(AwaitPendingFuture))]
    public void CreatePendingFutures()
    {
        for (int i = 0; i < _pending.Length; i++)
        {
            _pending[i] = _loop.CreateFuture<int>();
        }
    }

    [Benchmark(OperationsPerInvoke = YieldOperations)]
    public void AwaitSleepZero() => _loop.RunUntilComplete(SleepZeroLoop());

    [Benchmark(OperationsPerInvoke = TimerOperations)]
    public void AwaitShortSleep() => _loop.RunUntilComplete(ShortSleepLoop());

    [Benchmark(OperationsPerInvoke = FutureOperations)]
    public int AwaitCompletedFuture() => _loop.RunUntilComplete(CompletedFutureLoop());

    [Benchmark(OperationsPerInvoke = PendingOperations)]
    public int AwaitPendingFuture() => _loop.RunUntilComplete(PendingFutureLoop());

    private static async Coroutine SleepZeroLoop()
    {
        for (int i = 0; i < YieldOperations; i++)
        {
            await AsyncIO.Sleep(0);
        }
    }

    private static async Coroutine ShortSleepLoop()
    {
        // Ten microseconds: a real timer, and a real wait in the reactor for it.
        for (int i = 0; i < TimerOperations; i++)
        {
            await AsyncIO.Sleep(0.00001);
        }
    }

    private async Coroutine<int> CompletedFutureLoop()
    {
        Future<int> future = _completed;
        int sum = 0;
        for (int i = 0; i < FutureOperations; i++)
        {
            sum += await future;
        }

        return sum;
    }

    private async Coroutine<int> PendingFutureLoop()
    {
        EventLoop loop = AsyncIO.GetRunningLoop();
        Future<int>[] pending = _pending;
        int sum = 0;
        for (int i = 0; i < pending.Length; i++)
        {
            Future<int> future = pending[i];
            loop.CallSoon(s_complete, future);
            sum += await future;
        }

        return sum;
    }
}
