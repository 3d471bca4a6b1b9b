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
    private readonly Lock _lock = new();
    private ReadyItem[] _incoming = new ReadyItem[64];
    private ReadyItem[] _spare = new ReadyItem[64];
    private int _count;

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

    /// <summary>Moves every waiting item to the ready queue, in arrival order. Loop thread only.</summary>
    /// <returns>How many items moved.</returns>
    public int DrainInto(ReadyQueue ready)
    {
        if (IsEmpty)
        {
            return 0;
        }

        ReadyItem[] batch;
        int n;
        lock (_lock)
        {
            batch = _incoming;
            n = _count;
            _incoming = _spare;
            _count = 0;
        }

        for (int i = 0; i < n; i++)
        {
            ready.Enqueue(batch[i]);
        }

        Array.Clear(batch, 0, n);
        _spare = batch;
        return n;
    }

    /// <summary>Gives back what a burst of posts grew, when the loop goes idle.</summary>
    public void TrimExcess()
    {
        if (_spare.Length > 1024)
        {
            _spare = new ReadyItem[64];
        }

        lock (_lock)
        {
            if (_count == 0 && _incoming.Length > 1024)
            {
                _incoming = new ReadyItem[64];
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
