using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Aio.Diagnostics;

/// <summary>The instruments behind <see cref="LoopMetrics"/>: one meter for the process, measurements
/// tagged by loop.</summary>
/// <remarks>
/// Observable instruments are read by the listener, on its own thread, from fields the loop thread writes
/// without synchronization: each value is a single aligned read, possibly a moment old, which is what a
/// gauge sampled once a second needs. Loops register when created and leave when closed; the list holds
/// them weakly so a loop nobody closed is not kept alive by its metrics.
/// </remarks>
internal static class LoopInstruments
{
    private static readonly Meter s_meter = new(LoopMetrics.MeterName, typeof(LoopInstruments).Assembly.GetName().Version?.ToString());
    private static readonly Lock s_lock = new();
    private static readonly List<WeakReference<EventLoop>> s_loops = [];
    private static int s_lastId;

    /// <summary>Seconds per callback; buckets from 10 µs to 5 s, since a healthy callback takes
    /// microseconds and a slow one hundreds of milliseconds.</summary>
    internal static readonly Histogram<double> CallbackDuration = s_meter.CreateHistogram(
        LoopMetrics.CallbackDuration,
        unit: "s",
        description: "How long each callback or task step held the event loop.",
        tags: null,
        advice: new InstrumentAdvice<double>
        {
            HistogramBucketBoundaries = [0.00001, 0.00005, 0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
        });

    internal static readonly Counter<long> SlowCallbacks = s_meter.CreateCounter<long>(
        LoopMetrics.SlowCallbacks,
        unit: "{callback}",
        description: "Callbacks and task steps that held the event loop longer than its slow-callback threshold.");

    static LoopInstruments()
    {
        s_meter.CreateObservableCounter(
            LoopMetrics.Iterations, static () => Observe(static loop => loop.Iterations), "{iteration}", "Event loop iterations.");
        s_meter.CreateObservableGauge(
            LoopMetrics.ReadyCallbacks, static () => Observe(static loop => (long)loop.Ready.Count), "{callback}", "Callbacks waiting in the ready queue.");
        s_meter.CreateObservableGauge(
            LoopMetrics.Timers, static () => Observe(static loop => (long)loop.Timers.Count), "{timer}", "Scheduled timers.");
        s_meter.CreateObservableUpDownCounter(
            LoopMetrics.LiveTasks, static () => Observe(static loop => (long)loop.LiveTaskCount), "{task}", "Tasks alive (not done).");
        s_meter.CreateObservableCounter(
            LoopMetrics.CreatedTasks, static () => Observe(static loop => (long)loop.CreatedTaskCount), "{task}", "Tasks created.");
    }

    /// <summary>Whether a listener wants per-callback timings; read once per loop iteration.</summary>
    internal static bool TimingEnabled => CallbackDuration.Enabled || SlowCallbacks.Enabled;

    /// <summary>Adds a loop to the observed ones and returns its id.</summary>
    internal static int Register(EventLoop loop)
    {
        lock (s_lock)
        {
            s_loops.RemoveAll(static entry => !entry.TryGetTarget(out _));
            s_loops.Add(new WeakReference<EventLoop>(loop));
            return ++s_lastId;
        }
    }

    /// <summary>Removes a closed loop.</summary>
    internal static void Unregister(EventLoop loop)
    {
        lock (s_lock)
        {
            s_loops.RemoveAll(entry => !entry.TryGetTarget(out EventLoop? target) || ReferenceEquals(target, loop));
        }
    }

    /// <summary>Records one callback's duration, in stopwatch ticks.</summary>
    internal static void RecordDuration(long ticks, KeyValuePair<string, object?> tag) =>
        CallbackDuration.Record(ticks / (double)Stopwatch.Frequency, tag);

    private static List<Measurement<long>> Observe(Func<EventLoop, long> read)
    {
        var measurements = new List<Measurement<long>>();
        lock (s_lock)
        {
            foreach (WeakReference<EventLoop> entry in s_loops)
            {
                if (entry.TryGetTarget(out EventLoop? loop) && !loop.IsClosed)
                {
                    measurements.Add(new Measurement<long>(read(loop), loop.MetricTag));
                }
            }
        }

        return measurements;
    }
}
