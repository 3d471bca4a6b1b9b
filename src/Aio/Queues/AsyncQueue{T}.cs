namespace Aio.Queues;

/// <summary>
/// A first-in, first-out queue of items between coroutines; asyncio's <c>Queue</c>. See
/// <see cref="AsyncQueueBase{T}"/> for waiting, fairness, cancellation and shutdown.
/// </summary>
/// <typeparam name="T">The type of the items.</typeparam>
/// <example><code>
/// var queue = new AsyncQueue&lt;Job&gt;(maxSize: 100);
/// // producer
/// await queue.PutAsync(job);
/// // consumer
/// await foreach (Job job in queue)
/// {
///     await RunAsync(job);
///     queue.TaskDone();
/// }
/// </code></example>
public sealed class AsyncQueue<T> : AsyncQueueBase<T>
{
    private readonly ItemRing<T> _items = new();

    /// <summary>Creates a queue.</summary>
    /// <param name="maxSize">How many items it holds at most; 0 or less means no limit.</param>
    public AsyncQueue(int maxSize = 0)
        : base(maxSize, handsOff: true)
    {
    }

    private protected override int StoredCount => _items.Count;

    private protected override void Store(T item) => _items.AddLast(item);

    private protected override T Take() => _items.RemoveFirst();

    private protected override void ClearStore() => _items.Clear();

    private protected override void StoreFirst(T item) => _items.AddFirst(item);
}
