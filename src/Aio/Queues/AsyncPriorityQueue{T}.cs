namespace Aio.Queues;

/// <summary>
/// A queue that hands out the smallest item first; asyncio's <c>PriorityQueue</c>. Items that compare
/// equal come out in the order they were put (asyncio's heap makes no such promise). See
/// <see cref="AsyncQueueBase{T}"/> for waiting, fairness, cancellation and shutdown.
/// </summary>
/// <typeparam name="T">The type of the items.</typeparam>
/// <example><code>
/// var queue = new AsyncPriorityQueue&lt;(int Priority, string Job)&gt;();
/// await queue.PutAsync((1, "urgent"));
/// </code></example>
public sealed class AsyncPriorityQueue<T> : AsyncQueueBase<T>
{
    private readonly IComparer<T> _comparer;
    private (T Item, long Sequence)[] _heap = [];
    private int _count;
    private long _sequence;

    /// <summary>Creates a priority queue ordered by <paramref name="comparer"/>.</summary>
    /// <param name="maxSize">How many items it holds at most; 0 or less means no limit.</param>
    /// <param name="comparer">The order; <see cref="Comparer{T}.Default"/> when null.</param>
    public AsyncPriorityQueue(int maxSize = 0, IComparer<T>? comparer = null)
        : base(maxSize, handsOff: false)
    {
        _comparer = comparer ?? Comparer<T>.Default;
    }

    /// <summary>The order items come out in.</summary>
    public IComparer<T> Comparer => _comparer;

    private protected override int StoredCount => _count;

    private protected override void Store(T item)
    {
        if (_count == _heap.Length)
        {
            Array.Resize(ref _heap, Math.Max(4, _count * 2));
        }

        // Sift up: move parents down until the new entry's place is found.
        var entry = (item, _sequence++);
        int index = _count++;
        while (index > 0)
        {
            int parent = (index - 1) >> 1;
            if (!Less(entry, _heap[parent]))
            {
                break;
            }

            _heap[index] = _heap[parent];
            index = parent;
        }

        _heap[index] = entry;
    }

    private protected override T Take()
    {
        T top = _heap[0].Item;
        int last = --_count;
        (T Item, long Sequence) entry = _heap[last];
        _heap[last] = default;
        if (last > 0)
        {
            // Sift down from the root with the last entry.
            int index = 0;
            while (true)
            {
                int child = (2 * index) + 1;
                if (child >= last)
                {
                    break;
                }

                if (child + 1 < last && Less(_heap[child + 1], _heap[child]))
                {
                    child++;
                }

                if (!Less(_heap[child], entry))
                {
                    break;
                }

                _heap[index] = _heap[child];
                index = child;
            }

            _heap[index] = entry;
        }

        return top;
    }

    private protected override void ClearStore()
    {
        Array.Clear(_heap, 0, _count);
        _count = 0;
    }

    private bool Less((T Item, long Sequence) a, (T Item, long Sequence) b)
    {
        int order = _comparer.Compare(a.Item, b.Item);
        return order < 0 || (order == 0 && a.Sequence < b.Sequence);
    }
}
