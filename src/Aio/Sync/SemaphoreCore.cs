namespace Aio.Sync;

/// <summary>The body of <see cref="AsyncSemaphore"/> and <see cref="AsyncBoundedSemaphore"/>: permits
/// handed to waiters first in, first out, on a <see cref="ParkingLot"/>.</summary>
internal sealed class SemaphoreCore : IWaitOwner<AsyncReleaser>, IReleasable
{
    private readonly ParkingLot _waiters = new();
    private readonly int _bound;
    private WaitNodePool<AsyncReleaser> _pool;
    private LoopBinding _binding;
    private int _value;

    private readonly object _facade;

    internal SemaphoreCore(object facade, int initialCount, bool bounded)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(initialCount);
        _facade = facade;
        _value = initialCount;
        _bound = bounded ? initialCount : int.MaxValue;
    }

    /// <summary>The permits available now (zero while tasks wait).</summary>
    internal int CurrentCount
    {
        get
        {
            _binding.Check(_facade);
            return _value;
        }
    }

    /// <summary>Whether an acquisition would wait; asyncio's <c>locked()</c>.</summary>
    internal bool IsLocked
    {
        get
        {
            _binding.Check(_facade);
            return _value == 0;
        }
    }

    /// <summary>How many tasks wait for a permit.</summary>
    internal int WaitingCount
    {
        get
        {
            _binding.Check(_facade);
            return _waiters.Count;
        }
    }

    /// <summary>Takes a permit, waiting for one if none is available; asyncio's <c>acquire()</c>.</summary>
    /// <returns>Completes when the caller holds a permit. Await it exactly once.</returns>
    /// <remarks>A cancellation point when it waits. Loop thread only.</remarks>
    /// <exception cref="CancelledException">The task was cancelled while waiting; it holds no permit.</exception>
    internal ValueTask AcquireAsync()
    {
        EventLoop? loop = _binding.Check(_facade);
        if (_value > 0)
        {
            _value--;
            return default;
        }

        return Park(loop).AsVoidValueTask();
    }

    /// <summary>Takes a permit like <see cref="AcquireAsync"/> and returns a releaser for a <c>using</c>
    /// block; asyncio's <c>async with sem:</c>.</summary>
    /// <returns>A releaser that returns the permit when disposed.</returns>
    /// <remarks>A cancellation point when it waits. Loop thread only.</remarks>
    /// <exception cref="CancelledException">The task was cancelled while waiting; it holds no permit.</exception>
    internal ValueTask<AsyncReleaser> LockAsync()
    {
        EventLoop? loop = _binding.Check(_facade);
        if (_value > 0)
        {
            _value--;
            return new ValueTask<AsyncReleaser>(new AsyncReleaser(this));
        }

        return Park(loop).AsValueTask();
    }

    /// <summary>Takes a permit if one is available; never waits.</summary>
    /// <returns>Whether the caller now holds a permit.</returns>
    internal bool TryAcquire()
    {
        _binding.Check(_facade);
        if (_value == 0)
        {
            return false;
        }

        _value--;
        return true;
    }

    /// <summary>Returns a permit, handing it to the longest waiter if there is one; asyncio's
    /// <c>release()</c>. Loop thread only.</summary>
    /// <exception cref="InvalidOperationException">An <see cref="AsyncBoundedSemaphore"/> would go above
    /// its initial count.</exception>
    internal void Release()
    {
        _binding.Check(_facade);
        ReleaseCore();
    }

    private void ReleaseCore()
    {
        // The bound is checked before handing off, as asyncio does: with waiters the count is zero, so
        // this only refuses a bound of zero, which admits nobody — handing off would let a waiter through.
        if (_value >= _bound)
        {
            throw new InvalidOperationException("AsyncBoundedSemaphore released too many times.");
        }

        if (!_waiters.UnparkOne())
        {
            _value++;
        }
    }

    private WaitNode<AsyncReleaser> Park(EventLoop? loop)
    {
        WaitNode<AsyncReleaser> node = _pool.Rent(loop ?? _binding.ForWaiting(_facade), this);
        _waiters.Park(node);
        return node;
    }

    AsyncReleaser IWaitOwner<AsyncReleaser>.OnGranted(WaitNode<AsyncReleaser> node) => new(this);

    void IWaitOwner.OnAbandoned(WaitNode node) => ReleaseCore();

    /// <inheritdoc/>
    string IWaitOwner.DescribeWait(WaitNode node) => Diagnostics.TaskTreeCapture.TypeName(_facade.GetType());

    void IWaitOwner<AsyncReleaser>.Return(WaitNode<AsyncReleaser> node) => _pool.Return(node);

    void IReleasable.ReleaseFrom(object? holder) => Release();
}
