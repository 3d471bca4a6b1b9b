namespace Aio.Sync;

/// <summary>
/// A mutual-exclusion lock for coroutines on one loop; asyncio's <c>Lock</c>. Not reentrant, and not
/// thread-safe: it orders tasks of one loop, never threads.
/// </summary>
/// <remarks>
/// <para>Fair: a release hands the lock straight to the longest waiter, so waiters get it first in,
/// first out, and a task that releases and reacquires at once queues behind them.</para>
/// <para>Cancellation-safe: a waiter cancelled while waiting leaves without the lock; one cancelled
/// after it was handed the lock but before it resumed passes the lock on to the next waiter, and then
/// raises <see cref="CancelledException"/>.</para>
/// <para>Loop-bound: it belongs to the first loop that uses it; from another loop, or from another
/// thread while its loop runs, every member throws <see cref="InvalidOperationException"/>.</para>
/// <example><code>
/// using (await _lock.LockAsync())
/// {
///     // one task at a time here
/// }
/// </code></example>
/// </remarks>
public sealed class AsyncLock : IWaitOwner<AsyncReleaser>, IReleasable
{
    private readonly ParkingLot _waiters = new();
    private WaitNodePool<AsyncReleaser> _pool;
    private LoopBinding _binding;
    private bool _locked;

    /// <summary>Whether some task holds the lock; asyncio's <c>locked()</c>.</summary>
    public bool IsLocked
    {
        get
        {
            _binding.Check(this);
            return _locked;
        }
    }

    /// <summary>How many tasks wait for the lock.</summary>
    public int WaitingCount
    {
        get
        {
            _binding.Check(this);
            return _waiters.Count;
        }
    }

    /// <summary>Acquires the lock, waiting for it if another task holds it; asyncio's <c>acquire()</c>.</summary>
    /// <returns>Completes when the caller holds the lock. Await it exactly once.</returns>
    /// <remarks>A cancellation point when it waits. Loop thread only.</remarks>
    /// <exception cref="CancelledException">The task was cancelled while waiting; it does not hold the lock.</exception>
    public ValueTask AcquireAsync()
    {
        EventLoop? loop = _binding.Check(this);
        if (!_locked)
        {
            _locked = true;
            return default;
        }

        return Park(loop).AsVoidValueTask();
    }

    /// <summary>Acquires the lock like <see cref="AcquireAsync"/> and returns a releaser for a
    /// <c>using</c> block; asyncio's <c>async with lock:</c>.</summary>
    /// <returns>A releaser that releases the lock when disposed.</returns>
    /// <remarks>A cancellation point when it waits. Loop thread only.</remarks>
    /// <exception cref="CancelledException">The task was cancelled while waiting; it does not hold the lock.</exception>
    public ValueTask<AsyncReleaser> LockAsync()
    {
        EventLoop? loop = _binding.Check(this);
        if (!_locked)
        {
            _locked = true;
            return new ValueTask<AsyncReleaser>(new AsyncReleaser(this));
        }

        return Park(loop).AsValueTask();
    }

    /// <summary>Acquires the lock if it is free; never waits.</summary>
    /// <returns>Whether the caller now holds the lock.</returns>
    public bool TryAcquire()
    {
        _binding.Check(this);
        if (_locked)
        {
            return false;
        }

        _locked = true;
        return true;
    }

    /// <summary>Releases the lock, handing it to the longest waiter if there is one; asyncio's
    /// <c>release()</c>. Any task may release it, as in asyncio.</summary>
    /// <exception cref="InvalidOperationException">The lock is not held.</exception>
    public void Release()
    {
        _binding.Check(this);
        if (!_locked)
        {
            throw new InvalidOperationException("Cannot release an AsyncLock that is not acquired.");
        }

        ReleaseCore();
    }

    /// <summary>Hands the lock on, or frees it when nobody waits.</summary>
    internal void ReleaseCore()
    {
        if (!_waiters.UnparkOne())
        {
            _locked = false;
        }
    }

    /// <summary>A condition variable's waiter (notified, or cancelled) queues to get the lock back; it is
    /// granted at once when the lock is free.</summary>
    internal void Reacquire(WaitNode node)
    {
        if (_locked)
        {
            _waiters.Park(node);
        }
        else
        {
            _locked = true;
            node.Grant();
        }
    }

    private WaitNode<AsyncReleaser> Park(EventLoop? loop)
    {
        WaitNode<AsyncReleaser> node = _pool.Rent(loop ?? _binding.ForWaiting(this), this);
        _waiters.Park(node);
        return node;
    }

    AsyncReleaser IWaitOwner<AsyncReleaser>.OnGranted(WaitNode<AsyncReleaser> node) => new(this);

    void IWaitOwner.OnAbandoned(WaitNode node) => ReleaseCore();

    void IWaitOwner<AsyncReleaser>.Return(WaitNode<AsyncReleaser> node) => _pool.Return(node);

    void IReleasable.ReleaseFrom(object? holder) => Release();
}
