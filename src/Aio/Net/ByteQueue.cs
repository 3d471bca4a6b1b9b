namespace Aio.Net;

/// <summary>Bytes waiting in order — what a transport could not send at once, what a stream reader
/// received and nobody read yet: one growable array with a start and an end, compacted when it runs out of
/// room at the end.</summary>
/// <remarks>
/// <para>Usually nearly empty: a write first goes straight to the socket, and a read usually takes what
/// came.</para>
/// <para>A mutable struct, kept in a (not read-only) field of its owner and called in place: a transport
/// or a reader checks its count at every message, and a separate object would be one more cache line per
/// message to fetch — at a thousand connections, likely from memory. Never copy it.</para>
/// </remarks>
internal struct ByteQueue
{
    /// <summary>Above this size an emptied buffer gives its array back, so one burst does not pin memory.</summary>
    private const int KeepAtMost = 256 * 1024;

    /// <summary>The array; null until the first byte waits (a default queue is an empty one).</summary>
    private byte[]? _bytes;
    private int _start;
    private int _end;

    private readonly int Capacity => _bytes?.Length ?? 0;

    /// <summary>How many bytes wait.</summary>
    internal readonly int Count => _end - _start;

    /// <summary>The waiting bytes, oldest first.</summary>
    internal readonly ReadOnlySpan<byte> Pending => _bytes.AsSpan(_start, _end - _start);

    /// <summary>Appends a copy of <paramref name="data"/>.</summary>
    internal void Append(ReadOnlySpan<byte> data)
    {
        if (Capacity - _end < data.Length)
        {
            MakeRoom(data.Length);
        }

        data.CopyTo(_bytes.AsSpan(_end));
        _end += data.Length;
    }

    /// <summary>Puts <paramref name="data"/> back in front of the waiting bytes: it was taken by a reader
    /// that was cancelled before it could use it.</summary>
    internal void PutBack(ReadOnlySpan<byte> data)
    {
        if (_start >= data.Length)
        {
            _start -= data.Length;
            data.CopyTo(_bytes.AsSpan(_start));
            return;
        }

        int count = _end - _start;
        byte[] bytes = new byte[Math.Max(4096, data.Length + count)];
        data.CopyTo(bytes);
        _bytes.AsSpan(_start, count).CopyTo(bytes.AsSpan(data.Length));
        _bytes = bytes;
        _start = 0;
        _end = data.Length + count;
    }

    /// <summary>Drops the first <paramref name="count"/> bytes: they were sent, or read.</summary>
    internal void Consume(int count)
    {
        _start += count;
        if (_start == _end)
        {
            Clear();
        }
    }

    /// <summary>Drops everything.</summary>
    internal void Clear()
    {
        _start = 0;
        _end = 0;
        if (Capacity > KeepAtMost)
        {
            _bytes = null;
        }
    }

    /// <summary>Whether the queue has an array of its own.</summary>
    internal readonly bool HasArray => _bytes is not null;

    /// <summary>The array the bytes are in, if any, to warm up its cache line before use.</summary>
    internal readonly byte[]? PeekArray() => _bytes;

    /// <summary>Gives an empty queue <paramref name="array"/> to fill (one lent by a pool).</summary>
    /// <param name="array">The array.</param>
    internal void Adopt(byte[] array)
    {
        System.Diagnostics.Debug.Assert(Count == 0, "Only an empty queue takes an array.");
        _bytes = array;
        _start = 0;
        _end = 0;
    }

    /// <summary>Takes the array away from an empty queue (to give it back to a pool).</summary>
    /// <returns>The array, or null when the queue had none.</returns>
    internal byte[]? Release()
    {
        System.Diagnostics.Debug.Assert(Count == 0, "Only an empty queue gives its array up.");
        byte[]? array = _bytes;
        _bytes = null;
        _start = 0;
        _end = 0;
        return array;
    }

    private void MakeRoom(int extra)
    {
        int count = _end - _start;
        int needed = count + extra;
        if (needed <= Capacity && _start > 0)
        {
            _bytes.AsSpan(_start, count).CopyTo(_bytes);
        }
        else
        {
            byte[] bigger = new byte[Math.Max(needed, Math.Max(4096, Capacity * 2))];
            _bytes.AsSpan(_start, count).CopyTo(bigger);
            _bytes = bigger;
        }

        _start = 0;
        _end = count;
    }
}
