namespace Aio.Testing;

/// <summary>Settings of a loop on virtual time (see <see cref="VirtualTime"/>).</summary>
public sealed class VirtualTimeOptions
{
    /// <summary>
    /// When set, each batch of ready callbacks — everything one loop iteration runs — runs in an order
    /// shuffled by a random generator with this seed, instead of first-in first-out. Code whose result
    /// depends on the order in which concurrent tasks happen to be scheduled then fails for some seeds; the
    /// same seed gives the same order on every run, so a failure can be repeated.
    /// <see cref="VirtualTime.Run(Coroutine, VirtualTimeOptions?)"/> names the seed in the exception it
    /// throws (<see cref="ShuffleSeedException"/>). Null, the default, keeps the loop's FIFO order.
    /// </summary>
    /// <remarks>Shuffling breaks asyncio's guarantee that callbacks run in the order they were scheduled,
    /// on purpose: use it for code that should not rely on that order between tasks.</remarks>
    public int? ShuffleSeed { get; init; }

    /// <summary>
    /// How long, in wall time, an idle loop waits for I/O or other threads before its clock jumps to the
    /// next timer; Trio's <c>autojump_threshold</c>. <see cref="TimeSpan.Zero"/>, the default, jumps at once
    /// (descriptors are still checked first, without blocking). A small value lets a test await .NET work
    /// the loop cannot see — a <see cref="Task"/> from another library, a socket served by another thread —
    /// while a timer is pending. <see cref="Timeout.InfiniteTimeSpan"/> never jumps: only
    /// <see cref="VirtualTime.Advance(TimeSpan)"/> moves the clock, and an idle loop waits for real.
    /// </summary>
    public TimeSpan AutoAdvanceThreshold { get; init; } = TimeSpan.Zero;

    /// <summary>The loop's other settings (logger, executor shutdown timeout, Ctrl+C handling); the defaults
    /// when null.</summary>
    public EventLoopOptions? Loop { get; init; }
}
