namespace Aio;

/// <summary>A callback scheduled with <see cref="EventLoop.CallSoon(Action)"/> or
/// <see cref="EventLoop.CallSoonThreadsafe(Action)"/>; asyncio's <c>Handle</c>.</summary>
/// <remarks>
/// A small value: copying it is free, and holding it keeps nothing alive once the callback has run.
/// <c>default(Handle)</c> is a handle to nothing; cancelling it does nothing.
/// </remarks>
public readonly struct Handle : IEquatable<Handle>
{
    private readonly CallbackNode? _node;
    private readonly int _version;

    internal Handle(CallbackNode node)
        : this(node, node.Version)
    {
    }

    internal Handle(CallbackNode node, int version)
    {
        _node = node;
        _version = version;
    }

    /// <summary>Whether <see cref="Cancel"/> was called before the callback ran.</summary>
    public bool IsCancelled => _node is { } node && node.Version == _version && node.Cancelled;

    /// <summary>Prevents the callback from running if it has not run yet; otherwise does nothing.</summary>
    /// <remarks>
    /// Call it on the loop thread. A handle returned by <see cref="EventLoop.CallSoonThreadsafe(Action)"/>
    /// may be cancelled from any thread.
    /// </remarks>
    /// <exception cref="InvalidOperationException">Called from another thread on a handle made by
    /// <see cref="EventLoop.CallSoon(Action)"/> while the loop runs.</exception>
    public void Cancel()
    {
        if (_node is not { } node)
        {
            return;
        }

        if (node.Shared)
        {
            node.Loop.CancelSharedNode(node, _version);
        }
        else if (node.Version == _version)
        {
            node.Loop.CheckThread();
            node.Cancel();
        }
    }

    /// <inheritdoc/>
    public bool Equals(Handle other) => ReferenceEquals(_node, other._node) && _version == other._version;

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is Handle other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(_node, _version);

    /// <summary>Compares two handles.</summary>
    public static bool operator ==(Handle left, Handle right) => left.Equals(right);

    /// <summary>Compares two handles.</summary>
    public static bool operator !=(Handle left, Handle right) => !left.Equals(right);
}
