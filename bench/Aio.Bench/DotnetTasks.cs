using System.Diagnostics;

namespace Aio.Bench;

/// <summary>
/// The <c>tasks</c> suite in plain .NET on the thread pool, as a reference: the nearest thread-pool
/// equivalent of each loop operation, same counts and batch sizes; see <see cref="Harness"/> for the method.
/// </summary>
internal static class DotnetTasks
{
    public const string SuspendedChildCommand = "suspended-child-dotnet";

    private const int SpawnTotal = 1_000_000;
    private const int SpawnBatch = 10_000;
    private const int SuspendedTasks = 100_000;
    private const int CallSoonTotal = 1_000_000;
    private const int CallSoonBatch = 10_000;
    private const int TimerCount = 100_000;
    private const double TimerSpread = 0.5;
    private const int ThreadsafeThreads = 4;
    private const int ThreadsafePerThread = 250_000;
    private const int Chunk = 1_000;

    private static readonly Action s_nothing = static () => { };

    public static void Run(BenchFilter only)
    {
        if (only.Includes("spawn_await"))
        {
            double[] spawn = Harness.Measure("spawn_await", () => SpawnAwait().GetAwaiter().GetResult());
            Harness.Report("spawn_await", spawn[0], "ns/op");
        }

        if (only.Includes("call_soon"))
        {
            double[] callSoon = Harness.Measure("call_soon", CallSoon);
            Harness.Report("call_soon", callSoon[0], "ns/op");
        }

        if (only.Includes("timers"))
        {
            var timers = new TimerRun();
            double[] timerFigures = Harness.Measure("timers", timers.Run);
            Harness.Report("timers_schedule", timerFigures[0], "ns/timer");
            Harness.Report("timers_late", timerFigures[1], "ms");
        }

        if (only.Includes("threadsafe_wakeups"))
        {
            double[] threadsafe = Harness.Measure("threadsafe_wakeups", ThreadsafeWakeups);
            Harness.Report("threadsafe_wakeups", threadsafe[0], "ns/op");
        }

        if (only.Includes("suspended_task"))
        {
            (double resident, double heap) = ProcessMemory.RunChild(SuspendedChildCommand);
            Harness.Report("suspended_task", resident, "bytes/task");
            Harness.Report("suspended_task_heap", heap, "bytes/task");
        }
    }

    private static async Task<double[]> SpawnAwait()
    {
        var tasks = new Task[SpawnBatch];
        long start = Stopwatch.GetTimestamp();
        for (int batch = 0; batch < SpawnTotal / SpawnBatch; batch++)
        {
            Spawn(tasks);
            await Task.WhenAll(tasks);
        }

        long end = Stopwatch.GetTimestamp();
        return [Harness.NsPerOp(start, end, SpawnTotal)];
    }

    // Hot loops live in small methods called many times per run, as in the Aio suite, so that both
    // suites measure code the JIT has taken to its final tier.
    private static void Spawn(Task[] tasks)
    {
        for (int i = 0; i < tasks.Length; i++)
        {
            tasks[i] = Task.Run(s_nothing);
        }
    }

    private static void Queue(IThreadPoolWorkItem item, int count)
    {
        for (int i = 0; i < count; i++)
        {
            ThreadPool.UnsafeQueueUserWorkItem(item, preferLocal: false);
        }
    }

    /// <summary>A work item that only counts, and signals when a batch has all run.</summary>
    private sealed class CountingItem : IThreadPoolWorkItem
    {
        private readonly ManualResetEventSlim _done = new();
        private int _remaining;

        public void Arm(int count)
        {
            _done.Reset();
            Volatile.Write(ref _remaining, count);
        }

        public void Wait() => _done.Wait();

        public void Execute()
        {
            if (Interlocked.Decrement(ref _remaining) == 0)
            {
                _done.Set();
            }
        }
    }

    private static double[] CallSoon()
    {
        // One instance queued many times: queuing allocates nothing, as call_soon on the loop.
        var item = new CountingItem();
        long start = Stopwatch.GetTimestamp();
        for (int batch = 0; batch < CallSoonTotal / CallSoonBatch; batch++)
        {
            item.Arm(CallSoonBatch);
            Queue(item, CallSoonBatch);
            item.Wait();
        }

        long end = Stopwatch.GetTimestamp();
        return [Harness.NsPerOp(start, end, CallSoonTotal)];
    }

    private sealed class TimerRun
    {
        private static readonly TimerCallback s_fire = static state => ((Probe)state!).Fire();

        private readonly TimeSpan[] _delays = new TimeSpan[TimerCount];
        private readonly Probe[] _probes = new Probe[TimerCount];
        private readonly Timer?[] _timers = new Timer?[TimerCount];
        private readonly ManualResetEventSlim _done = new();
        private int _remaining;

        public TimerRun()
        {
            var random = new Random(12345);
            for (int i = 0; i < TimerCount; i++)
            {
                // System.Threading.Timer counts whole milliseconds: the deadline below uses the same.
                _delays[i] = TimeSpan.FromMilliseconds(Math.Round(random.NextDouble() * TimerSpread * 1000));
                _probes[i] = new Probe(this);
            }
        }

        public double[] Run()
        {
            _done.Reset();
            _remaining = TimerCount;
            Probe[] probes = _probes;
            Timer?[] timers = _timers;

            long start = Stopwatch.GetTimestamp();
            for (int i = 0; i < TimerCount; i += Chunk)
            {
                Schedule(i);
            }

            long end = Stopwatch.GetTimestamp();
            _done.Wait();

            double lateTicks = 0;
            for (int i = 0; i < TimerCount; i++)
            {
                lateTicks += probes[i].Fired - probes[i].Deadline;
                timers[i]!.Dispose();
                timers[i] = null;
            }

            double lateMs = lateTicks / TimerCount * 1000.0 / Stopwatch.Frequency;
            return [Harness.NsPerOp(start, end, TimerCount), lateMs];
        }

        private void Schedule(int from)
        {
            TimeSpan[] delays = _delays;
            Probe[] probes = _probes;
            Timer?[] timers = _timers;
            for (int i = from; i < from + Chunk; i++)
            {
                Probe probe = probes[i];
                probe.Deadline = Stopwatch.GetTimestamp() + (long)(delays[i].TotalSeconds * Stopwatch.Frequency);
                timers[i] = new Timer(s_fire, probe, delays[i], Timeout.InfiniteTimeSpan);
            }
        }

        private sealed class Probe(TimerRun run)
        {
            public long Deadline;
            public long Fired;

            public void Fire()
            {
                Fired = Stopwatch.GetTimestamp();
                if (Interlocked.Decrement(ref run._remaining) == 0)
                {
                    run._done.Set();
                }
            }
        }
    }

    private static double[] ThreadsafeWakeups()
    {
        const int total = ThreadsafeThreads * ThreadsafePerThread;
        var item = new CountingItem();
        item.Arm(total);
        using var go = new ManualResetEventSlim();
        var threads = new Thread[ThreadsafeThreads];
        for (int t = 0; t < threads.Length; t++)
        {
            threads[t] = new Thread(() =>
            {
                go.Wait();
                for (int i = 0; i < ThreadsafePerThread; i += Chunk)
                {
                    Queue(item, Chunk);
                }
            });
            threads[t].Start();
        }

        long start = Stopwatch.GetTimestamp();
        go.Set();
        item.Wait();
        long end = Stopwatch.GetTimestamp();
        foreach (Thread thread in threads)
        {
            thread.Join();
        }

        return [Harness.NsPerOp(start, end, total)];
    }

    // ---- suspended_task, in a fresh process ----------------------------------------------------

    /// <summary>A sleeping task that can be cancelled, like a loop task: the token is part of the cost.</summary>
    private static async Task Sleeper(CancellationToken token) => await Task.Delay(TimeSpan.FromHours(1), token);

    public static void RunSuspendedChild()
    {
        for (int round = 0; round < 2; round++)
        {
            using var warmCancel = new CancellationTokenSource();
            var warm = new Task[300];
            for (int i = 0; i < warm.Length; i++)
            {
                warm[i] = Sleeper(warmCancel.Token);
            }

            warmCancel.Cancel();
            try
            {
                Task.WaitAll(warm);
            }
            catch (AggregateException)
            {
                // Every warm-up sleeper ends cancelled, which is the point.
            }
        }

        // As in the Aio child: let the JIT finish in the background what the warm-up sent it.
        Thread.Sleep(300);
        _ = ProcessMemory.ResidentBytes();

        using var cancel = new CancellationTokenSource();
        var tasks = new Task[SuspendedTasks];
        ProcessMemory.FullCollect();
        long residentBefore = ProcessMemory.ResidentBytes();
        long heapBefore = ProcessMemory.HeapBytes();

        for (int i = 0; i < tasks.Length; i++)
        {
            tasks[i] = Sleeper(cancel.Token);
        }

        ProcessMemory.FullCollect();
        long residentAfter = ProcessMemory.ResidentBytes();
        long heapAfter = ProcessMemory.HeapBytes();
        GC.KeepAlive(tasks);
        ProcessMemory.WriteChildAnswer(
            (residentAfter - residentBefore) / (double)SuspendedTasks,
            (heapAfter - heapBefore) / (double)SuspendedTasks);
    }
}
