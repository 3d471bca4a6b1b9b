namespace Aio;

/// <summary>Conversions from the public time units (seconds as <see cref="double"/>, <see cref="TimeSpan"/>)
/// to the loop's nanoseconds.</summary>
internal static class Durations
{
    /// <summary>Far enough to mean "never" while leaving room for additions without overflow.</summary>
    internal const long Never = long.MaxValue / 4;

    internal static long ToNanoseconds(double seconds)
    {
        if (double.IsNaN(seconds))
        {
            throw new ArgumentException("A delay or deadline cannot be NaN.", nameof(seconds));
        }

        double ns = seconds * 1e9;
        if (ns >= Never)
        {
            return Never;
        }

        if (ns <= -Never)
        {
            return -Never;
        }

        return (long)ns;
    }

    internal static long ToNanoseconds(TimeSpan span)
    {
        if (span == Timeout.InfiniteTimeSpan || span.Ticks >= Never / 100)
        {
            return Never;
        }

        if (span.Ticks <= -Never / 100)
        {
            return -Never;
        }

        return span.Ticks * 100;
    }
}
