namespace Aio.Sync;

/// <summary>
/// Releases what an <c>AcquireAsync</c> got when disposed, so <c>using (await l.LockAsync()) { ... }</c>
/// is asyncio's <c>async with lock:</c>.
/// </summary>
/// <remarks>
/// A value, so acquiring allocates nothing. Dispose it once: a second dispose releases a second time (and
/// a lock or a bounded semaphore then throws). The default value releases nothing.
/// </remarks>
public readonly struct AsyncReleaser : IDisposable
{
    private readonly IReleasable? _owner;
    private readonly object? _holder;

    internal AsyncReleaser(IReleasable owner, object? holder = null)
    {
        _owner = owner;
        _holder = holder;
    }

    /// <summary>Releases the lock, permit or token; asyncio's <c>__aexit__</c>.</summary>
    public void Dispose() => _owner?.ReleaseFrom(_holder);
}
