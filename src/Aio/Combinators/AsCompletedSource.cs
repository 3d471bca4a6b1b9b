namespace Aio;

/// <summary>Collects futures in the order they finish, for <c>as_completed</c>.</summary>
/// <typeparam name="TFuture">The future type handed back.</typeparam>
internal sealed class AsCompletedSource<TFuture> : IFutureWaiter
    where TFuture : Future
{
    private readonly EventLoop _loop;
    private readonly Queue<TFuture> _done = new();
    private readonly HashSet<TFuture> _pending;
    private Future<bool>? _signal;

    internal AsCompletedSource(EventLoop loop, IEnumerable<TFuture> futures)
    {
        _loop = loop;
        _pending = new HashSet<TFuture>(futures, ReferenceEqualityComparer.Instance);
        foreach (TFuture future in _pending.ToArray())
        {
            if (future.IsDone)
            {
                _pending.Remove(future);
                _done.Enqueue(future);
            }
            else
            {
                future.AddWaiter(this);
            }
        }
    }

    internal int Remaining => _pending.Count + _done.Count;

    internal bool TryTake(out TFuture future) => _done.TryDequeue(out future!);

    /// <summary>A future that completes when the next future finishes.</summary>
    internal Future<bool> NextSignal()
    {
        _signal = new Future<bool>(_loop);
        return _signal;
    }

    public void OnCompleted(Future? future)
    {
        var typed = (TFuture)future!;
        _pending.Remove(typed);
        _done.Enqueue(typed);
        if (_signal is { IsDone: false } signal)
        {
            signal.TrySetResult(true);
        }
    }

    /// <summary>Stops listening (the consumer left early).</summary>
    internal void Detach()
    {
        foreach (TFuture future in _pending)
        {
            future.RemoveWaiter(this);
        }
    }
}
