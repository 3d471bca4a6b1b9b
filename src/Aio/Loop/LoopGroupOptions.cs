namespace Aio;

/// <summary>Settings of a <see cref="LoopGroup"/>.</summary>
public sealed class LoopGroupOptions
{
    internal static readonly LoopGroupOptions Default = new();

    /// <summary>The settings of every loop of the group; null for the defaults.
    /// <see cref="EventLoopOptions.HandleInterrupt"/> does not apply: a group leaves signals to the
    /// application (see <see cref="LoopGroup.Shutdown(TimeSpan)"/>).</summary>
    public EventLoopOptions? LoopOptions { get; init; }

    /// <summary>Whether each loop's thread is pinned to one CPU (<c>sched_setaffinity</c>): loop
    /// <c>i</c> runs on the <c>i</c>-th CPU the process may use, wrapping around when there are more loops
    /// than CPUs. Off by default: pinning pays off on a machine dedicated to the server, and hurts where
    /// other busy processes share the CPUs.</summary>
    public bool PinThreads { get; init; }

    /// <summary>How long open connections may take to finish when the group shuts down without being
    /// told a grace period: after a main coroutine failed, and in <see cref="LoopGroup.Shutdown()"/>.
    /// Ten seconds by default.</summary>
    public TimeSpan ShutdownGracePeriod { get; init; } = TimeSpan.FromSeconds(10);
}
