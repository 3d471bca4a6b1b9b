namespace Aio;

/// <summary>Bridges a future to a .NET task for code on other threads; see <see cref="Future.AsTask"/>.</summary>
internal abstract class TaskCompletionWaiter : IFutureWaiter
{
    private static readonly Action<object?, object?> s_attach =
        static (w, _) => ((TaskCompletionWaiter)w!).AttachOnLoop();

    private protected TaskCompletionWaiter(Future future)
    {
        Future = future;
    }

    internal Future Future { get; }

    /// <summary>Registers with the future, hopping to its loop first when called from another thread.</summary>
    internal void Attach()
    {
        EventLoop? loop = Future.LoopOrNull;
        if (loop is null || !loop.IsRunning || loop.IsRunningOnCurrentThread)
        {
            AttachOnLoop();
        }
        else
        {
            loop.EnqueueFromAnyThread(s_attach, this, null);
        }
    }

    private void AttachOnLoop()
    {
        if (Future.IsDone)
        {
            OnCompleted(Future);
        }
        else
        {
            Future.AddWaiter(this);
        }
    }

    public void OnCompleted(Future? future)
    {
        if (Future.IsCompletedSuccessfully)
        {
            SetResult();
        }
        else if (Future.IsCancelled)
        {
            // A canceled .NET task is what .NET code expects from a cancelled operation.
            SetCanceled(Future.CancellationError.CancellationToken);
        }
        else
        {
            SetException(Future.Exception!);
        }
    }

    protected abstract void SetResult();

    protected abstract void SetCanceled(CancellationToken token);

    protected abstract void SetException(Exception exception);
}

/// <summary>The bridge behind <see cref="Future.AsTask"/>.</summary>
internal sealed class VoidTaskCompletionWaiter(Future future) : TaskCompletionWaiter(future)
{
    private readonly TaskCompletionSource _source = new(TaskCreationOptions.RunContinuationsAsynchronously);

    internal Task Task => _source.Task;

    protected override void SetResult() => _source.TrySetResult();

    protected override void SetCanceled(CancellationToken token) => _source.TrySetCanceled(token);

    protected override void SetException(Exception exception) => _source.TrySetException(exception);
}

/// <summary>The bridge behind <see cref="Future{T}.AsTask"/> and <see cref="AioTask{T}.AsTask"/>.</summary>
/// <typeparam name="T">The type of the result.</typeparam>
internal sealed class TaskCompletionWaiter<T>(Future future) : TaskCompletionWaiter(future)
{
    private readonly TaskCompletionSource<T> _source = new(TaskCreationOptions.RunContinuationsAsynchronously);

    internal Task<T> Task => _source.Task;

    protected override void SetResult() => _source.TrySetResult(((IResultSource<T>)Future).GetResultAfterCheck());

    protected override void SetCanceled(CancellationToken token) => _source.TrySetCanceled(token);

    protected override void SetException(Exception exception) => _source.TrySetException(exception);
}
