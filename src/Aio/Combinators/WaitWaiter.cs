namespace Aio;

/// <summary>The callback <c>asyncio.wait</c> adds to each future: counts completions and releases the
/// waiting coroutine when <see cref="WaitMode"/> is satisfied.</summary>
internal sealed class WaitWaiter : IFutureWaiter, Diagnostics.IForwardingWaiter
{
    private readonly WaitMode _mode;
    private readonly Future<bool> _release;
    private int _remaining;

    internal WaitWaiter(int count, WaitMode mode, Future<bool> release)
    {
        _remaining = count;
        _mode = mode;
        _release = release;
    }

    /// <inheritdoc/>
    Future Diagnostics.IForwardingWaiter.Forwards => _release;

    public void OnCompleted(Future? future)
    {
        _remaining--;
        if (_remaining <= 0
            || _mode == WaitMode.FirstCompleted
            || (_mode == WaitMode.FirstException && future!.IsFaulted))
        {
            if (!_release.IsDone)
            {
                _release.TrySetResult(true);
            }
        }
    }
}
