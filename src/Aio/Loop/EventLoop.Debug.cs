using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using Aio.Diagnostics;
using Microsoft.Extensions.Logging;

namespace Aio;

public sealed partial class EventLoop
{
    private bool _debug;
    private TimeSpan _slowCallbackThreshold;

    /// <summary>The slow-callback threshold in stopwatch ticks, what the instrumented batch compares.</summary>
    private long _slowCallbackTicks;

    /// <summary>The thread that last ran the loop; debug mode refuses other threads even while it is stopped.</summary>
    private int _lastRunThreadId;

    /// <summary>Loop iterations so far, for <see cref="LoopMetrics.Iterations"/>.</summary>
    private long _iterations;

    /// <summary>Debug mode: where tasks and futures were created. Weak keys, so it keeps nothing alive.</summary>
    private ConditionalWeakTable<object, StackTrace>? _origins;

    /// <summary>Coroutines created in debug mode whose fate is not known yet (see <see cref="CoroutineTracking"/>).</summary>
    private int _trackedCoroutines;

    /// <summary>A number identifying the loop in the process: the <see cref="LoopMetrics.LoopIdTag"/> tag
    /// of its metrics, and the header of its task tree.</summary>
    public int Id { get; private set; }

    /// <summary>
    /// Debug mode; asyncio's <c>get_debug()</c> / <c>set_debug()</c>. See <see cref="EventLoopOptions.Debug"/>
    /// for what it checks. Switching it on affects what is created from then on (only tasks created in debug
    /// mode have a creation stack).
    /// </summary>
    /// <remarks>Loop thread (or any thread while the loop is stopped). Takes effect at the next loop
    /// iteration.</remarks>
    public bool Debug
    {
        get => _debug;
        set
        {
            CheckThread();
            SetDebug(value);
        }
    }

    /// <summary>How long a callback or task step may hold the loop before debug mode reports it; asyncio's
    /// <c>slow_callback_duration</c>. Starts as <see cref="EventLoopOptions.SlowCallbackThreshold"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is negative.</exception>
    /// <remarks>Loop thread (or any thread while the loop is stopped).</remarks>
    public TimeSpan SlowCallbackThreshold
    {
        get => _slowCallbackThreshold;
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, TimeSpan.Zero);
            CheckThread();
            _slowCallbackThreshold = value;
            _slowCallbackTicks = (long)(value.TotalSeconds * Stopwatch.Frequency);
        }
    }

    /// <summary>The tag of this loop's measurements.</summary>
    internal KeyValuePair<string, object?> MetricTag { get; private set; }

    /// <summary>Iterations so far (read by the metrics listener, on its thread).</summary>
    internal long Iterations => Volatile.Read(ref _iterations);

    /// <summary>Tasks created so far.</summary>
    internal int CreatedTaskCount => _taskCounter;

    /// <summary>Whether <c>AIO_DEBUG</c> asks for debug mode.</summary>
    internal static bool DebugFromEnvironment() => ParseDebugFlag(Environment.GetEnvironmentVariable("AIO_DEBUG"));

    /// <summary>Reads a value of <c>AIO_DEBUG</c>: on when set to anything but empty, <c>0</c> or
    /// <c>false</c>. (asyncio turns debug on for any non-empty <c>PYTHONASYNCIODEBUG</c>, <c>0</c>
    /// included — a trap this does not copy.)</summary>
    internal static bool ParseDebugFlag(string? value)
    {
        string trimmed = value?.Trim() ?? "";
        return trimmed.Length > 0 && trimmed != "0" && !trimmed.Equals("false", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>Called by the constructor: debug mode, metrics, the task-tree signal.</summary>
    private void InitializeDiagnostics()
    {
        Id = LoopInstruments.Register(this);
        MetricTag = new KeyValuePair<string, object?>(LoopMetrics.LoopIdTag, Id);
        _slowCallbackThreshold = _options.SlowCallbackThreshold < TimeSpan.Zero ? TimeSpan.Zero : _options.SlowCallbackThreshold;
        _slowCallbackTicks = (long)(_slowCallbackThreshold.TotalSeconds * Stopwatch.Frequency);
        SetDebug(_options.Debug ?? DebugFromEnvironment());
        InitializeTaskTreeSignal();
    }

    private void SetDebug(bool on)
    {
        if (on == _debug || (on && _closed))
        {
            return;
        }

        _debug = on;
        if (on)
        {
            _origins ??= new ConditionalWeakTable<object, StackTrace>();
            CoroutineTracking.LoopEnteredDebug();
        }
        else
        {
            CoroutineTracking.LoopLeftDebug();
        }
    }

    /// <summary>Called by Close, before anything is dropped: in debug mode, reports what is still open.</summary>
    private void ReportUnclosedOnClose()
    {
        if (!_debug)
        {
            return;
        }

        // Coroutines dropped without being awaited are found by their finalizers: give them the chance.
        if (Volatile.Read(ref _trackedCoroutines) > 0)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            DrainFaultReports();
        }

        foreach (ResourceReport report in ListUnclosed())
        {
            CallExceptionHandler(report.ToContext());
        }
    }

    /// <summary>Called by Close, at the very end: leaves the metrics and debug bookkeeping.</summary>
    private void ReleaseDiagnostics()
    {
        LoopInstruments.Unregister(this);
        if (_debug)
        {
            CoroutineTracking.LoopLeftDebug();
        }

        DisposeTaskTreeSignal();
    }

    // ---- the instrumented batch -----------------------------------------------------------------

    /// <summary>
    /// Runs the batch of ready callbacks as <see cref="RunOnce"/> does, timing each one: taken instead of
    /// the plain batch, for one whole iteration, when debug mode is on or a metrics listener wants
    /// timings — so the plain batch pays a single test per iteration for all of this.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void RunReadyInstrumented(int n)
    {
        bool debug = _debug;
        bool recordDuration = LoopInstruments.CallbackDuration.Enabled;
        long slow = _slowCallbackTicks;
        while (n-- > 0)
        {
            ReadyItem item = Ready.Dequeue();
            StepSubject subject = debug ? CaptureSubject(in item) : default;
            long start = Stopwatch.GetTimestamp();

            // The same as RunOnce's plain batch.
            if (item.Callback is null)
            {
                Unsafe.As<CallbackNode>(item.State!).Run();
            }
            else
            {
                try
                {
                    item.Callback(item.State, item.Arg);
                }
                catch (Exception ex)
                {
                    ReportCallbackException(ex, item.Callback, item.State);
                }
            }

            long elapsed = Stopwatch.GetTimestamp() - start;
            if (recordDuration)
            {
                LoopInstruments.RecordDuration(elapsed, MetricTag);
            }

            if (elapsed >= slow)
            {
                OnSlowCallback(subject, elapsed, debug);
            }
        }
    }

    /// <summary>What a callback is about to run, for debug mode's reports. Describing it may need code or
    /// files the process cannot get right now (out of descriptors, say): then the report says less, and
    /// the callback runs all the same.</summary>
    private static StepSubject CaptureSubject(in ReadyItem item)
    {
        try
        {
            return StepSubject.Capture(in item);
        }
        catch (Exception ex) when (ex is IOException or TypeLoadException or TypeInitializationException)
        {
            return default;
        }
    }

    private void OnSlowCallback(in StepSubject subject, long elapsedTicks, bool debug)
    {
        LoopInstruments.SlowCallbacks.Add(1, MetricTag);
        if (!debug)
        {
            return;
        }

        TimeSpan duration = Stopwatch.GetElapsedTime(0, elapsedTicks);
        string what;
        try
        {
            what = subject.Describe();
        }
        catch (Exception ex) when (ex is IOException or TypeLoadException or TypeInitializationException)
        {
            // The lines of a coroutine come from its symbol file, which the process may not be able to open.
            what = "a callback (not described: " + ex.GetType().Name + ")";
        }

        TaskCore? task = subject.Task;
        CallExceptionHandler(new LoopExceptionContext($"Executing {what} took {StepSubject.Seconds(duration)} seconds")
        {
            Level = LogLevel.Warning,
            Duration = duration,
            Task = task?.Task,
            Callback = task is null ? what : null,
        });
    }

    // ---- thread checks --------------------------------------------------------------------------

    /// <summary>The slow half of <see cref="CheckThread"/>: a foreign thread while the loop runs, or debug
    /// mode while it is stopped.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void CheckThreadSlow()
    {
        if (_running)
        {
            ThrowWrongThread();
        }

        // Debug mode, stopped loop: only the thread that ran it last may touch it, as asyncio's debug
        // mode checks call_soon; a loop that never ran may still be prepared on any thread.
        int owner = _lastRunThreadId;
        if (owner != 0 && owner != Environment.CurrentManagedThreadId)
        {
            ThrowWrongThreadWhileStopped();
        }
    }

    [DoesNotReturn]
    private static void ThrowWrongThreadWhileStopped() =>
        throw new InvalidOperationException(
            "Non-thread-safe operation invoked on an event loop from a thread other than the one that runs it " +
            "(debug mode checks this even while the loop is stopped). Use CallSoonThreadsafe from other threads.");

    // ---- creation stacks ------------------------------------------------------------------------

    /// <summary>Debug mode: remembers where <paramref name="created"/> (a task, a future) was created.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    internal void RecordOrigin(object created)
    {
        if (_origins is { } origins)
        {
            origins.AddOrUpdate(created, CaptureCallerStack());
        }
    }

    /// <summary>Where <paramref name="created"/> was created, when debug mode recorded it.</summary>
    internal StackTrace? OriginOf(object created) =>
        _origins is { } origins && origins.TryGetValue(created, out StackTrace? stack) ? stack : null;

    /// <summary>The caller's stack, without the frames inside Aio.</summary>
    internal static StackTrace CaptureCallerStack()
    {
        var full = new StackTrace(1, fNeedFileInfo: true);
        StackFrame[] frames = full.GetFrames();
        int first = 0;
        while (first < frames.Length - 1 && frames[first].GetMethod()?.DeclaringType?.Assembly == typeof(EventLoop).Assembly)
        {
            first++;
        }

        return first == 0 ? full : new StackTrace(frames[first..]);
    }

    internal void OnCoroutineTracked() => Interlocked.Increment(ref _trackedCoroutines);

    internal void OnCoroutineSettled() => Interlocked.Decrement(ref _trackedCoroutines);
}
