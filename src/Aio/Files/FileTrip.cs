namespace Aio.Files;

/// <summary>
/// One round trip of a file's blocking system calls to an executor thread and back to the loop. Each
/// <see cref="AsyncFile"/> owns one and reuses it: its operations take turns, so at most one trip is out,
/// and only trips touch the <see cref="FileStream"/>.
/// </summary>
/// <remarks>
/// The loop fills the inputs, then submits; the executor's queue publishes them to the worker. The worker
/// writes only the outputs (and the read buffer's free space, which the loop does not look at while a
/// trip is out), then sends the trip back through the loop's thread-safe door, whose lock publishes the
/// outputs to the loop. So neither side ever sees the other's half-written state.
/// </remarks>
internal sealed class FileTrip : IExecutorWork, IThreadPoolWorkItem
{
    private static readonly Action<object?, object?> s_cameBack = static (trip, _) => ((FileTrip)trip!)._file.OnTripCameBack();

    private readonly AsyncFile _file;
    private readonly EventLoop _loop;
    private readonly OpenRequest _request;
    private FileStream? _stream;

    // ---- inputs, set on the loop before each trip ----------------------------------------------------

    internal FileTripKind Kind;

    /// <summary>Bytes for <see cref="FileTripKind.FillAtLeast"/>, characters for <see cref="FileTripKind.FillChars"/>.</summary>
    internal int Wanted;

    /// <summary>Set when the trip decodes what it read (<see cref="FileTripKind.FillToEnd"/> for text,
    /// <see cref="FileTripKind.FillChars"/>).</summary>
    internal TextCodec? Codec;

    /// <summary>The unread bytes start the file: a text read skips a byte-order mark there.</summary>
    internal bool AtFileStart;

    internal byte[]? WriteBuffer;
    internal int WriteCount;

    /// <summary>Where the pending bytes go (ignored in append mode, where they go to the end).</summary>
    internal long WriteAt;

    /// <summary>Where reading continues: just past the unread bytes.</summary>
    internal long ReadAt;

    // ---- in and out: the read window; a fill may move it into a bigger buffer --------------------------

    internal byte[]? ReadBuffer;
    internal int ReadStart;
    internal int ReadEnd;

    /// <summary>Whether <see cref="ReadBuffer"/> came from the array pool (never handed to a caller).</summary>
    internal bool ReadBufferPooled;

    // ---- outputs, set by the worker ---------------------------------------------------------------------

    internal bool CanSeek;
    internal long OpenedAt;
    internal bool Wrote;
    internal long PositionAfterWrite;
    internal int BytesRead;
    internal long Length;

    /// <summary>The text read (<see cref="FileTripKind.FillToEnd"/> with a codec, <see cref="FileTripKind.FillChars"/>).</summary>
    internal string? Text;

    /// <summary>The bytes read (<see cref="FileTripKind.FillToEnd"/> without a codec, <see cref="FileTripKind.FillAtLeast"/>);
    /// may be <see cref="ReadBuffer"/> itself, handed over whole.</summary>
    internal byte[]? Bytes;

    /// <summary>How many unread bytes <see cref="Text"/> or <see cref="Bytes"/> took.</summary>
    internal int BytesUsed;
    internal Exception? Error;

    // ---- loop only ---------------------------------------------------------------------------------------

    internal bool IsRunning;

    /// <summary>Whether the loop counted the trip as default-executor work (it must say so when it ends).</summary>
    internal bool CountedAsDefault;

    internal FileTrip(AsyncFile file, EventLoop loop, OpenRequest request)
    {
        _file = file;
        _loop = loop;
        _request = request;
    }

    /// <summary>Hands the trip to <paramref name="executor"/>, or the loop's default executor.</summary>
    /// <exception cref="InvalidOperationException">The executor refused it (shut down); nothing was queued.</exception>
    internal void Submit(IExecutor? executor)
    {
        Wrote = false;
        BytesRead = 0;
        BytesUsed = 0;
        Text = null;
        Bytes = null;
        Error = null;
        CountedAsDefault = _loop.SubmitWork(executor, this);
        IsRunning = true;
    }

    /// <summary>Writes out <paramref name="pending"/> bytes and closes the stream on the calling thread: only
    /// when no loop will run a trip again, or the executor refuses them.</summary>
    internal void CloseNow(byte[]? buffer, int pending, long writeAt)
    {
        WriteBuffer = buffer;
        WriteCount = pending;
        WriteAt = writeAt;
        try
        {
            if (_stream is not null)
            {
                WriteOut();
            }
        }
        catch (IOException)
        {
            // Best effort: there is nobody left to tell.
        }
        finally
        {
            CloseStream();
        }
    }

    void IThreadPoolWorkItem.Execute() => Run();

    /// <summary>On the worker thread: does the trip's blocking calls, then sends it back.</summary>
    public void Run()
    {
        try
        {
            if (Kind == FileTripKind.Open)
            {
                Open();
            }
            else
            {
                WriteOut();
                switch (Kind)
                {
                    case FileTripKind.FillOnce:
                        FillOnce();
                        break;
                    case FileTripKind.FillAtLeast:
                        FillAtLeast();
                        break;
                    case FileTripKind.FillToEnd:
                        FillToEnd();
                        break;
                    case FileTripKind.FillChars:
                        FillChars();
                        break;
                    case FileTripKind.Length:
                        Length = _stream!.Length;
                        break;
                }
            }
        }
        catch (Exception ex)
        {
            Error = ex;
        }
        finally
        {
            if (Kind == FileTripKind.Close)
            {
                CloseStream();
            }
        }

        _loop.EnqueueFromAnyThread(s_cameBack, this, null);
    }

    /// <summary>The executor dropped the trip before it ran (it was shut down, dropping pending work).</summary>
    public void Abandon()
    {
        Error = new InvalidOperationException($"The executor was shut down before the operation on file '{_request.Path}' ran.");
        if (Kind == FileTripKind.Close)
        {
            CloseStream();
        }

        _loop.EnqueueFromAnyThread(s_cameBack, this, null);
    }

    private void Open()
    {
        // No buffering of its own: the file's buffers are the loop's, and a trip reads or writes them
        // with one system call where it can.
        var stream = new FileStream(_request.Path, _request.Mode, _request.Access, _request.Share, bufferSize: 0);
        _stream = stream;
        CanSeek = stream.CanSeek;
        OpenedAt = _request.Append && CanSeek ? stream.Seek(0, SeekOrigin.End) : 0;
    }

    private void WriteOut()
    {
        if (WriteCount == 0)
        {
            return;
        }

        FileStream stream = _stream!;
        if (CanSeek)
        {
            if (_request.Append)
            {
                stream.Seek(0, SeekOrigin.End);
            }
            else
            {
                stream.Position = WriteAt;
            }
        }

        stream.Write(WriteBuffer!, 0, WriteCount);
        Wrote = true;
        PositionAfterWrite = CanSeek ? stream.Position : 0;
    }

    /// <summary>Positions the stream where reading continues (after a write, where it ended).</summary>
    private void SeekForRead()
    {
        if (CanSeek)
        {
            _stream!.Position = Wrote ? PositionAfterWrite : ReadAt;
        }
    }

    /// <summary>One read into the free space the loop made: a pipe returns as soon as anything arrived.</summary>
    private void FillOnce()
    {
        SeekForRead();
        byte[] buffer = ReadBuffer!;
        int read = _stream!.Read(buffer, ReadEnd, buffer.Length - ReadEnd);
        ReadEnd += read;
        BytesRead = read;
    }

    private void FillAtLeast()
    {
        SeekForRead();
        if (ReadBuffer is null || ReadBuffer.Length - ReadStart < Wanted)
        {
            // Exactly the size asked for: then the buffer itself is the result.
            MoveTo(new byte[Wanted]);
        }

        while (ReadEnd - ReadStart < Wanted && ReadMore())
        {
        }

        int taken = Math.Min(Wanted, ReadEnd - ReadStart);
        Bytes = Take(taken);
        BytesUsed = taken;
    }

    private void FillToEnd()
    {
        SeekForRead();
        if (CanSeek)
        {
            // The size is known: read straight into an array of exactly that size, which then is the result.
            long total = (ReadEnd - ReadStart) + Math.Max(0, _stream!.Length - _stream.Position);
            if (total > Array.MaxLength)
            {
                throw new IOException($"File '{_request.Path}' is too long to be read into one array.");
            }

            if (ReadBuffer is null || ReadBuffer.Length - ReadStart < total)
            {
                MoveTo(new byte[total]);
            }
        }

        Span<byte> probe = stackalloc byte[1];
        while (true)
        {
            if (ReadBuffer is null || ReadEnd == ReadBuffer.Length)
            {
                // Full (or nothing yet, for a pipe): is there more? The file may have grown since its size
                // was read. Probe with one byte before growing the buffer for nothing.
                if (_stream!.Read(probe) == 0)
                {
                    break;
                }

                int unread = ReadEnd - ReadStart;
                MoveTo(new byte[Math.Max(4096, (int)Math.Min(Array.MaxLength, 2L * (unread + 1)))]);
                ReadBuffer![ReadEnd++] = probe[0];
                BytesRead++;
                continue;
            }

            if (!ReadMore())
            {
                break;
            }
        }

        ReadOnlySpan<byte> data = ReadBuffer.AsSpan(ReadStart, ReadEnd - ReadStart);
        if (Codec is { } codec)
        {
            int preamble = AtFileStart ? codec.PreambleLength(data, atEnd: true) : 0;
            Text = codec.Decode(data[preamble..]);
        }
        else
        {
            Bytes = Take(data.Length);
        }

        BytesUsed = data.Length;
    }

    private void FillChars()
    {
        SeekForRead();
        TextCodec codec = Codec!;
        bool atEnd = false;
        while (true)
        {
            ReadOnlySpan<byte> data = ReadBuffer.AsSpan(ReadStart, ReadEnd - ReadStart);
            int preamble = AtFileStart ? codec.PreambleLength(data, atEnd) : 0;
            if (preamble >= 0 && codec.TryDecode(data[preamble..], Wanted, atEnd, out string text, out int used))
            {
                Text = text;
                BytesUsed = preamble + used;
                return;
            }

            if (ReadBuffer is null || ReadEnd == ReadBuffer.Length)
            {
                int unread = ReadEnd - ReadStart;
                if (ReadBuffer is not null && ReadStart > unread)
                {
                    // Room enough at the front: compact, as the loop would.
                    Buffer.BlockCopy(ReadBuffer, ReadStart, ReadBuffer, 0, unread);
                    ReadStart = 0;
                    ReadEnd = unread;
                }
                else
                {
                    MoveTo(new byte[Math.Max(4096, (int)Math.Min(Array.MaxLength, 2L * unread))]);
                }
            }

            atEnd = !ReadMore();
        }
    }

    /// <summary>One read into the free space at the end of the buffer.</summary>
    /// <returns>False at the end of the file.</returns>
    private bool ReadMore()
    {
        byte[] buffer = ReadBuffer!;
        int read = _stream!.Read(buffer, ReadEnd, buffer.Length - ReadEnd);
        ReadEnd += read;
        BytesRead += read;
        return read > 0;
    }

    /// <summary>Moves the unread bytes to the start of <paramref name="bigger"/>, which becomes the buffer.
    /// The old one is left as it is: the loop may still give it back to the pool.</summary>
    private void MoveTo(byte[] bigger)
    {
        int unread = ReadEnd - ReadStart;
        if (unread > 0)
        {
            Buffer.BlockCopy(ReadBuffer!, ReadStart, bigger, 0, unread);
        }

        ReadBuffer = bigger;
        ReadStart = 0;
        ReadEnd = unread;
        ReadBufferPooled = false;
    }

    /// <summary>The first <paramref name="count"/> unread bytes as an array the caller can keep: the buffer
    /// itself when it holds exactly those, otherwise a copy (made here, not on the loop).</summary>
    private byte[] Take(int count)
    {
        if (count == 0)
        {
            return [];
        }

        byte[] buffer = ReadBuffer!;
        return ReadStart == 0 && count == buffer.Length && !ReadBufferPooled ? buffer : buffer.AsSpan(ReadStart, count).ToArray();
    }

    private void CloseStream()
    {
        try
        {
            _stream?.Dispose();
        }
        catch (Exception ex)
        {
            Error ??= ex;
        }

        _stream = null;
    }
}
