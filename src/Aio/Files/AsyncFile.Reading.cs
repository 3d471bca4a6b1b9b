using System.Buffers;

namespace Aio.Files;

public sealed partial class AsyncFile
{
    /// <summary>Reads the rest of the file as text; Python's <c>await f.read()</c> in a text mode.</summary>
    /// <returns>A coroutine of the text; empty at the end of the file.</returns>
    /// <exception cref="InvalidOperationException">The file is write-only, or was opened in binary mode.</exception>
    /// <exception cref="ObjectDisposedException">The file is closed.</exception>
    /// <exception cref="IOException">The system reported an error.</exception>
    /// <remarks>A cancellation point; if cancelled, nothing is consumed. Reading and decoding happen on a
    /// worker thread. A byte-order mark at the start of the file is skipped; line ends are kept as they
    /// are. Loop thread only.</remarks>
    public async Coroutine<string> ReadAsync()
    {
        BeginOperation(read: true, write: false, text: true);
        await _turn.AcquireAsync();
        try
        {
            if (_trip.IsRunning)
            {
                await TripEnded();
            }

            await StartTrip(FileTripKind.FillToEnd, decode: true);
            string text = _trip.Text!;
            Consume(_trip.BytesUsed);
            return text;
        }
        finally
        {
            Leave();
        }
    }

    /// <summary>Reads up to <paramref name="count"/> characters of text; Python's <c>await f.read(n)</c>.
    /// Fewer come back only at the end of the file.</summary>
    /// <param name="count">How many UTF-16 characters. A surrogate pair is never split: when the count
    /// would end inside one, one character fewer comes back (or the pair, for a count of 1).</param>
    /// <returns>A coroutine of the text; empty at the end of the file.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="count"/> is negative.</exception>
    /// <exception cref="InvalidOperationException">The file is write-only, or was opened in binary mode.</exception>
    /// <exception cref="ObjectDisposedException">The file is closed.</exception>
    /// <remarks>A cancellation point; if cancelled, nothing is consumed. Served from the buffer without a
    /// thread hop when it holds enough. Loop thread only.</remarks>
    public async Coroutine<string> ReadAsync(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        BeginOperation(read: true, write: false, text: true);
        await _turn.AcquireAsync();
        try
        {
            if (_trip.IsRunning)
            {
                await TripEnded();
            }

            if (count == 0)
            {
                return string.Empty;
            }

            if (TryDecodeBuffered(count, out string? buffered))
            {
                return buffered;
            }

            MakeReadRoom();
            await StartTrip(FileTripKind.FillChars, wanted: count, decode: true);
            string text = _trip.Text!;
            Consume(_trip.BytesUsed);
            return text;
        }
        finally
        {
            Leave();
        }
    }

    /// <summary>Reads one line of text, without its line break (a line feed, a carriage return and line
    /// feed, or a carriage return), as <see cref="TextReader.ReadLineAsync()"/> does.</summary>
    /// <returns>A coroutine of the line; null at the end of the file (Python's <c>readline()</c> returns
    /// <c>''</c> there, and keeps the line break).</returns>
    /// <exception cref="InvalidOperationException">The file is write-only, or was opened in binary mode.</exception>
    /// <exception cref="ObjectDisposedException">The file is closed.</exception>
    /// <remarks>A cancellation point; if cancelled, nothing is consumed. A line already buffered comes
    /// back without a thread hop; otherwise each trip makes one read, so a pipe's line comes back as soon
    /// as it arrived. Loop thread only.</remarks>
    public async Coroutine<string?> ReadLineAsync()
    {
        BeginOperation(read: true, write: false, text: true);
        await _turn.AcquireAsync();
        try
        {
            if (_trip.IsRunning)
            {
                await TripEnded();
            }

            while (true)
            {
                if (TryTakeLine(atEnd: false, out string? line))
                {
                    return line;
                }

                MakeReadRoom();
                if (await StartTrip(FileTripKind.FillOnce) == 0)
                {
                    TryTakeLine(atEnd: true, out line);
                    return line;
                }
            }
        }
        finally
        {
            Leave();
        }
    }

    /// <summary>Reads the rest of the file as bytes; Python's <c>await f.read()</c> in a binary mode.</summary>
    /// <returns>A coroutine of the bytes; empty at the end of the file.</returns>
    /// <exception cref="InvalidOperationException">The file is write-only.</exception>
    /// <exception cref="ObjectDisposedException">The file is closed.</exception>
    /// <exception cref="IOException">The system reported an error, or the file is too long for one array.</exception>
    /// <remarks>A cancellation point; if cancelled, nothing is consumed. The worker reads into an array of
    /// the file's size, which is then handed over without a copy. Loop thread only.</remarks>
    public async Coroutine<byte[]> ReadBytesAsync()
    {
        BeginOperation(read: true, write: false, text: false);
        await _turn.AcquireAsync();
        try
        {
            if (_trip.IsRunning)
            {
                await TripEnded();
            }

            await StartTrip(FileTripKind.FillToEnd);
            return TakeTripBytes();
        }
        finally
        {
            Leave();
        }
    }

    /// <summary>Reads up to <paramref name="count"/> bytes; Python's <c>await f.read(n)</c> in a binary
    /// mode. Fewer come back only at the end of the file.</summary>
    /// <param name="count">How many bytes.</param>
    /// <returns>A coroutine of the bytes; empty at the end of the file.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="count"/> is negative.</exception>
    /// <exception cref="InvalidOperationException">The file is write-only.</exception>
    /// <exception cref="ObjectDisposedException">The file is closed.</exception>
    /// <remarks>A cancellation point; if cancelled, nothing is consumed. Loop thread only.</remarks>
    public async Coroutine<byte[]> ReadBytesAsync(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        BeginOperation(read: true, write: false, text: false);
        await _turn.AcquireAsync();
        try
        {
            if (_trip.IsRunning)
            {
                await TripEnded();
            }

            if (count == 0)
            {
                return [];
            }

            if (_readEnd - _readStart >= count)
            {
                byte[] buffered = _readBuffer.AsSpan(_readStart, count).ToArray();
                Consume(count);
                return buffered;
            }

            if (count <= _bufferSize)
            {
                // Small reads go through the pooled buffer, which the worker fills as far as it can.
                MakeReadRoom(count);
            }

            await StartTrip(FileTripKind.FillAtLeast, wanted: count);
            return TakeTripBytes();
        }
        finally
        {
            Leave();
        }
    }

    /// <summary>Reads bytes into <paramref name="buffer"/>: what is buffered, or else what one read of the
    /// system returns; <see cref="Stream.ReadAsync(Memory{byte}, CancellationToken)"/>'s contract, Python's
    /// <c>readinto</c>.</summary>
    /// <param name="buffer">Where the bytes go.</param>
    /// <returns>A coroutine of how many bytes were read, at most the file's buffer size; 0 only at the end
    /// of the file (or for an empty <paramref name="buffer"/>).</returns>
    /// <exception cref="InvalidOperationException">The file is write-only.</exception>
    /// <exception cref="ObjectDisposedException">The file is closed.</exception>
    /// <remarks>A cancellation point; if cancelled, nothing is consumed. The worker reads into the file's
    /// own buffer and the bytes are copied into yours on the loop, so a cancelled read never writes into
    /// memory you may already have reused. Loop thread only.</remarks>
    public async Coroutine<int> ReadAsync(Memory<byte> buffer)
    {
        BeginOperation(read: true, write: false, text: false);
        await _turn.AcquireAsync();
        try
        {
            if (_trip.IsRunning)
            {
                await TripEnded();
            }

            if (buffer.IsEmpty)
            {
                return 0;
            }

            if (_readEnd == _readStart)
            {
                MakeReadRoom();
                await StartTrip(FileTripKind.FillOnce);
            }

            int count = Math.Min(_readEnd - _readStart, buffer.Length);
            _readBuffer.AsSpan(_readStart, count).CopyTo(buffer.Span);
            Consume(count);
            return count;
        }
        finally
        {
            Leave();
        }
    }

    /// <summary>Consumes <paramref name="count"/> unread bytes: the position moves past them.</summary>
    private void Consume(int count)
    {
        _readStart += count;
        _position += count;
        _lineScanned = 0;
        if (_readStart == _readEnd)
        {
            EmptyReadBuffer();
        }
    }

    /// <summary>Forgets the unread bytes (a write or a seek moved away from them); the position stays.</summary>
    private void EmptyReadBuffer()
    {
        _readStart = _readEnd = 0;
        _lineScanned = 0;
        if (_readBuffer is not null && !_readBufferPooled && _readBuffer.Length > _bufferSize)
        {
            // A buffer grown for one big read or a long line: let it go rather than keep it for the file's life.
            _readBuffer = null;
        }
    }

    /// <summary>Takes the bytes a trip produced: all of them are consumed, and when they are the read
    /// buffer itself, the file lets go of it.</summary>
    private byte[] TakeTripBytes()
    {
        byte[] bytes = _trip.Bytes!;
        if (ReferenceEquals(bytes, _readBuffer))
        {
            _position += bytes.Length;
            _readBuffer = null;
            _readStart = _readEnd = 0;
            _lineScanned = 0;
        }
        else
        {
            Consume(_trip.BytesUsed);
        }

        return bytes;
    }

    /// <summary>Makes free space at the end of the read buffer for a fill: rents the buffer, moves the
    /// unread bytes to its front, or grows it for a line longer than it.</summary>
    /// <param name="unreadWanted">The fill needs room for this many unread bytes in all.</param>
    private void MakeReadRoom(int unreadWanted = 0)
    {
        if (_readBuffer is null)
        {
            _readBuffer = ArrayPool<byte>.Shared.Rent(_bufferSize);
            _readBufferPooled = true;
            _readStart = _readEnd = 0;
            return;
        }

        int free = _readBuffer.Length - _readEnd;
        if (free > 0 && free >= Math.Min(_bufferSize, _readBuffer.Length) / 4 && _readBuffer.Length - _readStart >= unreadWanted)
        {
            return;
        }

        int unread = _readEnd - _readStart;
        if (unread <= _readBuffer.Length / 2 || (unreadWanted > unread && unreadWanted <= _readBuffer.Length))
        {
            Buffer.BlockCopy(_readBuffer, _readStart, _readBuffer, 0, unread);
        }
        else
        {
            byte[] bigger = new byte[(int)Math.Min(Array.MaxLength, 2L * _readBuffer.Length)];
            Buffer.BlockCopy(_readBuffer, _readStart, bigger, 0, unread);
            if (_readBufferPooled)
            {
                ArrayPool<byte>.Shared.Return(_readBuffer);
            }

            _readBuffer = bigger;
            _readBufferPooled = false;
        }

        _readStart = 0;
        _readEnd = unread;
    }

    /// <summary>Takes one line from the buffer, skipping a byte-order mark at the start of the file.</summary>
    /// <param name="atEnd">The file has no more bytes: what is left is the last line (null when nothing is).</param>
    /// <param name="line">The line.</param>
    /// <returns>False when the buffer does not hold a whole line yet.</returns>
    private bool TryTakeLine(bool atEnd, out string? line)
    {
        TextCodec codec = _codec!;
        if (_position == 0 && _readEnd > _readStart || atEnd && _position == 0)
        {
            int preamble = codec.PreambleLength(_readBuffer.AsSpan(_readStart, _readEnd - _readStart), atEnd);
            if (preamble < 0)
            {
                line = null;
                return false;
            }

            if (preamble > 0)
            {
                Consume(preamble);
            }
        }

        ReadOnlySpan<byte> unread = _readBuffer.AsSpan(_readStart, _readEnd - _readStart);
        if (codec.TryFindLine(unread, _position, atEnd, ref _lineScanned, out int length, out int consumed))
        {
            line = codec.Decode(unread[..length]);
            Consume(consumed);
            return true;
        }

        if (!atEnd)
        {
            line = null;
            return false;
        }

        line = unread.IsEmpty ? null : codec.Decode(unread);
        Consume(unread.Length);
        return true;
    }

    /// <summary>Decodes <paramref name="count"/> characters from the buffer on the loop, when it holds them
    /// and the work is small: no larger than one buffer.</summary>
    private bool TryDecodeBuffered(int count, out string text)
    {
        TextCodec codec = _codec!;
        ReadOnlySpan<byte> unread = _readBuffer.AsSpan(_readStart, _readEnd - _readStart);
        if (unread.IsEmpty || count > _bufferSize)
        {
            text = string.Empty;
            return false;
        }

        int preamble = _position == 0 ? codec.PreambleLength(unread, atEnd: false) : 0;
        if (preamble < 0 || !codec.TryDecode(unread[preamble..], count, atEnd: false, out text, out int used))
        {
            text = string.Empty;
            return false;
        }

        Consume(preamble + used);
        return true;
    }
}
