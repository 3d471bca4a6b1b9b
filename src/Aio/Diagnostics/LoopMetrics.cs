namespace Aio.Diagnostics;

/// <summary>
/// The names of the metrics every event loop publishes through <c>System.Diagnostics.Metrics</c>, so
/// that <c>dotnet-counters monitor --counters Aio.EventLoop</c> and OpenTelemetry
/// (<c>AddMeter(LoopMetrics.MeterName)</c>) read them with no code in the application.
/// </summary>
/// <remarks>
/// <para>Every measurement carries the tag <see cref="LoopIdTag"/>: the <see cref="EventLoop.Id"/> of its
/// loop, so several loops in one process stay apart.</para>
/// <para>Costs: the gauges and counters read by observation cost nothing while nobody observes them (the
/// loop only counts its iterations). <see cref="CallbackDuration"/> and <see cref="SlowCallbacks"/> need a
/// clock reading around every callback; the loop takes them only while a listener has enabled one of the
/// two (or in debug mode).</para>
/// </remarks>
public static class LoopMetrics
{
    /// <summary>The meter's name.</summary>
    public const string MeterName = "Aio.EventLoop";

    /// <summary>The tag naming the loop a measurement belongs to.</summary>
    public const string LoopIdTag = "aio.loop.id";

    /// <summary>Observable counter: loop iterations (one poll, then one batch of ready callbacks);
    /// unit <c>{iteration}</c>.</summary>
    public const string Iterations = "aio.loop.iterations";

    /// <summary>Observable gauge: callbacks waiting in the ready queue; unit <c>{callback}</c>.</summary>
    public const string ReadyCallbacks = "aio.loop.ready_callbacks";

    /// <summary>Observable gauge: scheduled timers (<c>call_later</c>, sleeps); unit <c>{timer}</c>.</summary>
    public const string Timers = "aio.loop.timers";

    /// <summary>Observable up-down counter: tasks alive (not done); unit <c>{task}</c>.</summary>
    public const string LiveTasks = "aio.loop.tasks.live";

    /// <summary>Observable counter: tasks created; unit <c>{task}</c>.</summary>
    public const string CreatedTasks = "aio.loop.tasks.created";

    /// <summary>Histogram: how long each callback or task step held the loop; unit <c>s</c>.</summary>
    public const string CallbackDuration = "aio.loop.callback.duration";

    /// <summary>Counter: callbacks and task steps that held the loop longer than
    /// <see cref="EventLoop.SlowCallbackThreshold"/>; unit <c>{callback}</c>.</summary>
    public const string SlowCallbacks = "aio.loop.callbacks.slow";
}
