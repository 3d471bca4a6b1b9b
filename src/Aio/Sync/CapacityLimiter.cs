namespace Aio.Sync;

/// <summary>
/// Limits how many tasks do something at once — "at most 10 requests in flight" — like Trio's and
/// AnyIO's <c>CapacityLimiter</c>. A semaphore whose permits are tokens lent to borrowers: each borrower
/// (by default the current task) holds at most one token, and only a holder can give one back, so a
/// release without an acquire is caught instead of silently raising the limit.
/// </summary>
/// <remarks>
/// <para>Fair: a returned token goes straight to the longest waiter. Cancellation-safe: a waiter
/// cancelled after it was handed a token, but before it resumed, passes the token on.
/// <see cref="TotalTokens"/> can change while in use. Not thread-safe; loop-bound like
/// <see cref="AsyncLock"/>.</para>
/// <example><code>
/// var limiter = new CapacityLimiter(10);
/// // in each of many tasks:
/// using (await limiter.LockAsync())
/// {
///     await FetchAsync(url);
/// }
/// </code></example>
/// </remarks>
public sealed class CapacityLimiter : IWaitOwner<AsyncReleaser>, IReleasable
{
    private readonly ParkingLot _waiters = new();
    private readonly HashSet<object> _borrowers = new(ReferenceEqualityComparer.Instance);
    private WaitNodePool<AsyncReleaser> _pool;
    private LoopBinding _binding;
    private int _totalTokens;

    /// <summary>Creates a limiter lending <paramref name="totalTokens"/> tokens.</summary>
    /// <param name="totalTokens">How many borrowers may hold a token at once.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="totalTokens"/> is less than 1.</exception>
    public CapacityLimiter(int totalTokens)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(totalTokens, 1);
        _totalTokens = totalTokens;
    }

    /// <summary>How many tokens there are. Raising it hands the new tokens to waiters at once; lowering
    /// it below <see cref="BorrowedTokens"/> takes effect as tokens come back.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is less than 1.</exception>
    public int TotalTokens
    {
        get
        {
            _binding.Check(this);
            return _totalTokens;
        }

        set
        {
            _binding.Check(this);
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1);
            _totalTokens = value;
            HandOutTokens();
        }
    }

    /// <summary>How many tokens are lent out.</summary>
    public int BorrowedTokens
    {
        get
        {
            _binding.Check(this);
            return _borrowers.Count;
        }
    }

    /// <summary>How many tokens could be borrowed now.</summary>
    public int AvailableTokens
    {
        get
        {
            _binding.Check(this);
            return Math.Max(0, _totalTokens - _borrowers.Count);
        }
    }

    /// <summary>How many borrowers wait for a token.</summary>
    public int WaitingCount
    {
        get
        {
            _binding.Check(this);
            return _waiters.Count;
        }
    }

    /// <summary>Borrows a token for the current task, waiting for one if none is free.</summary>
    /// <returns>Completes when the task holds a token. Await it exactly once.</returns>
    /// <remarks>A cancellation point when it waits. Loop thread, inside a task.</remarks>
    /// <exception cref="InvalidOperationException">No task is running, or the task already holds a token.</exception>
    /// <exception cref="CancelledException">The task was cancelled while waiting; it holds no token.</exception>
    public ValueTask AcquireAsync() => AcquireOnBehalfOfAsync(CurrentTask());

    /// <summary>Borrows a token for <paramref name="borrower"/>, waiting for one if none is free.</summary>
    /// <param name="borrower">Who holds the token; compared by reference.</param>
    /// <returns>Completes when <paramref name="borrower"/> holds a token. Await it exactly once.</returns>
    /// <remarks>A cancellation point when it waits. Loop thread only.</remarks>
    /// <exception cref="InvalidOperationException"><paramref name="borrower"/> already holds a token.</exception>
    /// <exception cref="CancelledException">The task was cancelled while waiting; nothing was borrowed.</exception>
    public ValueTask AcquireOnBehalfOfAsync(object borrower)
    {
        EventLoop? loop = _binding.Check(this);
        if (TryBorrow(borrower))
        {
            return default;
        }

        return Park(loop, borrower).AsVoidValueTask();
    }

    /// <summary>Borrows a token for the current task like <see cref="AcquireAsync"/> and returns a
    /// releaser for a <c>using</c> block; Trio's <c>async with limiter:</c>.</summary>
    /// <returns>A releaser that gives the token back when disposed, from whichever task disposes it.</returns>
    /// <remarks>A cancellation point when it waits. Loop thread, inside a task.</remarks>
    /// <exception cref="InvalidOperationException">No task is running, or the task already holds a token.</exception>
    /// <exception cref="CancelledException">The task was cancelled while waiting; it holds no token.</exception>
    public ValueTask<AsyncReleaser> LockAsync()
    {
        EventLoop? loop = _binding.Check(this);
        AioTask borrower = CurrentTask();
        if (TryBorrow(borrower))
        {
            return new ValueTask<AsyncReleaser>(new AsyncReleaser(this, borrower));
        }

        return Park(loop, borrower).AsValueTask();
    }

    /// <summary>Borrows a token for the current task if one is free; never waits.</summary>
    /// <returns>Whether the task now holds a token.</returns>
    /// <exception cref="InvalidOperationException">No task is running, or the task already holds a token.</exception>
    public bool TryAcquire() => TryAcquireOnBehalfOf(CurrentTask());

    /// <summary>Borrows a token for <paramref name="borrower"/> if one is free; never waits.</summary>
    /// <param name="borrower">Who holds the token; compared by reference.</param>
    /// <returns>Whether <paramref name="borrower"/> now holds a token.</returns>
    /// <exception cref="InvalidOperationException"><paramref name="borrower"/> already holds a token.</exception>
    public bool TryAcquireOnBehalfOf(object borrower)
    {
        _binding.Check(this);
        return TryBorrow(borrower);
    }

    /// <summary>Gives back the current task's token.</summary>
    /// <exception cref="InvalidOperationException">No task is running, or the task holds no token.</exception>
    public void Release() => ReleaseOnBehalfOf(CurrentTask());

    /// <summary>Gives back <paramref name="borrower"/>'s token, handing it to the longest waiter.</summary>
    /// <param name="borrower">The borrower that holds the token.</param>
    /// <exception cref="InvalidOperationException"><paramref name="borrower"/> holds no token.</exception>
    public void ReleaseOnBehalfOf(object borrower)
    {
        _binding.Check(this);
        ArgumentNullException.ThrowIfNull(borrower);
        if (!_borrowers.Remove(borrower))
        {
            throw new InvalidOperationException("This borrower does not hold a token of this CapacityLimiter.");
        }

        HandOutTokens();
    }

    private bool TryBorrow(object borrower)
    {
        ArgumentNullException.ThrowIfNull(borrower);
        if (_borrowers.Contains(borrower))
        {
            throw new InvalidOperationException("This borrower already holds a token of this CapacityLimiter.");
        }

        if (_borrowers.Count < _totalTokens && _waiters.Count == 0)
        {
            _borrowers.Add(borrower);
            return true;
        }

        return false;
    }

    private void HandOutTokens()
    {
        while (_borrowers.Count < _totalTokens && _waiters.First is { } node)
        {
            _borrowers.Add(node.Tag!);
            _waiters.Remove(node);
            node.Grant();
        }
    }

    private WaitNode<AsyncReleaser> Park(EventLoop? loop, object borrower)
    {
        WaitNode<AsyncReleaser> node = _pool.Rent(loop ?? _binding.ForWaiting(this), this);
        node.Tag = borrower;
        _waiters.Park(node);
        return node;
    }

    private static AioTask CurrentTask() =>
        EventLoop.CurrentOrNull?.CurrentTaskCore?.Task
        ?? throw new InvalidOperationException(
            "CapacityLimiter borrows for the current task, and no task is running; use the OnBehalfOf methods.");

    AsyncReleaser IWaitOwner<AsyncReleaser>.OnGranted(WaitNode<AsyncReleaser> node) => new(this, node.Tag);

    void IWaitOwner.OnAbandoned(WaitNode node)
    {
        _borrowers.Remove(node.Tag!);
        HandOutTokens();
    }

    void IWaitOwner<AsyncReleaser>.Return(WaitNode<AsyncReleaser> node) => _pool.Return(node);

    void IReleasable.ReleaseFrom(object? holder) => ReleaseOnBehalfOf(holder!);
}
