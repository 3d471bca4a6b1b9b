using System.ComponentModel;
using System.Runtime.CompilerServices;

namespace Aio.CompilerServices;

/// <summary>Awaits a <see cref="Coroutine{T}"/> that runs inline in the awaiting task. Used by the compiler.</summary>
/// <typeparam name="T">The type of the result.</typeparam>
[EditorBrowsable(EditorBrowsableState.Never)]
public readonly struct CoroutineAwaiter<T> : ICriticalNotifyCompletion, ILoopAwaiter
{
    private readonly CoroutineAwaiter _inner;

    internal CoroutineAwaiter(AioTask<T>? box)
    {
        _inner = new CoroutineAwaiter(box);
    }

    /// <summary>Whether the coroutine has finished (it has run up to its first suspension already).</summary>
    public bool IsCompleted => _inner.IsCompleted;

    /// <summary>Resumes the continuation when the coroutine finishes.</summary>
    /// <param name="continuation">The continuation.</param>
    public void OnCompleted(Action continuation) => _inner.OnCompleted(continuation);

    /// <summary>Resumes the continuation when the coroutine finishes.</summary>
    /// <param name="continuation">The continuation.</param>
    public void UnsafeOnCompleted(Action continuation) => _inner.UnsafeOnCompleted(continuation);

    void ILoopAwaiter.RegisterBox(AioTask box) => _inner.RegisterBox(box);

    /// <summary>Ends the await: returns the result or throws the coroutine's exception.</summary>
    /// <returns>The result.</returns>
    public T GetResult()
    {
        _inner.GetResult();
        return _inner.Box is { } box ? ((IResultSource<T>)box).GetResultAfterCheck() : default!;
    }
}
