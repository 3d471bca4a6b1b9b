namespace Aio.Sync;

/// <summary>
/// A condition variable: tasks holding its lock wait to be notified that some state changed; asyncio's
/// <c>Condition</c>. Holding the lock, check the state, and <see cref="WaitAsync"/> while it is not what
/// you need (or use <see cref="WaitForAsync"/>); change the state and <see cref="Notify"/> while holding it.
/// </summary>
/// <remarks>
/// <para>Every wait ends with the lock held again, whether it returns or throws — as in asyncio, so the
/// <c>using</c> block around it always releases exactly once.</para>
/// <para>Fair: notified waiters get the lock back in the order they started waiting, queued behind
/// tasks already waiting for the lock. A notification is not lost to cancellation: a waiter cancelled
/// after being notified passes its notification to the next waiter.</para>
/// <para>Not thread-safe; loop-bound like <see cref="AsyncLock"/>.</para>
/// <example><code>
/// using (await cond.LockAsync())
/// {
///     while (queue.Count == 0)
///     {
///         await cond.WaitAsync();
///     }
///     item = queue.Dequeue();
/// }
/// </code></example>
/// </remarks>
public sealed class AsyncCondition : IWaitOwner<bool>
{
    private const byte NotNotified = 0;
    private const byte Notified = 1;

    private readonly ParkingLot _waiters = new();
    private readonly AsyncLock _lock;
    private WaitNodePool<bool> _pool;
    private LoopBinding _binding;

    /// <summary>Creates a condition variable.</summary>
    /// <param name="lock">The lock it uses; a new one when null. Several conditions may share a lock.</param>
    public AsyncCondition(AsyncLock? @lock = null)
    {
        _lock = @lock ?? new AsyncLock();
    }

    /// <summary>The lock the condition uses.</summary>
    public AsyncLock Lock => _lock;

    /// <summary>Whether the condition's lock is held; asyncio's <c>locked()</c>.</summary>
    public bool IsLocked => _lock.IsLocked;

    /// <summary>How many tasks wait to be notified (not counting notified ones waiting for the lock).</summary>
    public int WaitingCount
    {
        get
        {
            _binding.Check(this);
            return _waiters.Count;
        }
    }

    /// <summary>Acquires the condition's lock; see <see cref="AsyncLock.AcquireAsync"/>.</summary>
    /// <returns>Completes when the caller holds the lock.</returns>
    /// <remarks>A cancellation point when it waits. Loop thread only.</remarks>
    public ValueTask AcquireAsync() => _lock.AcquireAsync();

    /// <summary>Acquires the condition's lock for a <c>using</c> block; asyncio's <c>async with cond:</c>.</summary>
    /// <returns>A releaser that releases the lock when disposed.</returns>
    /// <remarks>A cancellation point when it waits. Loop thread only.</remarks>
    public ValueTask<AsyncReleaser> LockAsync() => _lock.LockAsync();

    /// <summary>Releases the condition's lock; see <see cref="AsyncLock.Release"/>.</summary>
    public void Release() => _lock.Release();

    /// <summary>Releases the lock, waits to be notified, and reacquires the lock; asyncio's <c>wait()</c>.</summary>
    /// <returns>Completes when the caller was notified and holds the lock again. Await it exactly once.</returns>
    /// <remarks>A cancellation point. A cancelled wait still reacquires the lock before it throws.
    /// Loop thread only.</remarks>
    /// <exception cref="InvalidOperationException">The lock is not held.</exception>
    /// <exception cref="CancelledException">The task was cancelled while waiting; it holds the lock again.</exception>
    public ValueTask WaitAsync()
    {
        EventLoop loop = _binding.ForWaiting(this);
        if (!_lock.IsLocked)
        {
            throw new InvalidOperationException("Cannot wait on an AsyncCondition whose lock is not acquired.");
        }

        WaitNode<bool> node = _pool.Rent(loop, this);
        node.Role = NotNotified;
        _waiters.Park(node);
        _lock.ReleaseCore();
        return node.AsVoidValueTask();
    }

    /// <summary>Waits until <paramref name="predicate"/> is true, checking it first and after each
    /// notification; asyncio's <c>wait_for()</c>. The lock must be held; it is held when this returns.</summary>
    /// <param name="predicate">The state to wait for; evaluated with the lock held.</param>
    /// <returns>A coroutine that finishes once the predicate held.</returns>
    /// <remarks>A cancellation point. Loop thread only.</remarks>
    /// <exception cref="InvalidOperationException">The lock is not held.</exception>
    /// <exception cref="CancelledException">The task was cancelled while waiting; it holds the lock again.</exception>
    public async Coroutine WaitForAsync(Func<bool> predicate)
    {
        ArgumentNullException.ThrowIfNull(predicate);
        while (!predicate())
        {
            await WaitAsync();
        }
    }

    /// <summary>Wakes up to <paramref name="count"/> waiters, longest first; asyncio's <c>notify(n)</c>.
    /// They run once they get the lock back, after the caller releases it.</summary>
    /// <param name="count">How many waiters to wake.</param>
    /// <exception cref="InvalidOperationException">The lock is not held.</exception>
    public void Notify(int count = 1)
    {
        _binding.Check(this);
        if (!_lock.IsLocked)
        {
            throw new InvalidOperationException("Cannot notify on an AsyncCondition whose lock is not acquired.");
        }

        NotifyCore(count);
    }

    /// <summary>Wakes every waiter; asyncio's <c>notify_all()</c>.</summary>
    /// <exception cref="InvalidOperationException">The lock is not held.</exception>
    public void NotifyAll() => Notify(int.MaxValue);

    private void NotifyCore(int count)
    {
        // Waiters move from this lot to the lock's: no herd of wake-ups, each resumes holding the lock.
        while (count-- > 0 && _waiters.First is { } node)
        {
            _waiters.Remove(node);
            node.Role = Notified;
            _lock.Reacquire(node);
        }
    }

    bool IWaitOwner.CancelWaiting(WaitNode node, string? message)
    {
        // A cancelled wait must still get the lock back before it throws, so it stays a waiter — of the
        // lock now — and ends with the cancellation once it holds the lock.
        node.CancelPending = true;
        node.CancelMessage = message;
        if (ReferenceEquals(node.Lot, _waiters))
        {
            _waiters.Remove(node);
            _lock.Reacquire(node);
        }

        return true;
    }

    bool IWaitOwner<bool>.OnGranted(WaitNode<bool> node)
    {
        if (node.CancelPending)
        {
            PassOnNotification(node);
            throw new CancelledException(node.CancelMessage);
        }

        return true;
    }

    // Cancelled after it got the lock back: keep the lock (the caller's using block releases it) and
    // make sure a notification it received reaches someone.
    void IWaitOwner.OnAbandoned(WaitNode node) => PassOnNotification(node);

    private void PassOnNotification(WaitNode node)
    {
        if (node.Role == Notified)
        {
            NotifyCore(1);
        }
    }

    void IWaitOwner<bool>.Return(WaitNode<bool> node) => _pool.Return(node);
}
