namespace Aio;

/// <summary>
/// Runs work off the loop thread; asyncio's <c>concurrent.futures.Executor</c> as
/// <see cref="EventLoop.RunInExecutor{T}(IExecutor?, Func{T})"/> uses it.
/// </summary>
/// <remarks>
/// Implementations must be thread-safe, must never run work inline on the caller's (loop) thread, and
/// must call exactly one of <see cref="IExecutorWork.Run"/> or <see cref="IExecutorWork.Abandon"/> for
/// every item they accept. A minimal executor over the .NET thread pool:
/// <code>
/// sealed class PoolExecutor : IExecutor
/// {
///     public void Execute(IExecutorWork work) =&gt; ThreadPool.QueueUserWorkItem(_ =&gt; work.Run());
/// }
/// </code>
/// </remarks>
public interface IExecutor
{
    /// <summary>Queues <paramref name="work"/> to run on another thread.</summary>
    /// <param name="work">The work.</param>
    /// <exception cref="InvalidOperationException">The executor is shut down; nothing was queued.</exception>
    void Execute(IExecutorWork work);
}
