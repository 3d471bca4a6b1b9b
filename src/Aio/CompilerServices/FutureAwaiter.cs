using System.ComponentModel;
using System.Runtime.CompilerServices;

namespace Aio.CompilerServices;

/// <summary>Awaits a <see cref="Future"/> without a value. Used by the compiler for <c>await future</c>.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public readonly struct FutureAwaiter : ICriticalNotifyCompletion, ILoopAwaiter
{
    private readonly Future _future;

    internal FutureAwaiter(Future future)
    {
        _future = future;
    }

    internal Future Future => _future;

    /// <summary>Whether the future is done.</summary>
    public bool IsCompleted => _future.IsDone;

    /// <summary>Schedules the continuation for when the future is done, flowing the execution context.</summary>
    /// <param name="continuation">The continuation.</param>
    public void OnCompleted(Action continuation) => _future.RegisterAwait(Continuations.FlowContext(continuation));

    /// <summary>Schedules the continuation for when the future is done.</summary>
    /// <param name="continuation">The continuation.</param>
    public void UnsafeOnCompleted(Action continuation) => _future.RegisterAwait(continuation);

    void ILoopAwaiter.RegisterBox(AioTask box) => RegisterBox(box);

    internal void RegisterBox(AioTask box) => _future.RegisterAwait(box, box._core);

    /// <summary>Ends the await: throws the future's exception, or a cancellation.</summary>
    public void GetResult()
    {
        _future.MarkExceptionObserved();
        _future.OnAwaitResumed();
        _future.ThrowIfNotSucceeded();
    }
}
