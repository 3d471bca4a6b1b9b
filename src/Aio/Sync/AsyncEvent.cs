namespace Aio.Sync;

/// <summary>
/// A flag coroutines can wait for; asyncio's <c>Event</c>. <see cref="Set"/> wakes every waiter;
/// <see cref="Clear"/> makes later waits wait again.
/// </summary>
/// <remarks>
/// <para>Waiters wake in the order they started waiting. Not thread-safe: to set it from another
/// thread, go through the loop (<c>loop.CallSoonThreadsafe(ev.Set)</c>).</para>
/// <para>Loop-bound: it belongs to the first loop that uses it; from another loop, or from another
/// thread while its loop runs, every member throws <see cref="InvalidOperationException"/>.</para>
/// </remarks>
public sealed class AsyncEvent : IWaitOwner<bool>
{
    private readonly ParkingLot _waiters = new();
    private WaitNodePool<bool> _pool;
    private LoopBinding _binding;
    private bool _set;

    /// <summary>Whether the event is set; asyncio's <c>is_set()</c>.</summary>
    public bool IsSet
    {
        get
        {
            _binding.Check(this);
            return _set;
        }
    }

    /// <summary>Sets the event and wakes every waiter; asyncio's <c>set()</c>. Loop thread only.</summary>
    public void Set()
    {
        _binding.Check(this);
        if (!_set)
        {
            _set = true;
            _waiters.UnparkAll();
        }
    }

    /// <summary>Clears the event, so that <see cref="WaitAsync"/> waits until the next <see cref="Set"/>;
    /// asyncio's <c>clear()</c>. Waiters already woken stay woken.</summary>
    public void Clear()
    {
        _binding.Check(this);
        _set = false;
    }

    /// <summary>Waits until the event is set; returns at once if it is; asyncio's <c>wait()</c>.</summary>
    /// <returns>Completes when the event is set. Await it exactly once.</returns>
    /// <remarks>A cancellation point when it waits. Loop thread only.</remarks>
    /// <exception cref="CancelledException">The task was cancelled while waiting.</exception>
    public ValueTask WaitAsync()
    {
        EventLoop? loop = _binding.Check(this);
        if (_set)
        {
            return default;
        }

        WaitNode<bool> node = _pool.Rent(loop ?? _binding.ForWaiting(this), this);
        _waiters.Park(node);
        return node.AsVoidValueTask();
    }

    bool IWaitOwner<bool>.OnGranted(WaitNode<bool> node) => true;

    // A wake-up is not a resource: a waiter cancelled after Set takes nothing from the others.
    void IWaitOwner.OnAbandoned(WaitNode node)
    {
    }

    void IWaitOwner<bool>.Return(WaitNode<bool> node) => _pool.Return(node);
}
