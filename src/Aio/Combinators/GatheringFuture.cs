namespace Aio;

/// <summary>
/// The future <c>gather</c> returns: done when every child is, with their results in argument order;
/// asyncio's <c>_GatheringFuture</c> and gather's <c>_done_callback</c>.
/// </summary>
/// <remarks>
/// Without <c>returnExceptions</c>, the first child that fails (or is cancelled) completes the gather with
/// that exception at once; the other children keep running and their exceptions are marked as retrieved.
/// Cancelling the gather cancels every child, and the gather then reports a cancellation whatever
/// <c>returnExceptions</c> says.
/// </remarks>
/// <typeparam name="TResult">The result: an array of values, of outcomes, or nothing.</typeparam>
internal sealed class GatheringFuture<TResult> : Future<TResult>, IFutureWaiter, Diagnostics.IDescribedWait
{
    private readonly Future[] _children;
    private readonly int _uniqueCount;
    private readonly bool _returnExceptions;
    private readonly Func<Future[], TResult> _buildResult;
    private int _finished;
    private bool _cancelRequested;

    private GatheringFuture(EventLoop loop, Future[] children, int uniqueCount, bool returnExceptions, Func<Future[], TResult> buildResult)
        : base(loop)
    {
        _children = children;
        _uniqueCount = uniqueCount;
        _returnExceptions = returnExceptions;
        _buildResult = buildResult;
    }

    /// <inheritdoc/>
    string Diagnostics.IDescribedWait.DescribeWait(EventLoop loop) => $"gather of {_uniqueCount}";

    /// <summary>Starts gathering <paramref name="children"/> (futures and tasks, possibly repeated).</summary>
    internal static GatheringFuture<TResult> Start(EventLoop loop, Future[] children, bool returnExceptions, Func<Future[], TResult> buildResult)
    {
        // A future passed twice is waited on once but reported in both places, as asyncio does. A flag bit
        // on each future finds the duplicates without a hash set: the first pass marks, the second unmarks.
        int unique = 0;
        foreach (Future child in children)
        {
            if (child is null || !ReferenceEquals(child.LoopOrNull, loop))
            {
                ClearMarks(children);
                throw new ArgumentException("Every awaitable given to gather must belong to the running loop.", nameof(children));
            }

            if ((child._flags & GatherMarkFlag) == 0)
            {
                child._flags |= GatherMarkFlag;
                unique++;
            }
        }

        var outer = new GatheringFuture<TResult>(loop, children, unique, returnExceptions, buildResult);
        List<Future>? alreadyDone = null;
        foreach (Future child in children)
        {
            if ((child._flags & GatherMarkFlag) == 0)
            {
                continue;
            }

            child._flags &= unchecked((byte)~GatherMarkFlag);
            if (child.IsDone)
            {
                (alreadyDone ??= new List<Future>()).Add(child);
            }
            else
            {
                child.AddWaiter(outer);
            }
        }

        if (alreadyDone is not null)
        {
            foreach (Future child in alreadyDone)
            {
                outer.OnChildDone(child);
            }
        }

        return outer;
    }

    private static void ClearMarks(Future[] children)
    {
        foreach (Future child in children)
        {
            child._flags &= unchecked((byte)~GatherMarkFlag);
        }
    }

    /// <summary>Cancels every child; asyncio's <c>_GatheringFuture.cancel</c>.</summary>
    /// <param name="message">Passed to each child.</param>
    /// <returns>Whether any child was cancelled.</returns>
    public override bool Cancel(string? message = null)
    {
        Loop.CheckThread();
        if (IsDone)
        {
            return false;
        }

        bool any = false;
        foreach (Future child in _children)
        {
            if (child.Cancel(message))
            {
                any = true;
            }
        }

        if (any)
        {
            // Whatever returnExceptions says, the cancellation must propagate (bpo-32684).
            _cancelRequested = true;
        }

        return any;
    }

    void IFutureWaiter.OnCompleted(Future? future) => OnChildDone(future!);

    private void OnChildDone(Future child)
    {
        _finished++;
        if (IsDone)
        {
            child.MarkExceptionObserved();
            return;
        }

        if (!_returnExceptions)
        {
            if (child.IsCancelled)
            {
                // As asyncio: the gather fails *with* a CancelledError (set_exception), it is not itself
                // cancelled; awaiting it throws the cancellation either way.
                TrySetFailedCore(new CancelledException(child.CancellationError.CancelMessage, child.CancellationError), trackUnobserved: true);
                return;
            }

            if (child.IsFaulted)
            {
                TrySetFailedCore(child.Exception!, trackUnobserved: true);
                return;
            }
        }

        if (_finished == _uniqueCount)
        {
            if (_cancelRequested)
            {
                TrySetFailedCore(new CancelledException(), trackUnobserved: true);
                return;
            }

            TResult result;
            try
            {
                result = _buildResult(_children);
            }
            catch (Exception ex)
            {
                TrySetFailedCore(ex, trackUnobserved: true);
                return;
            }

            TrySetResult(result);
        }
    }
}

/// <summary>The result builders of the gather variants.</summary>
internal static class GatherResults
{
    internal static T[] Values<T>(Future[] children)
    {
        var values = new T[children.Length];
        for (int i = 0; i < children.Length; i++)
        {
            values[i] = ((IResultSource<T>)children[i]).GetResultAfterCheck();
        }

        return values;
    }

    internal static Outcome<T>[] TypedOutcomes<T>(Future[] children)
    {
        var outcomes = new Outcome<T>[children.Length];
        for (int i = 0; i < children.Length; i++)
        {
            Future child = children[i];
            outcomes[i] = child.IsCompletedSuccessfully
                ? new Outcome<T>(((IResultSource<T>)child).GetResultAfterCheck())
                : new Outcome<T>(child.IsCancelled ? new CancelledException(child.CancellationError.CancelMessage) : child.Exception!);
        }

        return outcomes;
    }

    internal static Outcome[] Outcomes(Future[] children)
    {
        var outcomes = new Outcome[children.Length];
        for (int i = 0; i < children.Length; i++)
        {
            Future child = children[i];
            outcomes[i] = new Outcome(child.IsCompletedSuccessfully ? null
                : child.IsCancelled ? new CancelledException(child.CancellationError.CancelMessage) : child.Exception);
        }

        return outcomes;
    }

    internal static object? Nothing(Future[] children) => null;
}
