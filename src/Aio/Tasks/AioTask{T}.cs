using Aio.CompilerServices;

namespace Aio;

/// <summary>A task whose coroutine returns a <typeparamref name="T"/>; see <see cref="AioTask"/>.</summary>
/// <typeparam name="T">The type of the result.</typeparam>
public abstract class AioTask<T> : AioTask, IResultSource<T>
{
    private protected T _result = default!;

    private protected AioTask()
    {
    }

    /// <summary>The value the coroutine returned; asyncio's <c>result()</c>. Rethrows the exception the
    /// task failed with, and marks it as retrieved.</summary>
    /// <exception cref="CancelledException">The task was cancelled.</exception>
    /// <exception cref="InvalidOperationException">The task is not done.</exception>
    public new T Result
    {
        get
        {
            ThrowIfNotSucceeded();
            return _result;
        }
    }

    T IResultSource<T>.GetResultAfterCheck() => _result;

    private protected override object? BoxedResult => _result;

    /// <summary>Lets <c>await</c> wait for the result.</summary>
    /// <returns>The awaiter.</returns>
    public new FutureAwaiter<T> GetAwaiter() => new(this);

    /// <summary>A .NET task that completes like this task; callable from any thread.</summary>
    /// <returns>The .NET task.</returns>
    public new Task<T> AsTask()
    {
        var waiter = new TaskCompletionWaiter<T>(this);
        waiter.Attach();
        return waiter.Task;
    }

    /// <summary>Stores the coroutine's return value and finishes.</summary>
    internal void FinishWithResult(T result)
    {
        _result = result;
        FinishWithResult();
    }
}
