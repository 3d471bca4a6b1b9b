using System.Buffers;

namespace Aio.Files;

public sealed partial class AsyncFile
{
    /// <summary>Writes text, encoded with the file's encoding; Python's <c>await f.write(s)</c> in a text
    /// mode. Line breaks are written as they are; no byte-order mark is ever written.</summary>
    /// <param name="text">The text.</param>
    /// <returns>A coroutine that completes when the text is in the file's buffer (or, for text larger than
    /// it, handed to the system but for the last buffer's worth).</returns>
    /// <exception cref="InvalidOperationException">The file is read-only, or was opened in binary mode.</exception>
    /// <exception cref="ObjectDisposedException">The file is closed.</exception>
    /// <exception cref="IOException">Writing out a full buffer failed (its bytes are dropped).</exception>
    /// <remarks>A cancellation point when the buffer fills: if cancelled, a prefix of the text was written
    /// (what was encoded into the buffer by then). Encoding happens on the loop, one buffer at a time.
    /// Loop thread only.</remarks>
    public async Coroutine WriteAsync(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        BeginOperation(read: false, write: true, text: true);
        await _turn.AcquireAsync();
        try
        {
            if (_trip.IsRunning)
            {
                await TripEnded();
            }

            LeaveReading();
            int written = 0;
            while (true)
            {
                written += Encode(text, written);
                if (written == text.Length)
                {
                    return;
                }

                await StartTrip(FileTripKind.WriteOut);
            }
        }
        finally
        {
            Leave();
        }
    }

    /// <summary>Writes bytes; Python's <c>await f.write(b)</c> in a binary mode.</summary>
    /// <param name="bytes">The bytes; copied on the loop, so you may reuse the memory once the await
    /// ends — even if it ended by cancellation.</param>
    /// <returns>A coroutine that completes when the bytes are in the file's buffer (or, for more than fits,
    /// handed to the system but for the last buffer's worth).</returns>
    /// <exception cref="InvalidOperationException">The file is read-only.</exception>
    /// <exception cref="ObjectDisposedException">The file is closed.</exception>
    /// <exception cref="IOException">Writing out a full buffer failed (its bytes are dropped).</exception>
    /// <remarks>A cancellation point when the buffer fills: if cancelled, a prefix of the bytes was
    /// written (what was copied into the buffer by then). Loop thread only.</remarks>
    public async Coroutine WriteAsync(ReadOnlyMemory<byte> bytes)
    {
        BeginOperation(read: false, write: true, text: false);
        if (bytes.IsEmpty)
        {
            return;
        }

        await _turn.AcquireAsync();
        try
        {
            if (_trip.IsRunning)
            {
                await TripEnded();
            }

            LeaveReading();
            int written = 0;
            while (true)
            {
                byte[] buffer = WriteBuffer();
                int count = Math.Min(bytes.Length - written, buffer.Length - _pending);
                bytes.Span.Slice(written, count).CopyTo(buffer.AsSpan(_pending));
                _pending += count;
                _position += count;
                written += count;
                if (written == bytes.Length)
                {
                    return;
                }

                await StartTrip(FileTripKind.WriteOut);
            }
        }
        finally
        {
            Leave();
        }
    }

    /// <summary>Hands what is buffered to the system; Python's <c>await f.flush()</c>. Like Python's, it
    /// does not force the data to the disk.</summary>
    /// <returns>A coroutine; it makes no trip when nothing is buffered.</returns>
    /// <exception cref="ObjectDisposedException">The file is closed.</exception>
    /// <exception cref="IOException">Writing failed (the buffered bytes are dropped).</exception>
    /// <remarks>A cancellation point; if cancelled after it started, the flush still finishes. Loop
    /// thread only.</remarks>
    public async Coroutine FlushAsync()
    {
        BeginOperation(read: false, write: false, text: false);
        await _turn.AcquireAsync();
        try
        {
            if (_trip.IsRunning)
            {
                await TripEnded();
            }

            if (_pending > 0)
            {
                await StartTrip(FileTripKind.WriteOut);
            }
        }
        finally
        {
            Leave();
        }
    }

    /// <summary>Moves the position; Python's <c>await f.seek(offset, whence)</c>. Buffered writes are
    /// handed to the system first.</summary>
    /// <param name="offset">Bytes from <paramref name="origin"/>.</param>
    /// <param name="origin">From the start, the current position, or the end of the file.</param>
    /// <returns>A coroutine of the new position.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="origin"/> is not a <see cref="SeekOrigin"/>.</exception>
    /// <exception cref="NotSupportedException">The file cannot seek (a pipe, a socket, a device).</exception>
    /// <exception cref="IOException">The new position would be before the start of the file, or writing
    /// out the buffer failed.</exception>
    /// <exception cref="ObjectDisposedException">The file is closed.</exception>
    /// <remarks>A cancellation point when it makes a trip (to write out the buffer, or to learn the length
    /// for <see cref="SeekOrigin.End"/>); if cancelled, the position has not moved. A seek within what is
    /// buffered keeps the buffer. Loop thread only.</remarks>
    public async Coroutine<long> SeekAsync(long offset, SeekOrigin origin = SeekOrigin.Begin)
    {
        if (origin is not (SeekOrigin.Begin or SeekOrigin.Current or SeekOrigin.End))
        {
            throw new ArgumentOutOfRangeException(nameof(origin), origin, "Not a SeekOrigin value.");
        }

        BeginOperation(read: false, write: false, text: false);
        if (!_canSeek)
        {
            throw new NotSupportedException($"File '{Name}' cannot seek: it is a pipe, a socket or a device.");
        }

        await _turn.AcquireAsync();
        try
        {
            if (_trip.IsRunning)
            {
                await TripEnded();
            }

            if (origin == SeekOrigin.End)
            {
                await StartTrip(FileTripKind.Length);
            }
            else if (_pending > 0)
            {
                await StartTrip(FileTripKind.WriteOut);
            }

            long basis = origin switch
            {
                SeekOrigin.Begin => 0,
                SeekOrigin.Current => _position,
                _ => _trip.Length,
            };
            long target = basis + offset;
            if (target < 0)
            {
                throw new IOException($"Cannot move the position of file '{Name}' before its start.");
            }

            long ahead = target - _position;
            if (ahead >= 0 && ahead <= _readEnd - _readStart)
            {
                Consume((int)ahead);
            }
            else
            {
                EmptyReadBuffer();
                _position = target;
            }

            return target;
        }
        finally
        {
            Leave();
        }
    }

    /// <summary>Before writing to a seekable file: unread bytes are forgotten, so the write lands at the
    /// position and a later read does not return stale data. A pipe's reading and writing are separate
    /// streams and keep their bytes.</summary>
    private void LeaveReading()
    {
        if (_canSeek && _readEnd > _readStart)
        {
            EmptyReadBuffer();
        }
    }

    /// <summary>The write buffer, rented on first use.</summary>
    private byte[] WriteBuffer() => _writeBuffer ??= ArrayPool<byte>.Shared.Rent(_bufferSize);

    /// <summary>Encodes as much of <paramref name="text"/> from <paramref name="start"/> as fits in the
    /// write buffer; the encoder keeps a surrogate split between two writes.</summary>
    /// <returns>How many characters were encoded; 0 when the buffer must be written out first.</returns>
    private int Encode(string text, int start)
    {
        Span<byte> room = WriteBuffer().AsSpan(_pending);
        if (room.Length < _codec!.MaxBytesPerPair)
        {
            return 0;
        }

        _encoder ??= _codec.Encoding.GetEncoder();
        _encoder.Convert(text.AsSpan(start), room, flush: false, out int charsUsed, out int bytesUsed, out _);
        _pending += bytesUsed;
        _position += bytesUsed;
        return charsUsed;
    }

    /// <summary>Before closing: a high surrogate the last text write ended with becomes a replacement
    /// character rather than nothing. Grows the buffer if it has no room for it, which costs no trip.</summary>
    private void FinishText()
    {
        if (_encoder is null)
        {
            return;
        }

        Span<byte> rest = stackalloc byte[16];
        _encoder.Convert(ReadOnlySpan<char>.Empty, rest, flush: true, out _, out int bytesUsed, out _);
        if (bytesUsed == 0)
        {
            return;
        }

        byte[] buffer = WriteBuffer();
        if (buffer.Length - _pending < bytesUsed)
        {
            byte[] bigger = ArrayPool<byte>.Shared.Rent(_pending + bytesUsed);
            buffer.AsSpan(0, _pending).CopyTo(bigger);
            ArrayPool<byte>.Shared.Return(buffer);
            _writeBuffer = buffer = bigger;
        }

        rest[..bytesUsed].CopyTo(buffer.AsSpan(_pending));
        _pending += bytesUsed;
        _position += bytesUsed;
    }
}
