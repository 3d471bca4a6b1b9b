using System.Runtime.CompilerServices;

namespace Aio;

/// <summary>The loop's FIFO of callbacks to run: a growable power-of-two ring buffer.</summary>
/// <remarks>Loop thread only. Dequeued slots are cleared at once so the queue never keeps garbage alive.</remarks>
internal sealed class ReadyQueue
{
    private ReadyItem[] _items = new ReadyItem[256];
    private int _head;
    private int _tail;
    private int _count;

    /// <summary>How many callbacks are waiting.</summary>
    public int Count => _count;

    /// <summary>Appends a callback.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Enqueue(Action<object?, object?> callback, object? state, object? arg)
    {
        ReadyItem[] items = _items;
        if (_count == items.Length)
        {
            Grow();
            items = _items;
        }

        // Field by field rather than a struct copy: the JIT then skips the write barrier of a constant
        // null argument, where a struct copy pays a barrier helper for every reference field.
        ref ReadyItem slot = ref items[_tail];
        slot.Callback = callback;
        slot.State = state;
        slot.Arg = arg;
        _tail = (_tail + 1) & (items.Length - 1);
        _count++;
    }

    /// <summary>Appends a public <c>call_soon</c> callback. Its entry has no delegate: the loop recognizes
    /// the node and runs it directly, which saves a delegate call and a write barrier on the hottest
    /// public path.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void EnqueueNode(CallbackNode node)
    {
        ReadyItem[] items = _items;
        if (_count == items.Length)
        {
            Grow();
            items = _items;
        }

        ref ReadyItem slot = ref items[_tail];
        slot.Callback = null!;
        slot.State = node;
        slot.Arg = null;
        _tail = (_tail + 1) & (items.Length - 1);
        _count++;
    }

    /// <summary>The states of the waiting entries whose callback is <paramref name="callback"/>, oldest
    /// first (used to list tasks whose first step is pending).</summary>
    public IEnumerable<object?> StatesOf(Action<object?, object?> callback)
    {
        for (int i = 0; i < _count; i++)
        {
            ReadyItem item = _items[(_head + i) & (_items.Length - 1)];
            if (ReferenceEquals(item.Callback, callback))
            {
                yield return item.State;
            }
        }
    }

    /// <summary>Appends a callback.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Enqueue(in ReadyItem item) => Enqueue(item.Callback, item.State, item.Arg);

    /// <summary>Removes the oldest callback. The caller has checked <see cref="Count"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ReadyItem Dequeue()
    {
        ReadyItem[] items = _items;
        ref ReadyItem slot = ref items[_head];
        ReadyItem item = slot;
        slot = default;
        _head = (_head + 1) & (items.Length - 1);
        _count--;
        return item;
    }

    /// <summary>Starts loading what the next few callbacks will touch first, a stage deeper for each one
    /// nearer the head: the third one's state; the second one's coroutine, when its state is a wait that
    /// resumes one; the first one's task. Each stage reads only what the stage before asked for, one
    /// callback earlier, so none of them waits for memory itself.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void PrefetchAhead()
    {
        ReadyItem[] items = _items;
        int mask = items.Length - 1;
        int count = _count;
        if (count > 3)
        {
            CacheHints.Prefetch(items[(_head + 3) & mask].State, 3);
        }

        if (count > 2)
        {
            ref ReadyItem second = ref items[(_head + 2) & mask];
            if (ReferenceEquals(second.Arg, Sync.WaitNode.ResumeMarker))
            {
                CacheHints.Prefetch(Unsafe.As<Sync.WaitNode>(second.State!).WaitingCoroutine, 2);
            }
        }

        if (count > 1)
        {
            ref ReadyItem first = ref items[(_head + 1) & mask];
            if (ReferenceEquals(first.Arg, Sync.WaitNode.ResumeMarker) && Unsafe.As<Sync.WaitNode>(first.State!).WaitingCoroutine is { } box)
            {
                CacheHints.Prefetch(box._core, 2);
            }
        }
    }

    /// <summary>Puts the first <paramref name="count"/> entries in a random order drawn from
    /// <paramref name="random"/> (Fisher–Yates): the testing package's schedule perturbation.</summary>
    public void Shuffle(int count, Random random)
    {
        ReadyItem[] items = _items;
        int mask = items.Length - 1;
        for (int i = Math.Min(count, _count) - 1; i > 0; i--)
        {
            int j = random.Next(i + 1);
            (items[(_head + i) & mask], items[(_head + j) & mask]) = (items[(_head + j) & mask], items[(_head + i) & mask]);
        }
    }

    /// <summary>Capacity kept across idle periods, so a steady stream of work does not regrow (and page-fault
    /// in) the ring after every pause: 16,384 entries, 384 KB.</summary>
    private const int KeptCapacity = 16384;

    /// <summary>Gives back what an exceptional burst grew, once the queue is mostly empty again.</summary>
    public void TrimExcess()
    {
        if (_items.Length > KeptCapacity && _count < _items.Length / 8)
        {
            Resize(Math.Max(KeptCapacity, (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)Math.Max(1, _count * 2))));
        }
    }

    /// <summary>Drops every waiting callback (used when the loop closes).</summary>
    public void Clear()
    {
        Array.Clear(_items);
        _head = _tail = _count = 0;
    }

    private void Grow() => Resize(_items.Length * 2);

    private void Resize(int capacity)
    {
        var items = new ReadyItem[capacity];
        if (_count > 0)
        {
            int firstPart = Math.Min(_count, _items.Length - _head);
            Array.Copy(_items, _head, items, 0, firstPart);
            Array.Copy(_items, 0, items, firstPart, _count - firstPart);
        }

        _head = 0;
        _tail = _count & (capacity - 1);
        _items = items;
    }
}
