using System.Diagnostics;
using Aio.Queues;
using Aio.Sync;

namespace Aio.Bench;

/// <summary>The <c>sync</c> suite on Aio's event loop: a queue passing items between two tasks, and a
/// lock and a semaphore, free and contended. See <see cref="Harness"/> for the method.</summary>
/// <remarks>Every primitive is made afresh for each run, as the Python suite does.</remarks>
internal static class AioSync
{
    /// <summary>Whether the BENCH_QUICK environment variable asks for a trial run (<c>1</c>): every count
    /// below divided by <see cref="QuickDivisor"/>, to check the suite end to end in a fraction of the
    /// time. Its figures are not the ones to publish.</summary>
    public static readonly bool Quick = Environment.GetEnvironmentVariable("BENCH_QUICK") == "1";

    public const int QuickDivisor = 10;

    public static readonly int QueueItems = Scaled(1_000_000);
    public const int PingPongSize = 1;
    public const int ThroughputSize = 1_024;
    public static readonly int LockOperations = Scaled(1_000_000);
    public const int ContendedTasks = 100;
    public static readonly int ContendedPerTask = Scaled(10_000);
    public const int SemaphorePermits = 10;

    /// <summary>The sum of 0 .. QueueItems - 1, which the consumer must see.</summary>
    public static readonly long QueueSum = (long)QueueItems * (QueueItems - 1) / 2;

    /// <summary>Uncontended acquisitions are made in chunks of this many; see <see cref="AcquireRelease"/>.</summary>
    private const int Chunk = 1_000;

    public static void Run(BenchFilter only)
    {
        WarnIfQuick();
        AsyncIO.Run(Suite(only));
    }

    public static void WarnIfQuick()
    {
        if (Quick)
        {
            Console.Error.WriteLine($"BENCH_QUICK=1: a trial run, every count divided by {QuickDivisor}");
        }
    }

    private static int Scaled(int count) => Quick ? count / QuickDivisor : count;

    private static async Coroutine Suite(BenchFilter only)
    {
        if (only.Includes("queue_pingpong"))
        {
            double[] pingPong = await Harness.MeasureAsync("queue_pingpong", static () => QueueRun(PingPongSize));
            Harness.Report("queue_pingpong", pingPong[0], "ns/item");
        }

        if (only.Includes("queue_throughput"))
        {
            double[] throughput = await Harness.MeasureAsync("queue_throughput", static () => QueueRun(ThroughputSize));
            Harness.Report("queue_throughput", throughput[0], "ns/item");
        }

        if (only.Includes("lock_uncontended"))
        {
            double[] free = await Harness.MeasureAsync("lock_uncontended", LockUncontended);
            Harness.Report("lock_uncontended", free[0], "ns/op");
        }

        if (only.Includes("lock_contended"))
        {
            double[] contended = await Harness.MeasureAsync("lock_contended", LockContended);
            Harness.Report("lock_contended", contended[0], "ns/op");
        }

        if (only.Includes("semaphore_contended"))
        {
            double[] contended = await Harness.MeasureAsync("semaphore_contended", SemaphoreContended);
            Harness.Report("semaphore_contended", contended[0], "ns/op");
        }
    }

    // ---- queues ---------------------------------------------------------------------------------

    /// <summary>One producer task puts <see cref="QueueItems"/> items, one consumer task gets them.</summary>
    private static async Coroutine<double[]> QueueRun(int maxSize)
    {
        var queue = new AsyncQueue<int>(maxSize);
        long start = Stopwatch.GetTimestamp();
        AioTask producer = AsyncIO.CreateTask(Produce(queue, QueueItems));
        AioTask<long> consumer = AsyncIO.CreateTask(Consume(queue, QueueItems));
        await producer;
        long sum = await consumer;
        long end = Stopwatch.GetTimestamp();
        CheckSum(sum);
        return [Harness.NsPerOp(start, end, QueueItems)];
    }

    // The loops below are entered again at every suspension (with a queue of 1 at every item, with
    // 1,024 about every thousandth), so the JIT takes them to their final tier like any hot method.
    public static async Coroutine Produce(AsyncQueue<int> queue, int count)
    {
        for (int i = 0; i < count; i++)
        {
            await queue.PutAsync(i);
        }
    }

    public static async Coroutine<long> Consume(AsyncQueue<int> queue, int count)
    {
        long sum = 0;
        for (int i = 0; i < count; i++)
        {
            sum += await queue.GetAsync();
        }

        return sum;
    }

    public static void CheckSum(long sum)
    {
        if (sum != QueueSum)
        {
            throw new InvalidOperationException($"The consumer saw items summing to {sum}, not {QueueSum}.");
        }
    }

    // ---- locks and semaphores -------------------------------------------------------------------

    private static async Coroutine<double[]> LockUncontended()
    {
        var gate = new AsyncLock();
        long start = Stopwatch.GetTimestamp();
        for (int i = 0; i < LockOperations / Chunk; i++)
        {
            await AcquireRelease(gate, Chunk);
        }

        long end = Stopwatch.GetTimestamp();
        return [Harness.NsPerOp(start, end, LockOperations)];
    }

    // A free lock never suspends, so a loop over all the acquisitions in one coroutine would run once
    // per run and only ever get the JIT's on-stack-replacement code; a coroutine per chunk, awaited
    // inline (it runs on the caller's stack), is called often enough to reach the final tier. It adds
    // one small object per thousand acquisitions.
    private static async Coroutine AcquireRelease(AsyncLock gate, int count)
    {
        for (int i = 0; i < count; i++)
        {
            await gate.AcquireAsync();
            gate.Release();
        }
    }

    private static async Coroutine<double[]> LockContended()
    {
        var gate = new AsyncLock();
        var tasks = new Future[ContendedTasks];
        long start = Stopwatch.GetTimestamp();
        for (int t = 0; t < tasks.Length; t++)
        {
            tasks[t] = AsyncIO.CreateTask(HoldAcrossYield(gate, ContendedPerTask));
        }

        await AsyncIO.Gather(tasks);
        long end = Stopwatch.GetTimestamp();
        return [Harness.NsPerOp(start, end, ContendedTasks * ContendedPerTask)];
    }

    public static async Coroutine HoldAcrossYield(AsyncLock gate, int count)
    {
        for (int i = 0; i < count; i++)
        {
            await gate.AcquireAsync();
            await AsyncIO.Sleep(0);
            gate.Release();
        }
    }

    private static async Coroutine<double[]> SemaphoreContended()
    {
        var permits = new AsyncSemaphore(SemaphorePermits);
        var tasks = new Future[ContendedTasks];
        long start = Stopwatch.GetTimestamp();
        for (int t = 0; t < tasks.Length; t++)
        {
            tasks[t] = AsyncIO.CreateTask(HoldAcrossYield(permits, ContendedPerTask));
        }

        await AsyncIO.Gather(tasks);
        long end = Stopwatch.GetTimestamp();
        return [Harness.NsPerOp(start, end, ContendedTasks * ContendedPerTask)];
    }

    public static async Coroutine HoldAcrossYield(AsyncSemaphore permits, int count)
    {
        for (int i = 0; i < count; i++)
        {
            await permits.AcquireAsync();
            await AsyncIO.Sleep(0);
            permits.Release();
        }
    }
}
