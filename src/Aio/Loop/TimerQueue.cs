using System.Runtime.CompilerServices;

namespace Aio;

/// <summary>The loop's timers: a binary min-heap ordered by deadline, then by scheduling order.</summary>
/// <remarks>
/// Entries keep their deadline inline so sifting compares without touching the targets, and each target
/// knows its index, so cancelling removes it at once in O(log n) instead of leaving a tombstone.
/// Loop thread only.
/// </remarks>
internal sealed class TimerQueue
{
    private struct Entry
    {
        public long When;
        public long Sequence;
        public ITimerTarget Target;
    }

    private Entry[] _heap = new Entry[64];
    private int _count;
    private long _nextSequence;

    /// <summary>How many timers are scheduled.</summary>
    public int Count => _count;

    /// <summary>The earliest deadline. The caller has checked <see cref="Count"/>.</summary>
    public long PeekWhen => _heap[0].When;

    /// <summary>Schedules <paramref name="target"/> at <paramref name="when"/> (loop clock, nanoseconds).</summary>
    public void Push(long when, ITimerTarget target)
    {
        if (_count == _heap.Length)
        {
            Array.Resize(ref _heap, _heap.Length * 2);
        }

        int i = _count++;
        var entry = new Entry { When = when, Sequence = _nextSequence++, Target = target };
        SiftUp(i, entry);
    }

    /// <summary>Removes and returns the earliest timer. The caller has checked <see cref="Count"/>.</summary>
    public ITimerTarget Pop()
    {
        Entry[] heap = _heap;
        ITimerTarget top = heap[0].Target;
        top.TimerIndex = -1;
        int last = --_count;
        if (last > 0)
        {
            Entry moved = heap[last];
            heap[last] = default;
            SiftDown(0, moved);
        }
        else
        {
            heap[0] = default;
        }

        return top;
    }

    /// <summary>Removes a scheduled target; does nothing when it is not scheduled.</summary>
    public void Remove(ITimerTarget target)
    {
        int i = target.TimerIndex;
        if (i < 0)
        {
            return;
        }

        target.TimerIndex = -1;
        Entry[] heap = _heap;
        int last = --_count;
        if (i == last)
        {
            heap[last] = default;
            return;
        }

        Entry moved = heap[last];
        heap[last] = default;
        if (i > 0 && Less(moved, heap[(i - 1) >> 1]))
        {
            SiftUp(i, moved);
        }
        else
        {
            SiftDown(i, moved);
        }
    }

    /// <summary>Gives back what a burst of timers grew, once most of them are gone.</summary>
    public void TrimExcess()
    {
        if (_heap.Length > 1024 && _count < _heap.Length / 8)
        {
            Array.Resize(ref _heap, Math.Max(64, _heap.Length / 4));
        }
    }

    /// <summary>A copy of the scheduled timers, in heap order (for diagnostics).</summary>
    public List<(long When, ITimerTarget Target)> Entries()
    {
        var entries = new List<(long, ITimerTarget)>(_count);
        for (int i = 0; i < _count; i++)
        {
            entries.Add((_heap[i].When, _heap[i].Target));
        }

        return entries;
    }

    /// <summary>The deadline of a scheduled target, or null when it is not scheduled.</summary>
    public long? WhenOf(ITimerTarget target)
    {
        int i = target.TimerIndex;
        return i >= 0 && i < _count && ReferenceEquals(_heap[i].Target, target) ? _heap[i].When : null;
    }

    /// <summary>Drops every timer (used when the loop closes).</summary>
    public void Clear()
    {
        for (int i = 0; i < _count; i++)
        {
            _heap[i].Target.TimerIndex = -1;
        }

        Array.Clear(_heap);
        _count = 0;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool Less(in Entry a, in Entry b) =>
        a.When < b.When || (a.When == b.When && a.Sequence < b.Sequence);

    private void SiftUp(int i, Entry entry)
    {
        Entry[] heap = _heap;
        while (i > 0)
        {
            int parent = (i - 1) >> 1;
            if (!Less(entry, heap[parent]))
            {
                break;
            }

            heap[i] = heap[parent];
            heap[i].Target.TimerIndex = i;
            i = parent;
        }

        heap[i] = entry;
        entry.Target.TimerIndex = i;
    }

    private void SiftDown(int i, Entry entry)
    {
        Entry[] heap = _heap;
        int count = _count;
        while (true)
        {
            int child = (i << 1) + 1;
            if (child >= count)
            {
                break;
            }

            if (child + 1 < count && Less(heap[child + 1], heap[child]))
            {
                child++;
            }

            if (!Less(heap[child], entry))
            {
                break;
            }

            heap[i] = heap[child];
            heap[i].Target.TimerIndex = i;
            i = child;
        }

        heap[i] = entry;
        entry.Target.TimerIndex = i;
    }
}
