using System.Diagnostics;

namespace Aio.Bench;

/// <summary>The <c>tasks</c> suite on Aio's event loop; see <see cref="Harness"/> for the method.</summary>
internal static class AioTasks
{
    public const string SuspendedChildCommand = "suspended-child";

    private const int SpawnTotal = 1_000_000;
    private const int SpawnBatch = 10_000;
    private const int SuspendedTasks = 100_000;
    private const int CallSoonTotal = 1_000_000;
    private const int CallSoonBatch = 10_000;
    private const int TimerCount = 100_000;
    private const double TimerSpread = 0.5;
    private const int ThreadsafeThreads = 4;
    private const int ThreadsafePerThread = 250_000;

    /// <summary>Timers and thread-safe calls are issued in chunks of this many; see <see cref="Spawn"/>.</summary>
    private const int Chunk = 1_000;

    private static readonly Action<object?> s_nothing = static _ => { };

    public static void Run(BenchFilter only)
    {
        AsyncIO.Run(Suite(only));
        if (only.Includes("suspended_task"))
        {
            (double resident, double heap) = ProcessMemory.RunChild(SuspendedChildCommand);
            Harness.Report("suspended_task", resident, "bytes/task");
            Harness.Report("suspended_task_heap", heap, "bytes/task");
        }
    }

    private static async Coroutine Suite(BenchFilter only)
    {
        if (only.Includes("spawn_await"))
        {
            double[] spawn = await Harness.MeasureAsync("spawn_await", SpawnAwait);
            Harness.Report("spawn_await", spawn[0], "ns/op");
        }

        if (only.Includes("call_soon"))
        {
            double[] callSoon = await Harness.MeasureAsync("call_soon", CallSoon);
            Harness.Report("call_soon", callSoon[0], "ns/op");
        }

        if (only.Includes("timers"))
        {
            var timers = new TimerRun();
            double[] timerFigures = await Harness.MeasureAsync("timers", timers.Run);
            Harness.Report("timers_schedule", timerFigures[0], "ns/timer");
            Harness.Report("timers_late", timerFigures[1], "ms");
        }

        if (only.Includes("threadsafe_wakeups"))
        {
            double[] threadsafe = await Harness.MeasureAsync("threadsafe_wakeups", ThreadsafeWakeups.Run);
            Harness.Report("threadsafe_wakeups", threadsafe[0], "ns/op");
        }
    }

    // Empty on purpose: the figure is what a task itself costs.
    private static async Coroutine Trivial()
    {
    }

    private static async Coroutine<double[]> SpawnAwait()
    {
        var tasks = new Future[SpawnBatch];
        long start = Stopwatch.GetTimestamp();
        for (int batch = 0; batch < SpawnTotal / SpawnBatch; batch++)
        {
            Spawn(tasks);
            await AsyncIO.Gather(tasks);
        }

        long end = Stopwatch.GetTimestamp();
        return [Harness.NsPerOp(start, end, SpawnTotal)];
    }

    // Hot loops live in small methods called many times per run: a loop inside a coroutine that runs
    // once per run would only ever get the JIT's on-stack-replacement code, never its final tier, and
    // the figure would measure the JIT rather than the loop.
    private static void Spawn(Future[] tasks)
    {
        for (int i = 0; i < tasks.Length; i++)
        {
            tasks[i] = AsyncIO.CreateTask(Trivial());
        }
    }

    private static async Coroutine<double[]> CallSoon()
    {
        EventLoop loop = AsyncIO.GetRunningLoop();
        long start = Stopwatch.GetTimestamp();
        for (int batch = 0; batch < CallSoonTotal / CallSoonBatch; batch++)
        {
            ScheduleNothing(loop, CallSoonBatch);

            // The yield queues this task behind the batch, so the batch has run when it resumes.
            await AsyncIO.Sleep(0);
        }

        long end = Stopwatch.GetTimestamp();
        return [Harness.NsPerOp(start, end, CallSoonTotal)];
    }

    private static void ScheduleNothing(EventLoop loop, int count)
    {
        for (int i = 0; i < count; i++)
        {
            loop.CallSoon(s_nothing, null);
        }
    }

    /// <summary>One run of the timer benchmark; the arrays are made once so a run times only the loop.</summary>
    private sealed class TimerRun
    {
        private static readonly Action<object?> s_fire = static state => ((Probe)state!).Fire();

        private readonly double[] _delays = new double[TimerCount];
        private readonly Probe[] _probes = new Probe[TimerCount];
        private readonly TimerHandle[] _handles = new TimerHandle[TimerCount];
        private EventLoop? _loop;
        private Future<bool>? _done;
        private int _remaining;

        public TimerRun()
        {
            var random = new Random(12345);
            for (int i = 0; i < TimerCount; i++)
            {
                _delays[i] = random.NextDouble() * TimerSpread;
                _probes[i] = new Probe(this);
            }
        }

        public async Coroutine<double[]> Run()
        {
            EventLoop loop = _loop = AsyncIO.GetRunningLoop();
            _done = loop.CreateFuture<bool>();
            _remaining = TimerCount;

            long start = Stopwatch.GetTimestamp();
            for (int i = 0; i < TimerCount; i += Chunk)
            {
                Schedule(loop, i);
            }

            long end = Stopwatch.GetTimestamp();
            await _done;

            double late = 0;
            for (int i = 0; i < TimerCount; i++)
            {
                late += _probes[i].Fired - _handles[i].When;
            }

            return [Harness.NsPerOp(start, end, TimerCount), late / TimerCount * 1000];
        }

        private void Schedule(EventLoop loop, int from)
        {
            double[] delays = _delays;
            Probe[] probes = _probes;
            TimerHandle[] handles = _handles;
            for (int i = from; i < from + Chunk; i++)
            {
                handles[i] = loop.CallLater(delays[i], s_fire, probes[i]);
            }
        }

        private sealed class Probe(TimerRun run)
        {
            public double Fired;

            public void Fire()
            {
                Fired = run._loop!.Time();
                if (--run._remaining == 0)
                {
                    run._done!.SetResult(true);
                }
            }
        }
    }

    private static class ThreadsafeWakeups
    {
        private const int Total = ThreadsafeThreads * ThreadsafePerThread;

        private static readonly Action<object?> s_count = static _ =>
        {
            if (++s_ran == Total)
            {
                s_done!.SetResult(true);
            }
        };

        // Touched by the loop thread only: the callbacks all run there.
        private static int s_ran;
        private static Future<bool>? s_done;

        public static async Coroutine<double[]> Run()
        {
            EventLoop loop = AsyncIO.GetRunningLoop();
            s_ran = 0;
            s_done = loop.CreateFuture<bool>();
            using var go = new ManualResetEventSlim();
            var threads = new Thread[ThreadsafeThreads];
            for (int t = 0; t < threads.Length; t++)
            {
                threads[t] = new Thread(() =>
                {
                    go.Wait();
                    for (int i = 0; i < ThreadsafePerThread; i += Chunk)
                    {
                        Post(loop);
                    }
                });
                threads[t].Start();
            }

            long start = Stopwatch.GetTimestamp();
            go.Set();
            await s_done;
            long end = Stopwatch.GetTimestamp();
            foreach (Thread thread in threads)
            {
                thread.Join();
            }

            return [Harness.NsPerOp(start, end, Total)];
        }

        private static void Post(EventLoop loop)
        {
            for (int i = 0; i < Chunk; i++)
            {
                loop.CallSoonThreadsafe(s_count, null);
            }
        }
    }

    // ---- suspended_task, in a fresh process ----------------------------------------------------

    public static void RunSuspendedChild() => AsyncIO.Run(SuspendedChild());

    private static async Coroutine Sleeper() => await AsyncIO.Sleep(3600);

    private static async Coroutine SuspendedChild()
    {
        // Every code path the measured tasks take runs here first, so its JIT-compiled code, static
        // state and first-use buffers are in the baseline rather than charged to the tasks.
        var warm = new Future[300];
        for (int round = 0; round < 2; round++)
        {
            for (int i = 0; i < warm.Length; i++)
            {
                warm[i] = AsyncIO.CreateTask(Sleeper());
            }

            await AsyncIO.Sleep(0);
            foreach (Future task in warm)
            {
                task.Cancel();
            }

            await AsyncIO.GatherReturnExceptions(warm);
            await AsyncIO.Sleep(0.01);
        }

        Array.Clear(warm);

        // Idle a moment so the JIT finishes in the background what the warm-up sent it, instead of
        // allocating for it while the tasks are measured.
        await AsyncIO.Sleep(0.3);
        _ = ProcessMemory.ResidentBytes();

        var tasks = new AioTask[SuspendedTasks];
        ProcessMemory.FullCollect();
        long residentBefore = ProcessMemory.ResidentBytes();
        long heapBefore = ProcessMemory.HeapBytes();

        for (int i = 0; i < tasks.Length; i++)
        {
            tasks[i] = AsyncIO.CreateTask(Sleeper());
        }

        // Every first step runs before the yield returns; the short sleep then lets the loop go idle,
        // when it gives back what the burst of first steps grew, as it would in a real program.
        await AsyncIO.Sleep(0);
        await AsyncIO.Sleep(0.01);

        ProcessMemory.FullCollect();
        long residentAfter = ProcessMemory.ResidentBytes();
        long heapAfter = ProcessMemory.HeapBytes();
        GC.KeepAlive(tasks);
        ProcessMemory.WriteChildAnswer(
            (residentAfter - residentBefore) / (double)SuspendedTasks,
            (heapAfter - heapBefore) / (double)SuspendedTasks);

        // Cancelling 100,000 tasks on the way out would only cost time.
        Environment.Exit(0);
    }
}
