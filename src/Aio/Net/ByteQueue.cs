namespace Aio.Net;

/// <summary>Bytes waiting in order — what a transport could not send at once, what a stream reader
/// received and nobody read yet: one growable array with a start and an end, compacted when it runs out of
/// room at the end.</summary>
/// <remarks>Usually nearly empty: a write first goes straight to the socket, and a read usually takes what
/// came.</remarks>
internal sealed class ByteQueue
{
    /// <summary>Above this size an emptied buffer gives its array back, so one burst does not pin memory.</summary>
    private const int KeepAtMost = 256 * 1024;

    private byte[] _bytes = [];
    private int _start;
    private int _end;

    /// <summary>How many bytes wait.</summary>
    internal int Count => _end - _start;

    /// <summary>The waiting bytes, oldest first.</summary>
    internal ReadOnlySpan<byte> Pending => _bytes.AsSpan(_start, _end - _start);

    /// <summary>Appends a copy of <paramref name="data"/>.</summary>
    internal void Append(ReadOnlySpan<byte> data)
    {
        if (_bytes.Length - _end < data.Length)
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
        if (_bytes.Length > KeepAtMost)
        {
            _bytes = [];
        }
    }

    private void MakeRoom(int extra)
    {
        int count = _end - _start;
        int needed = count + extra;
        if (needed <= _bytes.Length && _start > 0)
        {
            _bytes.AsSpan(_start, count).CopyTo(_bytes);
        }
        else
        {
            byte[] bigger = new byte[Math.Max(needed, Math.Max(4096, _bytes.Length * 2))];
            _bytes.AsSpan(_start, count).CopyTo(bigger);
            _bytes = bigger;
        }

        _start = 0;
        _end = count;
    }
}
