using System.Buffers;
using System.Diagnostics;
using System.Text;
using Aio.Diagnostics;
using Aio.Sync;

namespace Aio.Files;

/// <summary>
/// An open file whose every blocking system call runs on an executor thread, never on the loop; what
/// <c>aiofiles.open</c> returns. Open one with <see cref="AsyncIO.OpenFile(string, string, Encoding?, int, IExecutor?)"/>
/// and close it with <c>await using</c>.
/// </summary>
/// <remarks>
/// <para>One type speaks both text and bytes. Text methods (<see cref="ReadAsync()"/>,
/// <see cref="ReadAsync(int)"/>, <see cref="ReadLineAsync"/>, <c>await foreach</c> over lines,
/// <see cref="WriteAsync(string)"/>) need an encoding, so a file opened in a binary mode (<c>"rb"</c>,
/// <c>"wb"</c>...) refuses them; byte methods (<see cref="ReadBytesAsync()"/>,
/// <see cref="ReadBytesAsync(int)"/>, <see cref="ReadAsync(Memory{byte})"/>,
/// <see cref="WriteAsync(ReadOnlyMemory{byte})"/>) work on every file. Text is decoded only as far as it
/// is read, so both kinds share one position, an exact byte offset.</para>
/// <para>Buffered, as Python's files are: reads fill a buffer on a worker thread and are served from it on
/// the loop (a line already buffered costs no thread hop); writes are copied into a buffer on the loop
/// and reach the system when it fills, at <see cref="FlushAsync"/>, before a read or seek, and at close.</para>
/// <para>Operations on one file run one at a time, in the order they were awaited, whichever tasks await
/// them. Each is a coroutine and a cancellation point: cancelling the awaiting task ends the await at
/// once, and then a read has consumed nothing (what its worker read stays buffered for the next read),
/// a write has written a prefix of its data (what had been copied into the buffer), a seek or flush that
/// had started finishes. The next operation waits until the worker is done, so the file is never
/// touched by two threads and never left half-updated. Your memory is read or written only on the loop,
/// while you await: a cancelled read never writes into a buffer you have reused.</para>
/// <para>Loop thread only, on the loop that opened it. Debug mode reports a file still open when the
/// loop closes, with where it was opened.</para>
/// <example><code>
/// await using (AsyncFile file = await AsyncIO.OpenFile("data.txt"))
/// {
///     await foreach (string line in file)
///     {
///         Console.WriteLine(line);
///     }
/// }
/// </code></example>
/// </remarks>
public sealed partial class AsyncFile : IAsyncDisposable, IAsyncEnumerable<string>, ILoopResource
{
    /// <summary>The read and write buffers' size unless the opener says otherwise: large, because each
    /// trip to a worker costs microseconds whatever it carries.</summary>
    internal const int DefaultBufferSize = 64 * 1024;

    /// <summary>The smallest buffer size accepted: room to encode any character in any encoding.</summary>
    internal const int MinimumBufferSize = 64;

    private readonly EventLoop _loop;
    private readonly OpenRequest _request;
    private readonly TextCodec? _codec;
    private readonly IExecutor? _executor;
    private readonly int _bufferSize;

    /// <summary>Operations take turns: first come, first served, and a cancelled waiter leaves the line.</summary>
    private readonly AsyncLock _turn = new();
    private readonly FileTrip _trip;

    private State _state;

    /// <summary>Close as soon as no operation holds or waits for a turn and no trip is out: set when the
    /// task that was opening or closing the file was cancelled, so the file still closes.</summary>
    private bool _closeWhenFree;
    private bool _canSeek;

    /// <summary>The position as the caller sees it: where the next read starts or the next write goes.</summary>
    private long _position;

    /// <summary>The unread bytes, the file's bytes from <see cref="_position"/> on, are
    /// <c>_readBuffer[_readStart.._readEnd]</c>.</summary>
    private byte[]? _readBuffer;
    private int _readStart;
    private int _readEnd;
    private bool _readBufferPooled;

    /// <summary>How far past <see cref="_readStart"/> a line was searched for without finding its end, so
    /// a long line is not searched again from its start after each fill.</summary>
    private int _lineScanned;

    /// <summary>Bytes written but not yet handed to the system, <c>_writeBuffer[0.._pending]</c>; they
    /// belong just before <see cref="_position"/> (or at the end of the file, in append mode). A seekable
    /// file never holds both unread and pending bytes.</summary>
    private byte[]? _writeBuffer;
    private int _pending;
    private Encoder? _encoder;

    /// <summary>The running trip's outcome, awaited by the operation that started it; null for a close
    /// nobody awaits.</summary>
    private Future<int>? _tripDone;

    /// <summary>For the operation whose turn came while a trip that a cancelled operation left is still
    /// out.</summary>
    private Future<bool>? _tripEnded;

    /// <summary>For closers that come while a close is under way.</summary>
    private Future<bool>? _closed;

    private AsyncFile(EventLoop loop, OpenRequest request, int bufferSize, IExecutor? executor)
    {
        _loop = loop;
        _request = request;
        _codec = request.Codec;
        _bufferSize = bufferSize;
        _executor = executor;
        _trip = new FileTrip(this, loop, request);
    }

    private enum State : byte
    {
        Opening,
        Open,

        /// <summary>No new operation is accepted; those already waiting for their turn still run.</summary>
        Closing,
        Closed,
    }

    /// <summary>The path the file was opened with; Python's <c>name</c>.</summary>
    public string Name => _request.Path;

    /// <summary>The mode the file was opened with, such as <c>"r"</c> or <c>"wb"</c>; Python's <c>mode</c>.</summary>
    public string Mode => _request.Display;

    /// <summary>The encoding of the text methods; null for a file opened in binary mode.</summary>
    public Encoding? Encoding => _codec?.Encoding;

    /// <summary>Whether the file can be read; Python's <c>readable()</c>.</summary>
    public bool CanRead => (_request.Access & FileAccess.Read) != 0;

    /// <summary>Whether the file can be written; Python's <c>writable()</c>.</summary>
    public bool CanWrite => (_request.Access & FileAccess.Write) != 0;

    /// <summary>Whether the file supports <see cref="SeekAsync"/> and <see cref="Position"/>: false for
    /// pipes, sockets and character devices; Python's <c>seekable()</c>.</summary>
    public bool CanSeek => _canSeek;

    /// <summary>Whether the file is closed or closing: no new operation is accepted; Python's
    /// <c>closed</c>.</summary>
    public bool IsClosed => _state >= State.Closing;

    /// <summary>
    /// The position in bytes where the next read starts or the next write goes; Python's <c>tell()</c>.
    /// Counts what is buffered: unread bytes are not past it, unwritten ones are. In append mode, writes go
    /// to the end whatever it says.
    /// </summary>
    /// <exception cref="ObjectDisposedException">The file is closed.</exception>
    /// <exception cref="NotSupportedException">The file cannot seek (a pipe, a socket, a device).</exception>
    /// <remarks>Loop thread only. While an operation that was cancelled is still finishing on its
    /// worker, this is the position before it.</remarks>
    public long Position
    {
        get
        {
            _loop.CheckThread();
            if (_state == State.Closed)
            {
                throw ClosedError();
            }

            if (!_canSeek)
            {
                throw new NotSupportedException($"File '{Name}' cannot seek: it has no position.");
            }

            return _position;
        }
    }

    /// <summary>Closes the file: writes out what is buffered, then closes it, on a worker thread;
    /// Python's <c>await f.close()</c>. Operations already waiting for their turn run first; later ones
    /// throw <see cref="ObjectDisposedException"/>. Closing a closed file does nothing.</summary>
    /// <returns>A coroutine; a cancellation point.</returns>
    /// <exception cref="IOException">Writing out the buffer failed; the file is closed anyway.</exception>
    /// <remarks>If the awaiting task is cancelled, the file still closes, as soon as it is free; the
    /// cancellation goes on. Loop thread only.</remarks>
    public async Coroutine CloseAsync()
    {
        _loop.CheckThread();
        if (_state == State.Closed)
        {
            return;
        }

        if (_state == State.Closing)
        {
            // Someone else closes it: wait for that, without letting our cancellation cancel theirs.
            await AsyncIO.Shield(_closed ??= new Future<bool>(_loop));
            return;
        }

        _state = State.Closing;
        try
        {
            await _turn.AcquireAsync();
        }
        catch (CancelledException)
        {
            CloseWhenFree();
            throw;
        }

        try
        {
            if (_trip.IsRunning)
            {
                await TripEnded();
            }

            if (StartClose() is { } closing)
            {
                await closing;
            }
        }
        catch (CancelledException)
        {
            // Still waiting for a trip a cancelled operation left, or for the close itself: the file
            // closes anyway.
            _closeWhenFree = true;
            throw;
        }
        finally
        {
            Leave();
        }
    }

    /// <summary>Closes the file, for <c>await using</c>; see <see cref="CloseAsync"/>.</summary>
    /// <returns>Completes when the file is closed.</returns>
    /// <remarks>Loop thread only. After the loop itself was closed, closes the file on the calling thread.</remarks>
    public ValueTask DisposeAsync()
    {
        if (_state == State.Closed)
        {
            return default;
        }

        if (_loop.IsClosed)
        {
            // No loop will ever run a trip again: close here, unless a worker still holds the stream.
            if (!_trip.IsRunning)
            {
                FinishText();
                _trip.CloseNow(_writeBuffer, _pending, _position - _pending);
                _state = State.Closed;
            }

            return default;
        }

        return AwaitClose();
    }

    /// <summary>Lines of text, until the end of the file; Python's <c>async for line in f</c>. Each step
    /// is <see cref="ReadLineAsync"/>: a line already buffered is returned at once.</summary>
    /// <param name="cancellationToken">Checked before each line. Cancelling the task that enumerates is
    /// what interrupts a line still being read.</param>
    /// <returns>The enumerator; it does not close the file.</returns>
    public IAsyncEnumerator<string> GetAsyncEnumerator(CancellationToken cancellationToken = default) =>
        new FileLineEnumerator(this, cancellationToken);

    /// <summary>Python's representation: the name, the mode and the encoding.</summary>
    /// <returns>The text.</returns>
    public override string ToString() =>
        $"<AsyncFile name='{Name}' mode='{Mode}'{(_codec is null ? "" : $" encoding='{_codec.Encoding.WebName}'")}{(_state == State.Closed ? " closed" : "")}>";

    string ILoopResource.Describe() => $"file '{Name}' mode='{Mode}'";

    /// <summary>Opens the file on a worker thread; the body of <see cref="AsyncIO.OpenFile(string, string, Encoding?, int, IExecutor?)"/>.</summary>
    internal static async Coroutine<AsyncFile> OpenAsync(OpenRequest request, int bufferSize, IExecutor? executor)
    {
        EventLoop loop = AsyncIO.GetRunningLoop();
        var file = new AsyncFile(loop, request, bufferSize, executor);

        // Tracked from here, on the opener's stack, so debug mode can say where a file left open was opened.
        loop.TrackResource(file);
        Future<int> opened;
        try
        {
            opened = file.StartTrip(FileTripKind.Open);
        }
        catch
        {
            loop.UntrackResource(file);
            throw;
        }

        try
        {
            await opened;
        }
        catch (CancelledException)
        {
            // The open goes on on its worker; close what it opens.
            file.CloseWhenFree();
            throw;
        }

        return file;
    }

    /// <summary>Takes a line without waiting, when one is buffered and no operation holds or waits for a
    /// turn: the lines enumerator's step that costs nothing.</summary>
    internal bool TryReadBufferedLine(out string? line)
    {
        _loop.CheckThread();
        if (_state != State.Open || _codec is null || !CanRead || _trip.IsRunning || _turn.IsLocked)
        {
            line = null;
            return false;
        }

        return TryTakeLine(atEnd: false, out line);
    }

    /// <summary>A trip came back, on the loop thread: apply what it did to the file, then wake whoever
    /// waits for it. Effects are applied even when the operation that started it was cancelled: data
    /// read stays buffered, data written is no longer pending.</summary>
    internal void OnTripCameBack()
    {
        FileTrip trip = _trip;
        trip.IsRunning = false;
        _loop.OnExecutorWorkDone(trip.CountedAsDefault);
        Exception? error = trip.Error;
        switch (trip.Kind)
        {
            case FileTripKind.Open when error is null:
                _canSeek = trip.CanSeek;
                _position = trip.OpenedAt;
                if (_state == State.Opening)
                {
                    _state = State.Open;
                }

                break;
            case FileTripKind.Open:
            case FileTripKind.Close:
                MarkClosed();
                break;
            default:
                ApplyTrip(trip);
                break;
        }

        Future<int>? done = _tripDone;
        _tripDone = null;
        if (error is null)
        {
            done?.TrySetResult(trip.BytesRead);
        }
        else if ((done is null || !done.TrySetException(error)) && trip.Kind == FileTripKind.Close)
        {
            // Nobody is there to hear that the buffer could not be written out: do not lose it silently.
            _loop.CallExceptionHandler(new LoopExceptionContext($"Closing file '{Name}' failed; data written to it may be lost.", error));
        }

        if (_tripEnded is { } ended)
        {
            _tripEnded = null;
            ended.TrySetResult(true);
        }

        if (_closeWhenFree)
        {
            CloseWhenFree();
        }
    }

    /// <summary>Starts a trip: hands the file's buffers to <see cref="_trip"/> and submits it.</summary>
    /// <returns>Completes, on the loop, after the trip's effects were applied; its value is the bytes read.</returns>
    /// <exception cref="InvalidOperationException">The executor refused the work; nothing changed.</exception>
    private Future<int> StartTrip(FileTripKind kind, int wanted = 0, bool decode = false)
    {
        Debug.Assert(!_trip.IsRunning, "One trip at a time.");
        FileTrip trip = _trip;
        trip.Kind = kind;
        trip.Wanted = wanted;
        trip.Codec = decode ? _codec : null;
        trip.AtFileStart = _position == 0;
        trip.WriteBuffer = _writeBuffer;
        trip.WriteCount = _pending;
        trip.WriteAt = _position - _pending;
        trip.ReadBuffer = _readBuffer;
        trip.ReadStart = _readStart;
        trip.ReadEnd = _readEnd;
        trip.ReadBufferPooled = _readBufferPooled;
        trip.ReadAt = _position + (_readEnd - _readStart);
        var done = new Future<int>(_loop);
        trip.Submit(_executor);
        _tripDone = done;
        return done;
    }

    /// <summary>Takes in what a read or write trip did.</summary>
    private void ApplyTrip(FileTrip trip)
    {
        if (trip.WriteCount > 0)
        {
            // Written, or failed: either way the bytes are no longer pending (a failure is reported once).
            _pending = 0;
            if (trip.Wrote && _request.Append)
            {
                _position = trip.PositionAfterWrite;
            }
        }

        if (!ReferenceEquals(trip.ReadBuffer, _readBuffer) && _readBufferPooled)
        {
            ArrayPool<byte>.Shared.Return(_readBuffer!);
        }

        _readBuffer = trip.ReadBuffer;
        _readStart = trip.ReadStart;
        _readEnd = trip.ReadEnd;
        _readBufferPooled = trip.ReadBufferPooled;
    }

    /// <summary>A future for the operation whose turn came while a trip is still out.</summary>
    private Future<bool> TripEnded()
    {
        if (_tripEnded is not { IsDone: false })
        {
            _tripEnded = new Future<bool>(_loop);
        }

        return _tripEnded;
    }

    /// <summary>Ends an operation's turn; the last one out closes the file if a cancelled closer asked.</summary>
    private void Leave()
    {
        _turn.Release();
        if (_closeWhenFree)
        {
            CloseWhenFree();
        }
    }

    /// <summary>Closes the file once nothing holds it, with nobody awaiting the close.</summary>
    private void CloseWhenFree()
    {
        _closeWhenFree = true;
        if (_state == State.Closed || _trip.IsRunning || _turn.IsLocked)
        {
            return;
        }

        _closeWhenFree = false;
        _state = State.Closing;
        if (StartClose() is not null)
        {
            // Nobody awaits this close: a failure goes to the exception handler (see OnTripCameBack).
            _tripDone = null;
        }
    }

    /// <summary>Starts the close trip: writes out the buffer, then closes, on a worker.</summary>
    /// <returns>The trip's outcome; null when the executor refused the trip and the file was closed on
    /// this thread instead, the last resort that keeps a descriptor from leaking.</returns>
    private Future<int>? StartClose()
    {
        FinishText();
        try
        {
            return StartTrip(FileTripKind.Close);
        }
        catch (InvalidOperationException error)
        {
            _trip.CloseNow(_writeBuffer, _pending, _position - _pending);
            MarkClosed();
            _loop.CallExceptionHandler(new LoopExceptionContext($"File '{Name}' was closed on the loop thread: its executor refused the work.", error));
            return null;
        }
    }

    private void MarkClosed()
    {
        _state = State.Closed;
        _loop.UntrackResource(this);
        if (_readBufferPooled)
        {
            ArrayPool<byte>.Shared.Return(_readBuffer!);
        }

        if (_writeBuffer is not null)
        {
            ArrayPool<byte>.Shared.Return(_writeBuffer);
        }

        _readBuffer = _writeBuffer = null;
        _readStart = _readEnd = _pending = 0;
        _readBufferPooled = false;
        _closed?.TrySetResult(true);
    }

    private async ValueTask AwaitClose() => await CloseAsync();

    /// <summary>Checks what every operation needs, when it starts.</summary>
    private void BeginOperation(bool read, bool write, bool text)
    {
        _loop.CheckThread();
        if (_state >= State.Closing)
        {
            throw ClosedError();
        }

        if (text && _codec is null)
        {
            throw new InvalidOperationException(
                $"File '{Name}' was opened in binary mode '{Mode}': it has no encoding, so no text methods. Use the byte methods, or open it in a text mode.");
        }

        if (read && !CanRead)
        {
            throw new InvalidOperationException($"File '{Name}' was opened for writing only (mode '{Mode}'): it cannot be read.");
        }

        if (write && !CanWrite)
        {
            throw new InvalidOperationException($"File '{Name}' was opened for reading only (mode '{Mode}'): it cannot be written.");
        }
    }

    private ObjectDisposedException ClosedError() => new(nameof(AsyncFile), $"File '{Name}' is closed.");
}
