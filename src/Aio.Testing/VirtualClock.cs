namespace Aio.Testing;

/// <summary>A loop clock that only moves when told to: by the driver's automatic advance, or by
/// <see cref="VirtualTime.Advance(EventLoop, TimeSpan)"/>. It starts at zero.</summary>
/// <remarks>Loop thread only, like every reader of the loop's clock.</remarks>
internal sealed class VirtualClock : LoopClock
{
    private long _now;

    /// <inheritdoc/>
    public override long Now => _now;

    /// <summary>Moves the clock to <paramref name="when"/> (nanoseconds) unless it is already there or later:
    /// virtual time never goes backwards.</summary>
    internal void AdvanceTo(long when)
    {
        if (when > _now)
        {
            _now = Math.Min(when, Durations.Never);
        }
    }

    /// <summary>Moves the clock forward by <paramref name="nanoseconds"/> (not negative). It stops at
    /// <see cref="Durations.Never"/>, about 73 years, so that deadlines computed from it cannot overflow.</summary>
    internal void AdvanceBy(long nanoseconds)
    {
        _now = nanoseconds >= Durations.Never - _now ? Durations.Never : _now + nanoseconds;
    }
}
