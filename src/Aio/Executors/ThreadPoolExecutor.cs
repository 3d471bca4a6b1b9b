namespace Aio;

/// <summary>
/// An executor with its own worker threads, at most <see cref="MaxWorkers"/> of them, started on
/// demand; asyncio's <c>ThreadPoolExecutor</c>. Use it to keep blocking or CPU-bound work away from the
/// .NET thread pool, or to bound how much of it runs at once.
/// </summary>
/// <remarks>Thread-safe. Dispose it (or call <see cref="Shutdown"/>) to stop its threads.</remarks>
public sealed class ThreadPoolExecutor : IExecutor, IDisposable
{
    private readonly object _lock = new();
    private readonly Queue<IExecutorWork> _queue = new();
    private readonly List<Thread> _threads = new();
    private readonly string _namePrefix;

    /// <summary>Workers waiting for work and not yet promised an item. Whoever pulses a worker takes it
    /// off this count, so two quick submissions never count on the same sleeping worker.</summary>
    private int _idle;
    private bool _shutdown;

    /// <summary>Workers of every executor spinning now (see <see cref="SpinForWork"/>).</summary>
    private static int s_spinningWorkers;

    /// <summary>The queue's length, readable without the lock by a spinning worker.</summary>
    private int _queued;

    private readonly long _spinTicks;

    /// <summary>Creates an executor.</summary>
    /// <param name="maxWorkers">The most threads it starts; by default, as Python, min(32, processors + 4).</param>
    /// <param name="threadNamePrefix">Names its threads <c>prefix_N</c>.</param>
    public ThreadPoolExecutor(int? maxWorkers = null, string threadNamePrefix = "aio-executor")
    {
        MaxWorkers = maxWorkers ?? Math.Min(32, Environment.ProcessorCount + 4);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxWorkers, 1, nameof(maxWorkers));
        _namePrefix = threadNamePrefix;
    }

    /// <summary>The most worker threads this executor starts.</summary>
    public int MaxWorkers { get; }

    /// <summary>
    /// How long an idle worker watches for new work before it sleeps, and a loop with work out on this
    /// executor watches for its results before it blocks; zero (the default) sleeps at once. Spinning
    /// spares the two thread wake-ups of each round trip when work arrives in quick succession (a
    /// connection's statements, one after the other); it costs the spinning threads' CPU meanwhile.
    /// Without effect when the process may use only one CPU, where a spinning thread would only keep the
    /// other from running.
    /// </summary>
    public TimeSpan SpinBeforeParking
    {
        get => TimeSpan.FromTicks(_spinTicks * TimeSpan.TicksPerSecond / System.Diagnostics.Stopwatch.Frequency);
        init
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, TimeSpan.Zero);
            _spinTicks = Environment.ProcessorCount > 1 ? (long)(value.TotalSeconds * System.Diagnostics.Stopwatch.Frequency) : 0;
        }
    }

    /// <summary>The spin in <see cref="System.Diagnostics.Stopwatch"/> ticks; 0 when there is none.</summary>
    internal long SpinTicks => _spinTicks;

    /// <summary>How many worker threads exist now.</summary>
    public int ThreadCount
    {
        get
        {
            lock (_lock)
            {
                return _threads.Count;
            }
        }
    }

    /// <inheritdoc/>
    public void Execute(IExecutorWork work)
    {
        ArgumentNullException.ThrowIfNull(work);
        lock (_lock)
        {
            if (_shutdown)
            {
                throw new InvalidOperationException("Cannot schedule new work after the executor was shut down.");
            }

            _queue.Enqueue(work);
            Volatile.Write(ref _queued, _queue.Count);
            if (_idle > 0)
            {
                _idle--;
                Monitor.Pulse(_lock);
            }
            else if (_threads.Count < MaxWorkers)
            {
                var thread = new Thread(WorkerLoop)
                {
                    IsBackground = true,
                    Name = $"{_namePrefix}_{_threads.Count}",
                };
                _threads.Add(thread);
                thread.Start();
            }
        }
    }

    /// <summary>Stops accepting work; asyncio's <c>shutdown(wait, cancel_futures)</c>.</summary>
    /// <param name="wait">Block until queued and running work has finished and the threads have exited.</param>
    /// <param name="cancelPending">Drop work that has not started yet; the futures waiting for it are
    /// cancelled.</param>
    public void Shutdown(bool wait = true, bool cancelPending = false)
    {
        Thread[] threads;
        IExecutorWork[] dropped = [];
        lock (_lock)
        {
            _shutdown = true;
            if (cancelPending)
            {
                dropped = _queue.ToArray();
                _queue.Clear();
                Volatile.Write(ref _queued, 0);
            }

            Monitor.PulseAll(_lock);
            threads = _threads.ToArray();
        }

        foreach (IExecutorWork work in dropped)
        {
            work.Abandon();
        }

        if (wait)
        {
            foreach (Thread thread in threads)
            {
                if (thread != Thread.CurrentThread)
                {
                    thread.Join();
                }
            }
        }
    }

    /// <summary>Shuts down and waits for running work; see <see cref="Shutdown"/>.</summary>
    public void Dispose() => Shutdown(wait: true);

    private void WorkerLoop()
    {
        while (true)
        {
            if (_spinTicks > 0)
            {
                SpinForWork();
            }

            IExecutorWork work;
            lock (_lock)
            {
                while (_queue.Count == 0)
                {
                    if (_shutdown)
                    {
                        return;
                    }

                    // Pulsed workers were taken off the idle count by the submitter; a worker that finds
                    // the queue empty again (another worker was faster) counts itself idle once more.
                    _idle++;
                    Monitor.Wait(_lock);
                }

                work = _queue.Dequeue();
                Volatile.Write(ref _queued, _queue.Count);
            }

            work.Run();
        }
    }

    /// <summary>Watches the queue's length for <see cref="SpinBeforeParking"/>, outside the lock: work
    /// queued meanwhile is taken without anyone having to wake this thread.</summary>
    private void SpinForWork()
    {
        // Spinning pays only while a core is free for it: more spinners than the other cores would take
        // turns on them and delay the threads that have real work, the loop among them.
        if (Interlocked.Increment(ref s_spinningWorkers) > Environment.ProcessorCount)
        {
            Interlocked.Decrement(ref s_spinningWorkers);
            return;
        }

        try
        {
            Spin();
        }
        finally
        {
            Interlocked.Decrement(ref s_spinningWorkers);
        }
    }

    private void Spin()
    {
        long until = System.Diagnostics.Stopwatch.GetTimestamp() + _spinTicks;
        while (Volatile.Read(ref _queued) == 0 && !Volatile.Read(ref _shutdown)
            && System.Diagnostics.Stopwatch.GetTimestamp() < until)
        {
            Thread.SpinWait(20);
        }
    }
}
