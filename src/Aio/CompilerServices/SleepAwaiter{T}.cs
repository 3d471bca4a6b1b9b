using System.ComponentModel;
using System.Runtime.CompilerServices;

namespace Aio.CompilerServices;

/// <summary>Awaits a sleep that yields a value. Used by the compiler.</summary>
/// <typeparam name="T">The type of the value.</typeparam>
[EditorBrowsable(EditorBrowsableState.Never)]
public readonly struct SleepAwaiter<T> : ICriticalNotifyCompletion, ILoopAwaiter
{
    private readonly SleepAwaiter _inner;
    private readonly T _result;

    internal SleepAwaiter(SleepAwaiter inner, T result)
    {
        _inner = inner;
        _result = result;
    }

    /// <summary>Always false.</summary>
    public bool IsCompleted => false;

    /// <summary>Starts the sleep, flowing the execution context to the continuation.</summary>
    /// <param name="continuation">The continuation.</param>
    public void OnCompleted(Action continuation) => _inner.OnCompleted(continuation);

    /// <summary>Starts the sleep.</summary>
    /// <param name="continuation">The continuation.</param>
    public void UnsafeOnCompleted(Action continuation) => _inner.UnsafeOnCompleted(continuation);

    void ILoopAwaiter.RegisterBox(AioTask box) => _inner.RegisterBoxCore(box);

    /// <summary>Ends the sleep and returns the value.</summary>
    /// <returns>The value given to <see cref="AsyncIO.Sleep{T}(double, T)"/>.</returns>
    public T GetResult()
    {
        _inner.GetResult();
        return _result;
    }
}
