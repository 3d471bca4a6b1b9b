namespace Aio;

/// <summary>What a task is currently waiting on, as far as cancellation is concerned: asyncio's
/// <c>_fut_waiter</c>. A future, a sleep, or the marker of a bare yield.</summary>
internal interface ICancellableWait
{
    /// <summary>Cancels the wait so that its waiter wakes up with a cancellation.</summary>
    /// <returns>False when the wait had already finished (its waker is already scheduled); the task then
    /// remembers the request and delivers it when it resumes.</returns>
    bool CancelWait(string? message);
}

/// <summary>The wait of <c>sleep(0)</c>: it cannot be cancelled in flight, so a cancel request waits for
/// the resumption, exactly like asyncio's bare <c>yield</c>.</summary>
internal sealed class YieldWait : ICancellableWait
{
    /// <summary>The one instance.</summary>
    public static readonly YieldWait Instance = new();

    private YieldWait()
    {
    }

    /// <inheritdoc/>
    public bool CancelWait(string? message) => false;
}
