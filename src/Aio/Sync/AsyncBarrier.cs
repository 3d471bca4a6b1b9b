namespace Aio.Sync;

/// <summary>
/// A meeting point for a fixed number of tasks; asyncio's <c>Barrier</c>. Each task calls
/// <see cref="WaitAsync"/>; when the last of <see cref="Parties"/> arrives, all of them go on together,
/// and the barrier is ready for the next round.
/// </summary>
/// <remarks>
/// <para>A waiter cancelled before the barrier fills simply leaves (the barrier then needs one more
/// arrival). <see cref="Abort"/> breaks the barrier; <see cref="Reset"/> releases the current waiters
/// with <see cref="BrokenBarrierException"/> and starts over.</para>
/// <para>Unlike asyncio there is no draining phase: the released tasks are woken together, so a new
/// round can start filling at once. Not thread-safe; loop-bound like <see cref="AsyncLock"/>.</para>
/// </remarks>
public sealed class AsyncBarrier : IWaitOwner<int>
{
    private static readonly Func<Exception> s_broken = static () => new BrokenBarrierException();

    private readonly ParkingLot _waiters = new();
    private readonly int _parties;
    private WaitNodePool<int> _pool;
    private LoopBinding _binding;
    private bool _broken;

    /// <summary>Creates a barrier for <paramref name="parties"/> tasks.</summary>
    /// <param name="parties">How many tasks must arrive before any goes on.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="parties"/> is less than 1.</exception>
    public AsyncBarrier(int parties)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(parties, 1);
        _parties = parties;
    }

    /// <summary>How many tasks must arrive for the barrier to release them; asyncio's <c>parties</c>.</summary>
    public int Parties => _parties;

    /// <summary>How many tasks are waiting now; asyncio's <c>n_waiting</c>.</summary>
    public int WaitingCount
    {
        get
        {
            _binding.Check(this);
            return _waiters.Count;
        }
    }

    /// <summary>Whether the barrier is broken; asyncio's <c>broken</c>.</summary>
    public bool IsBroken
    {
        get
        {
            _binding.Check(this);
            return _broken;
        }
    }

    /// <summary>Waits until <see cref="Parties"/> tasks wait here; asyncio's <c>wait()</c>.</summary>
    /// <returns>The caller's place in arrival order, from 0 to <see cref="Parties"/> − 1, so that exactly
    /// one task of a round can pick itself (say, index 0) for a job.</returns>
    /// <remarks>A cancellation point when it waits. Loop thread only.</remarks>
    /// <exception cref="BrokenBarrierException">The barrier is broken, or was aborted or reset while waiting.</exception>
    /// <exception cref="CancelledException">The task was cancelled while waiting.</exception>
    public ValueTask<int> WaitAsync()
    {
        EventLoop? loop = _binding.Check(this);
        if (_broken)
        {
            throw new BrokenBarrierException();
        }

        if (_waiters.Count + 1 < _parties)
        {
            WaitNode<int> node = _pool.Rent(loop ?? _binding.ForWaiting(this), this);
            _waiters.Park(node);
            return node.AsValueTask();
        }

        // The last arrival releases the round, in arrival order.
        int index = 0;
        while (_waiters.UnparkOne(index))
        {
            index++;
        }

        return new ValueTask<int>(index);
    }

    /// <summary>Puts the barrier in the broken state: current and future waits throw
    /// <see cref="BrokenBarrierException"/> until <see cref="Reset"/>; asyncio's <c>abort()</c>.</summary>
    public void Abort()
    {
        _binding.Check(this);
        _broken = true;
        _waiters.FailAll(s_broken);
    }

    /// <summary>Returns the barrier to its empty state: tasks waiting now get
    /// <see cref="BrokenBarrierException"/>, and a broken barrier works again; asyncio's <c>reset()</c>.</summary>
    public void Reset()
    {
        _binding.Check(this);
        _waiters.FailAll(s_broken);
        _broken = false;
    }

    int IWaitOwner<int>.OnGranted(WaitNode<int> node) => node.GrantValue;

    // The round happened; a task cancelled as it was released just does not see its index.
    void IWaitOwner.OnAbandoned(WaitNode node)
    {
    }

    void IWaitOwner<int>.Return(WaitNode<int> node) => _pool.Return(node);
}
