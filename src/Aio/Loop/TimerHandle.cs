namespace Aio;

/// <summary>A callback scheduled with <see cref="EventLoop.CallLater(double, Action)"/> or
/// <see cref="EventLoop.CallAt(double, Action)"/>; asyncio's <c>TimerHandle</c>.</summary>
/// <remarks><c>default(TimerHandle)</c> is a handle to nothing; cancelling it does nothing.</remarks>
public readonly struct TimerHandle : IEquatable<TimerHandle>
{
    private readonly CallbackNode? _node;
    private readonly int _version;
    private readonly long _when;

    internal TimerHandle(CallbackNode node)
    {
        _node = node;
        _version = node.Version;
        _when = node.When;
    }

    /// <summary>When the callback is due, on the scale of <see cref="EventLoop.Time"/> (seconds).</summary>
    public double When => _when / 1e9;

    /// <summary>Whether <see cref="Cancel"/> was called before the callback ran.</summary>
    public bool IsCancelled => _node is { } node && node.Version == _version && node.Cancelled;

    /// <summary>Removes the timer if it has not fired yet; otherwise does nothing. Loop thread only.</summary>
    /// <exception cref="InvalidOperationException">Called from another thread while the loop runs.</exception>
    public void Cancel()
    {
        if (_node is { } node && node.Version == _version)
        {
            node.Loop.CheckThread();
            node.Cancel();
        }
    }

    /// <inheritdoc/>
    public bool Equals(TimerHandle other) => ReferenceEquals(_node, other._node) && _version == other._version;

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is TimerHandle other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(_node, _version);

    /// <summary>Compares two handles.</summary>
    public static bool operator ==(TimerHandle left, TimerHandle right) => left.Equals(right);

    /// <summary>Compares two handles.</summary>
    public static bool operator !=(TimerHandle left, TimerHandle right) => !left.Equals(right);
}
