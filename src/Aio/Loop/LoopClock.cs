using System.Diagnostics;

namespace Aio;

/// <summary>The seam through which the loop reads time, so that a virtual clock can drive tests.</summary>
/// <remarks>Values are nanoseconds on a monotonic scale with an arbitrary origin.</remarks>
internal abstract class LoopClock
{
    /// <summary>The current time in nanoseconds.</summary>
    public abstract long Now { get; }
}

/// <summary>The real clock: <see cref="Stopwatch"/>, which is CLOCK_MONOTONIC on Linux.</summary>
internal sealed class MonotonicClock : LoopClock
{
    /// <summary>The one instance; the clock has no state.</summary>
    public static readonly MonotonicClock Instance = new();

    private static readonly bool s_isNanoseconds = Stopwatch.Frequency == 1_000_000_000;
    private static readonly double s_toNanoseconds = 1e9 / Stopwatch.Frequency;

    private MonotonicClock()
    {
    }

    /// <inheritdoc/>
    public override long Now
    {
        get
        {
            long ts = Stopwatch.GetTimestamp();
            return s_isNanoseconds ? ts : (long)(ts * s_toNanoseconds);
        }
    }
}
