using System.Runtime.CompilerServices;

namespace Aio;

/// <summary>The one door into the loop from other threads: producers append under a lock, the loop takes
/// the whole batch in one swap.</summary>
/// <remarks>
/// A lock with a batch swap beats a lock-free queue here: the loop pays one lock per iteration however
/// many items arrived, and producers hold the lock for one array store. The loop is woken by the caller
/// (see <see cref="EventLoop"/>), not by this type.
/// </remarks>
internal sealed class ThreadsafeQueue
{
    private const int MaxFreeNodes = 4096;

    private readonly Lock _lock = new();
    private ReadyItem[] _incoming = new ReadyItem[64];
    private ReadyItem[] _spare = new ReadyItem[64];
    private int _count;

    /// <summary>Shared callback nodes ready for reuse (guarded by the lock).</summary>
    private CallbackNode?[] _freeNodes = new CallbackNode?[64];
    private int _freeCount;

    /// <summary>Shared nodes whose callback ran, waiting to be recycled at the next drain (loop thread only).</summary>
    private CallbackNode?[] _returning = new CallbackNode?[64];
    private int _returningCount;

    /// <summary>Whether anything is waiting; a racy hint, exact only on the loop thread after a drain.</summary>
    public bool IsEmpty => Volatile.Read(ref _count) == 0;

    /// <summary>Appends an item. Any thread.</summary>
    public void Enqueue(in ReadyItem item)
    {
        lock (_lock)
        {
            if (_count == _incoming.Length)
            {
                Array.Resize(ref _incoming, _incoming.Length * 2);
            }

            _incoming[_count] = item;
            Volatile.Write(ref _count, _count + 1);
        }
    }

    /// <summary>
    /// Schedules a <c>call_soon_threadsafe</c> callback: rents a shared node and appends it — to this
    /// queue, or straight to <paramref name="ready"/> when called on the loop thread (which keeps FIFO order
    /// with <c>call_soon</c>, as asyncio's one ready deque does). One lock acquisition either way.
    /// </summary>
    public Handle EnqueueCallback(EventLoop loop, Action<object?> callback, object? state, ExecutionContext? context, ReadyQueue? ready)
    {
        CallbackNode node;
        int version;
        lock (_lock)
        {
            node = _freeCount > 0 ? _freeNodes[--_freeCount]! : new CallbackNode { Loop = loop, Shared = true };
            _freeNodes[_freeCount] = null;
            node.Callback = callback;
            node.State = state;
            node.Context = context;
            version = node.Version;
            if (ready is not null)
            {
                ready.EnqueueNode(node);
            }
            else
            {
                if (_count == _incoming.Length)
                {
                    Array.Resize(ref _incoming, _incoming.Length * 2);
                }

                ref ReadyItem slot = ref _incoming[_count];
                slot.Callback = null!;
                slot.State = node;
                Volatile.Write(ref _count, _count + 1);
            }
        }

        return new Handle(node, version);
    }

    /// <summary>Cancels a shared node if the handle's version is still current. Any thread.</summary>
    public void Cancel(CallbackNode node, int version)
    {
        lock (_lock)
        {
            // The loop may be reading the fields to run it right now: only the flag changes here.
            if (node.Version == version)
            {
                node.Cancelled = true;
            }
        }
    }

    /// <summary>Keeps a shared node whose callback is running, to recycle at the next drain. Loop thread.</summary>
    public void Return(CallbackNode node)
    {
        if (_returningCount == _returning.Length)
        {
            Array.Resize(ref _returning, _returning.Length * 2);
        }

        _returning[_returningCount++] = node;
    }

    /// <summary>Recycles returned nodes; the caller holds the lock.</summary>
    private void RecycleReturned()
    {
        for (int i = 0; i < _returningCount; i++)
        {
            CallbackNode node = _returning[i]!;
            _returning[i] = null;
            if (node.Cancelled)
            {
                // Cancelled while it ran: its handle reports cancelled for ever, so it is never reused.
                continue;
            }

            node.Callback = null;
            node.State = null;
            node.Context = null;
            node.Version++;
            if (_freeCount < MaxFreeNodes)
            {
                if (_freeCount == _freeNodes.Length)
                {
                    Array.Resize(ref _freeNodes, _freeCount * 2);
                }

                _freeNodes[_freeCount++] = node;
            }
        }

        _returningCount = 0;
    }

    /// <summary>Moves every waiting item to the ready queue, in arrival order. Loop thread only.</summary>
    /// <returns>How many items moved.</returns>
    public int DrainInto(ReadyQueue ready)
    {
        if (IsEmpty && _returningCount == 0)
        {
            return 0;
        }

        ReadyItem[] batch;
        int n;
        lock (_lock)
        {
            RecycleReturned();
            batch = _incoming;
            n = _count;
            _incoming = _spare;
            _count = 0;
        }

        for (int i = 0; i < n; i++)
        {
            ref ReadyItem item = ref batch[i];
            if (item.Callback is null)
            {
                ready.EnqueueNode(Unsafe.As<CallbackNode>(item.State!));
            }
            else
            {
                ready.Enqueue(item);
            }
        }

        Array.Clear(batch, 0, n);
        _spare = batch;
        return n;
    }

    /// <summary>Capacity kept across idle periods: enough for a sustained stream of posts without regrowing
    /// (and page-faulting in) the buffers after every pause, small enough not to matter (1.5 MB each).</summary>
    private const int KeptCapacity = 65536;

    /// <summary>Gives back what an exceptional burst of posts grew, when the loop goes idle.</summary>
    public void TrimExcess()
    {
        if (_spare.Length > KeptCapacity)
        {
            _spare = new ReadyItem[KeptCapacity];
        }

        lock (_lock)
        {
            if (_count == 0 && _incoming.Length > KeptCapacity)
            {
                _incoming = new ReadyItem[KeptCapacity];
            }
        }
    }

    /// <summary>Drops everything waiting (used when the loop closes).</summary>
    public void Clear()
    {
        lock (_lock)
        {
            Array.Clear(_incoming);
            _count = 0;
        }
    }
}
