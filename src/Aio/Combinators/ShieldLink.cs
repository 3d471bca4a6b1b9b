namespace Aio;

/// <summary>
/// Connects an inner future to the outer future <c>shield</c> returns: the outer follows the inner, but
/// cancelling the outer leaves the inner running; asyncio's <c>shield</c> callbacks.
/// </summary>
/// <typeparam name="T">The type of the result.</typeparam>
internal sealed class ShieldLink<T> : IFutureWaiter, Diagnostics.IForwardingWaiter
{
    private readonly Future _inner;
    private readonly Future<T> _outer;

    private ShieldLink(Future inner, Future<T> outer)
    {
        _inner = inner;
        _outer = outer;
    }

    internal static Future<T> Create(EventLoop loop, Future inner)
    {
        var outer = new Future<T>(loop);
        if (inner.IsDone)
        {
            CopyState(inner, outer);
            return outer;
        }

        var link = new ShieldLink<T>(inner, outer);
        inner.AddWaiter(link);
        outer.AddWaiter(link);
        return outer;
    }

    /// <inheritdoc/>
    Future Diagnostics.IForwardingWaiter.Forwards => _outer;

    public void OnCompleted(Future? future)
    {
        if (ReferenceEquals(future, _outer))
        {
            // The outer was cancelled (or completed by us): stop listening to the inner.
            if (!_inner.IsDone)
            {
                _inner.RemoveWaiter(this);
            }

            return;
        }

        if (_outer.IsCancelled)
        {
            _inner.MarkExceptionObserved();
            return;
        }

        CopyState(_inner, _outer);
    }

    private static void CopyState(Future inner, Future<T> outer)
    {
        if (inner.IsCancelled)
        {
            outer.Cancel();
        }
        else if (inner.IsFaulted)
        {
            outer.TrySetException(inner.Exception!);
        }
        else
        {
            outer.TrySetResult(inner is IResultSource<T> source ? source.GetResultAfterCheck() : default!);
        }
    }
}
