namespace Aio;

/// <summary>
/// Runs work off the loop thread; asyncio's <c>concurrent.futures.Executor</c> as
/// <see cref="EventLoop.RunInExecutor{T}(IExecutor?, Func{T})"/> uses it.
/// </summary>
/// <remarks>Implementations must be thread-safe and must never run the work inline on the caller's
/// (loop) thread.</remarks>
public interface IExecutor
{
    /// <summary>Queues <paramref name="work"/> to run on another thread.</summary>
    /// <param name="work">The work; it does not throw (the loop's wrapper catches everything).</param>
    /// <param name="state">Its argument.</param>
    /// <exception cref="InvalidOperationException">The executor is shut down.</exception>
    void Execute(Action<object?> work, object? state);
}
