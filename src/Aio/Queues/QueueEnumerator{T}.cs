using System.Threading.Tasks.Sources;
using Aio.Sync;

namespace Aio.Queues;

/// <summary>
/// <c>await foreach</c> over a queue. Each step takes an item if one is there; otherwise it awaits a
/// parked getter, seen through this object as the <see cref="ValueTask{Boolean}"/>
/// <see cref="MoveNextAsync"/> needs, so a waiting step allocates nothing.
/// </summary>
/// <typeparam name="T">The type of the items.</typeparam>
internal sealed class QueueEnumerator<T> : IAsyncEnumerator<T>, IValueTaskSource<bool>
{
    private static readonly Action<object?> s_tokenCancelled = static state => ((QueueEnumerator<T>)state!).OnTokenCancelled();

    private readonly AsyncQueueBase<T> _queue;
    private readonly CancellationToken _cancellationToken;
    private WaitNode<T>? _node;
    private CancellationTokenRegistration _registration;
    private T? _current;

    internal QueueEnumerator(AsyncQueueBase<T> queue, CancellationToken cancellationToken)
    {
        _queue = queue;
        _cancellationToken = cancellationToken;
    }

    public T Current => _current!;

    public ValueTask<bool> MoveNextAsync()
    {
        _cancellationToken.ThrowIfCancellationRequested();
        if (_queue.TryGetOrPark(out T? item, out WaitNode<T>? node))
        {
            _current = item;
            return new ValueTask<bool>(true);
        }

        if (node is null)
        {
            // Shut down and drained: the end of the sequence.
            _current = default;
            return new ValueTask<bool>(false);
        }

        _node = node;
        if (_cancellationToken.CanBeCanceled)
        {
            _registration = _cancellationToken.UnsafeRegister(s_tokenCancelled, this);
        }

        return new ValueTask<bool>(this, node.Version);
    }

    public ValueTaskSourceStatus GetStatus(short token) => _node!.GetStatus(token);

    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _node!.OnCompleted(continuation, state, token, flags);

    public bool GetResult(short token)
    {
        WaitNode<T> node = _node!;
        _node = null;
        _registration.Dispose();
        _registration = default;
        try
        {
            _current = node.GetResult(token);
            return true;
        }
        catch (QueueShutDownException)
        {
            _current = default;
            return false;
        }
    }

    public ValueTask DisposeAsync()
    {
        _registration.Dispose();
        return default;
    }

    /// <summary>The token was cancelled, on any thread: end the waiting step on the loop.</summary>
    private void OnTokenCancelled()
    {
        WaitNode<T>? node = _node;
        if (node is null)
        {
            return;
        }

        short version = node.Version;
        node.Loop.EnqueueFromAnyThread(
            static (self, v) => ((QueueEnumerator<T>)self!).CancelStep((short)v!),
            this,
            version);
    }

    private void CancelStep(short version)
    {
        if (_node is { } node && node.Version == version && node.Status == WaitNode.Waiting)
        {
            node.LeaveFailed(new OperationCanceledException(_cancellationToken));
        }
    }
}
