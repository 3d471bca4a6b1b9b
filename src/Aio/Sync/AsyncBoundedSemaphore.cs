namespace Aio.Sync;

/// <summary>
/// A semaphore that refuses to be released above its initial count; asyncio's <c>BoundedSemaphore</c>.
/// Releasing more often than acquiring is a bug, and this reports it where it happens.
/// </summary>
/// <remarks>Fair, cancellation-safe and loop-bound like <see cref="AsyncSemaphore"/>.</remarks>
public sealed class AsyncBoundedSemaphore
{
    private readonly SemaphoreCore _core;

    /// <summary>Creates a bounded semaphore with <paramref name="initialCount"/> permits, which is also
    /// the most it will ever hold.</summary>
    /// <param name="initialCount">The permits available at the start; asyncio's default is 1.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="initialCount"/> is negative.</exception>
    public AsyncBoundedSemaphore(int initialCount = 1)
    {
        _core = new SemaphoreCore(this, initialCount, bounded: true);
    }

    /// <summary>The permits available now (zero while tasks wait).</summary>
    public int CurrentCount => _core.CurrentCount;

    /// <summary>Whether an acquisition would wait; asyncio's <c>locked()</c>.</summary>
    public bool IsLocked => _core.IsLocked;

    /// <summary>How many tasks wait for a permit.</summary>
    public int WaitingCount => _core.WaitingCount;

    /// <summary>Takes a permit, waiting for one if none is available; asyncio's <c>acquire()</c>.</summary>
    /// <returns>Completes when the caller holds a permit. Await it exactly once.</returns>
    /// <remarks>A cancellation point when it waits. Loop thread only.</remarks>
    /// <exception cref="CancelledException">The task was cancelled while waiting; it holds no permit.</exception>
    public ValueTask AcquireAsync() => _core.AcquireAsync();

    /// <summary>Takes a permit like <see cref="AcquireAsync"/> and returns a releaser for a <c>using</c>
    /// block; asyncio's <c>async with sem:</c>.</summary>
    /// <returns>A releaser that returns the permit when disposed.</returns>
    /// <remarks>A cancellation point when it waits. Loop thread only.</remarks>
    /// <exception cref="CancelledException">The task was cancelled while waiting; it holds no permit.</exception>
    public ValueTask<AsyncReleaser> LockAsync() => _core.LockAsync();

    /// <summary>Takes a permit if one is available; never waits.</summary>
    /// <returns>Whether the caller now holds a permit.</returns>
    public bool TryAcquire() => _core.TryAcquire();

    /// <summary>Returns a permit, handing it to the longest waiter if there is one; asyncio's
    /// <c>release()</c>. Loop thread only.</summary>
    /// <exception cref="InvalidOperationException">The semaphore would hold more than its initial count.</exception>
    public void Release() => _core.Release();
}
