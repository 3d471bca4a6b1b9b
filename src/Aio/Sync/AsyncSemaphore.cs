namespace Aio.Sync;

/// <summary>
/// A counter of permits coroutines acquire and release; asyncio's <c>Semaphore</c>. Acquiring takes a
/// permit, waiting while there is none; releasing returns one.
/// </summary>
/// <remarks>
/// <para>Fair: a release hands its permit straight to the longest waiter, so waiters are served first in,
/// first out. Cancellation-safe: a waiter cancelled after it was handed a permit, but before it resumed,
/// passes the permit on. Not thread-safe; loop-bound like <see cref="AsyncLock"/>.</para>
/// <para>Releasing more often than acquiring raises the count above its start, as asyncio allows;
/// <see cref="AsyncBoundedSemaphore"/> treats that as the bug it usually is.</para>
/// <example><code>
/// var sem = new AsyncSemaphore(10);
/// using (await sem.LockAsync())
/// {
///     // at most 10 tasks here at once
/// }
/// </code></example>
/// </remarks>
public sealed class AsyncSemaphore
{
    private readonly SemaphoreCore _core;

    /// <summary>Creates a semaphore with <paramref name="initialCount"/> permits.</summary>
    /// <param name="initialCount">The permits available at the start; asyncio's default is 1.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="initialCount"/> is negative.</exception>
    public AsyncSemaphore(int initialCount = 1)
    {
        _core = new SemaphoreCore(this, initialCount, bounded: false);
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
    public void Release() => _core.Release();
}
