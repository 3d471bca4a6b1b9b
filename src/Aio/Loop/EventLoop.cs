using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using Aio.Diagnostics;
using Aio.Reactor;
using Microsoft.Extensions.Logging;

namespace Aio;

/// <summary>
/// The event loop: one thread runs callbacks, coroutine steps, timers and I/O readiness, one at a time;
/// asyncio's <c>AbstractEventLoop</c>. Most code never touches it directly — <see cref="AsyncIO.Run{T}(Coroutine{T}, EventLoopOptions?)"/>
/// creates one, runs your main coroutine on it and closes it.
/// </summary>
/// <remarks>
/// <para>One loop per thread. While a loop runs, it is <see cref="Current"/> on its thread and the
/// thread's <see cref="SynchronizationContext"/> sends every <c>await</c> back to it.</para>
/// <para>Thread safety: only <see cref="CallSoonThreadsafe(Action)"/> (and its overload) may be called from
/// other threads while the loop runs; every other member throws <see cref="InvalidOperationException"/>
/// when called from a foreign thread of a running loop.</para>
/// </remarks>
public sealed partial class EventLoop : IDisposable
{
    [ThreadStatic]
    private static EventLoop? t_current;

    /// <summary>Callbacks ready to run, in order.</summary>
    internal readonly ReadyQueue Ready = new();

    /// <summary>Scheduled timers.</summary>
    internal readonly TimerQueue Timers = new();

    /// <summary>The clock everything time-related reads.</summary>
    internal readonly LoopClock Clock;

    /// <summary>The synchronization context installed while the loop runs callbacks that belong to no task.</summary>
    internal readonly LoopSynchronizationContext SyncContext;

    /// <summary>The task whose step is running; null between steps and in plain callbacks.</summary>
    internal TaskCore? CurrentTaskCore;

    /// <summary>Depth of plain user callbacks running (a step entered inside one is nested).</summary>
    internal int PlainCallbackDepth;

    /// <summary>The synchronization context the loop last installed on its thread (see <see cref="StepScope"/>).</summary>
    internal SynchronizationContext? InstalledContext;

    /// <summary>The thread running the loop, while it runs, when its synchronization context can be set
    /// directly (see <see cref="LoopThreadContext"/>).</summary>
    private Thread? _contextThread;

    private readonly ThreadsafeQueue _threadsafe = new();
    private readonly IReactor _reactor;
    private readonly ILoopDriver? _driver;
    private readonly EventLoopOptions _options;
    private readonly ILogger? _logger;
    private bool _running;
    private bool _stopping;
    private volatile bool _closed;
    private int _wakePending;

    /// <summary>The execution context of the thread that runs the loop, restored after each plain callback.</summary>
    private ExecutionContext? _baseContext = ExecutionContext.Capture();

    /// <summary>Creates a loop with default options. It runs on whichever thread calls a Run method.</summary>
    public EventLoop()
        : this(null)
    {
    }

    /// <summary>Creates a loop.</summary>
    /// <param name="options">Logging and other settings; null for the defaults.</param>
    public EventLoop(EventLoopOptions? options)
    {
        _options = options ?? EventLoopOptions.Default;
        _logger = _options.Logger;
        _driver = _options.DriverFactory?.Invoke(this);
        Clock = _driver?.Clock ?? _options.Clock ?? MonotonicClock.Instance;
        _reactor = _options.ReactorFactory?.Invoke() ?? new EpollReactor(_options.UseIoUring);
        SyncContext = new LoopSynchronizationContext(this);
        InitializeDiagnostics();
    }

    /// <summary>The loop running on the calling thread, or null; asyncio's <c>_get_running_loop()</c>.</summary>
    public static EventLoop? Current => t_current;

    internal static EventLoop? CurrentOrNull => t_current;

    /// <summary>The loop running on the calling thread.</summary>
    /// <exception cref="InvalidOperationException">No loop is running on this thread.</exception>
    internal static EventLoop RequireCurrent() => t_current ?? ThrowNoRunningLoop();

    /// <summary>Whether the loop is running; asyncio's <c>is_running()</c>.</summary>
    public bool IsRunning => _running;

    /// <summary>Whether the loop was closed; asyncio's <c>is_closed()</c>.</summary>
    public bool IsClosed => _closed;

    /// <summary>The options the loop was created with.</summary>
    public EventLoopOptions Options => _options;

    /// <summary>Whether the caller is the thread running this loop (a thread-static read, cheaper than
    /// comparing managed thread ids).</summary>
    internal bool IsRunningOnCurrentThread => ReferenceEquals(t_current, this);

    /// <summary>Makes <paramref name="context"/> the loop thread's synchronization context, and remembers
    /// it in <see cref="InstalledContext"/>. Loop thread only.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void InstallContext(SynchronizationContext? context)
    {
        InstalledContext = context;
        LoopThreadContext.Set(_contextThread, context);
    }

    /// <summary>The loop's monotonic clock, in seconds; asyncio's <c>loop.time()</c>. Deadlines given to
    /// <see cref="CallAt(double, Action)"/> are on this scale.</summary>
    /// <returns>The current loop time.</returns>
    public double Time() => Clock.Now / 1e9;

    // ---- running --------------------------------------------------------------------------------

    /// <summary>Throws unless the loop could start running on this thread now: asyncio's
    /// <c>_check_closed</c> and <c>_check_running</c>, done before anything is scheduled.</summary>
    private void CheckCanRun()
    {
        CheckClosed();
        if (_running)
        {
            throw new InvalidOperationException("This event loop is already running.");
        }

        if (t_current is not null)
        {
            throw new InvalidOperationException("Cannot run the event loop while another loop is running on this thread.");
        }
    }

    /// <summary>Runs the loop until <see cref="Stop"/> is called; asyncio's <c>run_forever()</c>.</summary>
    /// <exception cref="InvalidOperationException">The loop is closed or already running, or another loop
    /// runs on this thread.</exception>
    public void RunForever()
    {
        CheckCanRun();

        SynchronizationContext? previousContext = SynchronizationContext.Current;
        _baseContext = ExecutionContext.Capture();
        t_current = this;
        _running = true;
        _lastRunThreadId = Environment.CurrentManagedThreadId;
        _contextThread = LoopThreadContext.Direct ? Thread.CurrentThread : null;
        InstallContext(SyncContext);
        long reactorState = _reactor.EnterLoopThread();
        try
        {
            while (true)
            {
                RunOnce();
                if (_stopping)
                {
                    break;
                }
            }
        }
        finally
        {
            _reactor.LeaveLoopThread(reactorState, ReadinessSink);
            _stopping = false;
            _running = false;
            t_current = null;
            CurrentTaskCore = null;
            InstalledContext = null;
            _contextThread = null;
            SynchronizationContext.SetSynchronizationContext(previousContext);
        }
    }

    /// <summary>
    /// Stops the loop: the current iteration finishes (the callbacks already due run), then
    /// <see cref="RunForever"/> returns; asyncio's <c>stop()</c>. Called before the loop runs, the next run
    /// does one iteration and returns. From another thread, use <c>CallSoonThreadsafe(loop.Stop)</c>.
    /// </summary>
    public void Stop()
    {
        CheckThread();
        _stopping = true;
    }

    /// <summary>
    /// Closes the loop: drops pending callbacks and timers, stops watching descriptors and signals, kills
    /// the subprocesses still running (and reaps them off the loop), shuts the default executor down
    /// without waiting, and releases the reactor; asyncio's <c>close()</c>. Idempotent.
    /// </summary>
    /// <exception cref="InvalidOperationException">The loop is running.</exception>
    public void Close()
    {
        if (_running)
        {
            throw new InvalidOperationException("Cannot close a running event loop.");
        }

        if (_closed)
        {
            return;
        }

        ReportUnclosedOnClose();
        FlushUnobservedFaults();
        _closed = true;

        // A finalizer may have queued a report between the flush and the flag: nothing else will read it.
        DrainFaultReports();
        Ready.Clear();
        Timers.Clear();
        _threadsafe.Clear();
        CloseSignals();
        CloseChildren();
        CloseIo();
        CloseExecutors();
        _reactor.Dispose();
        ReleaseDiagnostics();
    }

    /// <summary>Closes the loop; see <see cref="Close"/>.</summary>
    public void Dispose() => Close();

    /// <summary>One loop iteration, asyncio's <c>_run_once</c>: poll for I/O (waiting no longer than the
    /// next timer), take what other threads posted, move due timers to the ready queue, then run exactly
    /// the callbacks that are ready now. Callbacks they schedule wait for the next iteration.</summary>
    private void RunOnce()
    {
        long timeout;
        if (Ready.Count > 0 || _stopping)
        {
            timeout = 0;
        }
        else if (Timers.Count > 0)
        {
            timeout = Math.Max(0, Timers.PeekWhen - Clock.Now);
        }
        else
        {
            timeout = -1;
        }

        ILoopDriver? driver = _driver;
        if (driver is not null && timeout != 0)
        {
            // A test's virtual clock decides how long an idle loop really waits (docs/design/virtual-time.md).
            timeout = driver.BeforeIdlePoll(timeout);
        }

        if (timeout != 0)
        {
            // About to block: the right moment to give back what a burst grew (the ready queue is empty).
            TrimBuffers();
            if (_spinningWork > 0 && driver is null && SpinForResults())
            {
                timeout = 0;
            }
        }

        // While receives are with the ring, the loop sleeps at most RingSweepIntervalNanoseconds at a time
        // (none are under a test's virtual clock: see CanReceiveThroughRing).
        bool ringReceivers = _reactor.RingReceives > 0;
        if (ringReceivers && (timeout < 0 || timeout > RingSweepIntervalNanoseconds))
        {
            timeout = RingSweepIntervalNanoseconds;
        }

        // With nothing registered and nothing to wait for, the system call would only tell us about
        // wake-ups, and the thread-safe queue is drained below anyway.
        if (timeout != 0 || _ioCount > 0)
        {
            int reported = _reactor.Poll(timeout, ReadinessSink);
            if (ringReceivers)
            {
                // A few owners per iteration while busy; all of them after a wait that brought nothing.
                SweepRingReceivers(reported == 0 && timeout != 0 ? -1 : 4);
            }
        }

        // Reset before draining, with a full fence: a producer that enqueues after the drain sees 0 and
        // wakes us again (see RequestWakeUp for the other half). Read first, since the locked exchange
        // costs more than a whole task switch's bookkeeping: a 0 read here means no producer has set the
        // flag since the last reset, and one that sets it after this read also signals the reactor, so
        // its item is drained by the next iteration at the latest.
        if (Volatile.Read(ref _wakePending) != 0)
        {
            Interlocked.Exchange(ref _wakePending, 0);
        }
        _threadsafe.DrainInto(Ready);
        DrainFaultReports();
        driver?.AfterPoll();

        if (Timers.Count > 0)
        {
            long now = Clock.Now;
            while (Timers.Count > 0 && Timers.PeekWhen <= now)
            {
                Timers.Pop().OnTimer(this);
            }
        }

        _iterations++;
        int n = Ready.Count;
        if (driver is not null && n > 1)
        {
            driver.BeforeBatch(Ready, n);
        }

        BeginGatheringWrites();
        try
        {
            if (_debug || LoopInstruments.TimingEnabled)
            {
                // Debug mode or a metrics listener: the same batch, timed (see EventLoop.Debug.cs).
                RunReadyInstrumented(n);
                return;
            }

            bool hints = CacheHints.Enabled;
            while (n-- > 0)
            {
                if (hints)
                {
                    Ready.PrefetchAhead();
                }

                ReadyItem item = Ready.Dequeue();
                if (item.Callback is null)
                {
                    // A public call_soon: the node reports its own exceptions.
                    Unsafe.As<CallbackNode>(item.State!).Run();
                    continue;
                }

                try
                {
                    item.Callback(item.State, item.Arg);
                }
                catch (Exception ex)
                {
                    ReportCallbackException(ex, item.Callback, item.State);
                }
            }
        }
        finally
        {
            SendGatheredWrites();
        }
    }

    // ---- threads --------------------------------------------------------------------------------

    /// <summary>Throws unless called on the loop's thread while it runs, or on any thread while it does not
    /// (in debug mode, only on the thread that last ran it).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void CheckThread()
    {
        if (_running ? !ReferenceEquals(t_current, this) : _debug)
        {
            CheckThreadSlow();
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void CheckClosed()
    {
        if (_closed)
        {
            ThrowClosed();
        }
    }

    /// <summary>Queues work from any thread: directly on the loop thread, through the thread-safe queue
    /// (and a wake-up) from elsewhere. Silently dropped once the loop is closed.</summary>
    internal void EnqueueFromAnyThread(Action<object?, object?> callback, object? state, object? arg)
    {
        if (IsRunningOnCurrentThread)
        {
            Ready.Enqueue(callback, state, arg);
            return;
        }

        if (_closed)
        {
            return;
        }

        _threadsafe.Enqueue(new ReadyItem(callback, state, arg));
        RequestWakeUp();
    }

    /// <summary>Wakes the loop unless a wake-up is already pending. The plain read first keeps producers
    /// from writing (and bouncing) the flag's cache line on every post while the loop is busy.</summary>
    /// <remarks>
    /// The fence pairs with the loop's "reset flag, then drain": without it the producer's read of the flag
    /// could be satisfied before its enqueue is visible (a store-load reordering even x86 allows), the loop
    /// could drain too early, and both would miss each other — a lost wake-up.
    /// </remarks>
    internal void RequestWakeUp()
    {
        Interlocked.MemoryBarrier();
        if (Volatile.Read(ref _wakePending) == 0 && Interlocked.Exchange(ref _wakePending, 1) == 0)
        {
            _reactor.Wake();
        }
    }

    /// <summary>Runs <paramref name="callback"/> on the loop and blocks the calling thread until it ran.</summary>
    internal void SendFromOtherThread(SendOrPostCallback callback, object? state)
    {
        CheckClosed();
        if (!_running)
        {
            // Nothing would run it: with the loop stopped, the caller is the only one using it.
            callback(state);
            return;
        }

        using var done = new ManualResetEventSlim();
        Exception? failure = null;
        EnqueueFromAnyThread(
            static (s, _) =>
            {
                var (cb, st, signal, report) = ((SendOrPostCallback, object?, ManualResetEventSlim, Action<Exception>))s!;
                try
                {
                    using (new PlainCallbackScope(EventLoop.CurrentOrNull!))
                    {
                        cb(st);
                    }
                }
                catch (Exception ex)
                {
                    report(ex);
                }
                finally
                {
                    signal.Set();
                }
            },
            (callback, state, done, (Action<Exception>)(ex => failure = ex)),
            null);
        while (!done.Wait(100))
        {
            if (_closed)
            {
                throw new InvalidOperationException("The event loop was closed before the callback ran.");
            }
        }

        if (failure is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failure);
        }
    }

    [DoesNotReturn]
    private static EventLoop ThrowNoRunningLoop() =>
        throw new InvalidOperationException("No event loop is running on this thread. Start one with AsyncIO.Run(...).");

    [DoesNotReturn]
    private static void ThrowWrongThread() =>
        throw new InvalidOperationException(
            "This event loop runs on another thread. Only CallSoonThreadsafe may be called from other threads.");

    [DoesNotReturn]
    private static void ThrowClosed() => throw new InvalidOperationException("The event loop is closed.");
}
