using System.ComponentModel;
using System.Runtime.CompilerServices;

namespace Aio.CompilerServices;

/// <summary>Awaits a <see cref="Future{T}"/> or <see cref="AioTask{T}"/>. Used by the compiler.</summary>
/// <typeparam name="T">The type of the result.</typeparam>
[EditorBrowsable(EditorBrowsableState.Never)]
public readonly struct FutureAwaiter<T> : ICriticalNotifyCompletion, ILoopAwaiter
{
    private readonly FutureAwaiter _inner;

    internal FutureAwaiter(Future future)
    {
        _inner = new FutureAwaiter(future);
    }

    /// <summary>Whether the future is done.</summary>
    public bool IsCompleted => _inner.IsCompleted;

    /// <summary>Schedules the continuation for when the future is done, flowing the execution context.</summary>
    /// <param name="continuation">The continuation.</param>
    public void OnCompleted(Action continuation) => _inner.OnCompleted(continuation);

    /// <summary>Schedules the continuation for when the future is done.</summary>
    /// <param name="continuation">The continuation.</param>
    public void UnsafeOnCompleted(Action continuation) => _inner.UnsafeOnCompleted(continuation);

    void ILoopAwaiter.RegisterBox(AioTask box) => _inner.RegisterBox(box);

    /// <summary>Ends the await: returns the result, or throws the future's exception or a cancellation.</summary>
    /// <returns>The result.</returns>
    public T GetResult()
    {
        _inner.GetResult();
        return ((IResultSource<T>)_inner.Future).GetResultAfterCheck();
    }
}
