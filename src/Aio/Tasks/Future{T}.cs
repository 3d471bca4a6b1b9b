using Aio.CompilerServices;

namespace Aio;

/// <summary>
/// A future with a value of type <typeparamref name="T"/>, completed by whoever holds it:
/// asyncio's <c>loop.create_future()</c>. Create one with <see cref="EventLoop.CreateFuture{T}"/>.
/// </summary>
/// <typeparam name="T">The type of the result.</typeparam>
/// <remarks>Not thread-safe: complete it on its loop's thread (from another thread, go through
/// <see cref="EventLoop.CallSoonThreadsafe(Action)"/>).</remarks>
public class Future<T> : Future, IResultSource<T>
{
    private T _result = default!;

    internal Future(EventLoop loop)
        : base(loop)
    {
    }

    /// <summary>The result; asyncio's <c>result()</c>. Reading it marks an exception as retrieved.</summary>
    /// <exception cref="CancelledException">The future was cancelled.</exception>
    /// <exception cref="InvalidOperationException">The future is not done.</exception>
    /// <remarks>Rethrows the exception the future failed with.</remarks>
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

    /// <summary>Completes the future with a value and schedules its callbacks; asyncio's <c>set_result</c>.</summary>
    /// <param name="value">The result.</param>
    /// <exception cref="InvalidOperationException">The future is already done.</exception>
    public void SetResult(T value)
    {
        if (!TrySetResult(value))
        {
            throw new InvalidOperationException($"The future is already done ({StateName}).");
        }
    }

    /// <summary>Completes the future with a value unless it is already done.</summary>
    /// <param name="value">The result.</param>
    /// <returns>False if the future was already done.</returns>
    public bool TrySetResult(T value)
    {
        Loop.CheckThread();
        if (IsDone)
        {
            return false;
        }

        _result = value;
        return TrySetSucceededCore();
    }

    /// <summary>Completes the future with an exception; asyncio's <c>set_exception</c>. An exception
    /// nobody retrieves is reported to the loop's exception handler.</summary>
    /// <param name="exception">The exception.</param>
    /// <exception cref="InvalidOperationException">The future is already done.</exception>
    public void SetException(Exception exception)
    {
        if (!TrySetException(exception))
        {
            throw new InvalidOperationException($"The future is already done ({StateName}).");
        }
    }

    /// <summary>Completes the future with an exception unless it is already done.</summary>
    /// <param name="exception">The exception; a <see cref="CancelledException"/> cancels the future.</param>
    /// <returns>False if the future was already done.</returns>
    public bool TrySetException(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        Loop.CheckThread();
        return exception is CancelledException cancelled
            ? TrySetCancelledCore(cancelled.CancelMessage, cancelled)
            : TrySetFailedCore(exception, trackUnobserved: true);
    }

    /// <summary>Lets <c>await</c> wait for the result.</summary>
    /// <returns>The awaiter.</returns>
    public new FutureAwaiter<T> GetAwaiter() => new(this);

    /// <summary>A .NET task that completes like this future; callable from any thread.</summary>
    /// <returns>The task.</returns>
    public new Task<T> AsTask()
    {
        var waiter = new TaskCompletionWaiter<T>(this);
        waiter.Attach();
        return waiter.Task;
    }
}
