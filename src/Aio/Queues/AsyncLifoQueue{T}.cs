namespace Aio.Queues;

/// <summary>
/// A last-in, first-out queue (a stack) of items between coroutines; asyncio's <c>LifoQueue</c>. See
/// <see cref="AsyncQueueBase{T}"/> for waiting, fairness, cancellation and shutdown.
/// </summary>
/// <typeparam name="T">The type of the items.</typeparam>
public sealed class AsyncLifoQueue<T> : AsyncQueueBase<T>
{
    private readonly Stack<T> _items = new();

    /// <summary>Creates a LIFO queue.</summary>
    /// <param name="maxSize">How many items it holds at most; 0 or less means no limit.</param>
    public AsyncLifoQueue(int maxSize = 0)
        : base(maxSize, handsOff: false)
    {
    }

    private protected override int StoredCount => _items.Count;

    private protected override void Store(T item) => _items.Push(item);

    private protected override T Take() => _items.Pop();

    private protected override void ClearStore() => _items.Clear();
}
