using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using Aio.Sync;

namespace Aio.Net;

/// <summary>
/// The reading half of a stream connection; asyncio's <c>StreamReader</c>. Made by
/// <c>AsyncIO.OpenConnectionAsync</c> and <c>AsyncIO.StartServerAsync</c> (and their Unix variants).
/// </summary>
/// <remarks>
/// <para>Loop thread only. One read waits at a time: a second one while the first waits is refused with
/// <see cref="InvalidOperationException"/>, as asyncio refuses it.</para>
/// <para>A read that finds what it needs in the buffer completes at once, without suspending. A waiting
/// read is completed by the transport's callback as the bytes arrive, and its coroutine resumes with the
/// result. A read cancelled while it waits takes nothing; one cancelled after it was completed but before
/// it resumed puts its bytes back in front of the buffer, so cancelling a read never loses data.</para>
/// <para>Backpressure: when more than twice the limit waits unread, the transport stops receiving (the
/// kernel's buffers then hold the peer back) until reads bring it down to the limit.</para>
/// </remarks>
public sealed class AsyncStreamReader : IWaitOwner<byte[]>, IWaitOwner<int>, IAsyncEnumerable<byte[]>
{
    /// <summary>The default limit: asyncio's <c>_DEFAULT_LIMIT</c>, 64 KiB.</summary>
    public const int DefaultLimit = 64 * 1024;

    // What the waiting read is, in WaitNode.Role.
    private const byte ReadSome = 0;
    private const byte ReadAll = 1;
    private const byte ReadExactlyKind = 2;
    private const byte ReadUntilKind = 3;
    private const byte ReadLineKind = 4;
    private const byte ReadInto = 5;

    private static readonly byte[] s_newline = "\n"u8.ToArray();

    private readonly EventLoop _loop;
    private readonly int _limit;
    private ByteQueue _buffer;
    private readonly ParkingLot _waiting = new();
    private WaitNodePool<byte[]> _bytesNodes;
    private WaitNodePool<int> _intNodes;
    private Transport? _transport;
    private Exception? _exception;
    private bool _eof;
    private bool _paused;

    // The waiting read's parameters.
    private int _count;
    private byte[] _separator = s_newline;
    private Memory<byte> _into;

    /// <summary>Whether the current read into <see cref="_into"/> is the <see cref="Stream"/> adapter's.</summary>
    private bool _streamRead;

    /// <summary>What a completed <see cref="ReadAsync(Memory{byte})"/> copied, until its task resumes
    /// (to put back if it was cancelled meanwhile).</summary>
    private Memory<byte> _filled;
    private WaitNode? _filledBy;

    internal AsyncStreamReader(EventLoop loop, int limit = DefaultLimit)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        _loop = loop;
        _limit = limit;
    }

    /// <summary>The loop the reader belongs to.</summary>
    internal EventLoop Loop => _loop;

    /// <summary>The most bytes a line or a read up to a separator may span; asyncio's <c>limit</c>.</summary>
    public int Limit => _limit;

    /// <summary>Whether the stream ended and every byte was read; asyncio's <c>at_eof()</c>.</summary>
    public bool AtEof => _eof && _buffer.Count == 0;

    /// <summary>The error the connection ended with, if it did; asyncio's <c>exception()</c>.</summary>
    public Exception? Exception => _exception;

    /// <summary>How many received bytes wait unread.</summary>
    public int BufferedCount => _buffer.Count;

    // ---- reads ----------------------------------------------------------------------------------

    /// <summary>Reads up to <paramref name="n"/> bytes, or (with -1, the default) everything up to the end
    /// of the stream; asyncio's <c>read(n)</c>.</summary>
    /// <param name="n">The most bytes to return; -1 for all until the end.</param>
    /// <returns>The bytes; empty at the end of the stream. Await it exactly once.</returns>
    /// <exception cref="Exception">The connection's error, if it ended with one (see <see cref="Exception"/>).</exception>
    /// <exception cref="InvalidOperationException">Another read is waiting.</exception>
    public ValueTask<byte[]> ReadAsync(int n = -1) => n == 0 ? new ValueTask<byte[]>([]) : Read(n < 0 ? ReadAll : ReadSome, n);

    /// <summary>Reads into <paramref name="buffer"/> whatever is available, waiting if nothing is; the
    /// allocation-free form of <see cref="ReadAsync(int)"/>.</summary>
    /// <param name="buffer">Where to put the bytes.</param>
    /// <returns>How many bytes were read; 0 at the end of the stream. Await it exactly once.</returns>
    /// <exception cref="Exception">The connection's error, if it ended with one.</exception>
    /// <exception cref="InvalidOperationException">Another read is waiting.</exception>
    public ValueTask<int> ReadAsync(Memory<byte> buffer)
    {
        _loop.CheckThread();
        CheckNoReader();
        if (buffer.IsEmpty)
        {
            return new ValueTask<int>(0);
        }

        return ReadIntoBuffer(buffer, forStream: false, out _);
    }

    /// <summary>The read of the connection's <see cref="Stream"/> (see <see cref="AsyncStreamWriter.AsStream"/>):
    /// as <see cref="ReadAsync(Memory{byte})"/>, except that an empty <paramref name="buffer"/> waits until
    /// bytes are available (or the stream ends) and then returns 0 — the zero-byte read SslStream and
    /// Pipelines use to wait without holding a buffer — and that the connection's error comes wrapped in an
    /// <see cref="IOException"/>.</summary>
    /// <param name="buffer">Where to put the bytes.</param>
    /// <param name="waiting">The wait, when the read could not complete at once.</param>
    /// <returns>How many bytes were read; 0 at the end of the stream, or for an empty buffer.</returns>
    internal ValueTask<int> ReadForStream(Memory<byte> buffer, out WaitNode<int>? waiting)
    {
        _loop.CheckThread();
        CheckNoReader();
        return ReadIntoBuffer(buffer, forStream: true, out waiting);
    }

    private ValueTask<int> ReadIntoBuffer(Memory<byte> buffer, bool forStream, out WaitNode<int>? waiting)
    {
        waiting = null;
        _streamRead = forStream;
        _into = buffer;
        if (TryCopyInto(out int copied, out Exception? error))
        {
            _into = default;
            return error is null ? new ValueTask<int>(copied) : ValueTask.FromException<int>(ReadError(error));
        }

        WaitNode<int> node = _intNodes.Rent(_loop, this);
        node.Role = ReadInto;
        node.ResumeWithoutContext = forStream;
        _waiting.Park(node);
        ResumeForWaitingRead();
        waiting = node;
        return node.AsValueTask();
    }

    private Exception ReadError(Exception error) => _streamRead ? StreamErrors.Read(error) : error;

    /// <summary>Reads exactly <paramref name="n"/> bytes; asyncio's <c>readexactly(n)</c>.</summary>
    /// <param name="n">How many.</param>
    /// <returns>The bytes. Await it exactly once.</returns>
    /// <exception cref="IncompleteReadException">The stream ended first; the bytes that came are in it.</exception>
    /// <exception cref="InvalidOperationException">Another read is waiting.</exception>
    public ValueTask<byte[]> ReadExactlyAsync(int n)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        return n == 0 ? new ValueTask<byte[]>([]) : Read(ReadExactlyKind, n);
    }

    /// <summary>Reads up to and including the next <c>\n</c>; asyncio's <c>readline()</c>.</summary>
    /// <returns>The line with its <c>\n</c>; at the end of the stream, what is left (without one), or
    /// empty. Await it exactly once.</returns>
    /// <exception cref="LimitOverrunException">No <c>\n</c> within <see cref="Limit"/> bytes; as asyncio,
    /// the over-long line is discarded (up to its <c>\n</c> if it came, else the whole buffer).</exception>
    /// <exception cref="InvalidOperationException">Another read is waiting.</exception>
    public ValueTask<byte[]> ReadLineAsync()
    {
        _separator = s_newline;
        return Read(ReadLineKind, 0);
    }

    /// <summary>Reads up to and including <c>\n</c>; asyncio's <c>readuntil()</c>.</summary>
    /// <returns>The bytes, ending with the separator. Await it exactly once.</returns>
    /// <exception cref="IncompleteReadException">The stream ended before a separator.</exception>
    /// <exception cref="LimitOverrunException">No separator within <see cref="Limit"/> bytes (they stay).</exception>
    public ValueTask<byte[]> ReadUntilAsync() => ReadUntilAsync(s_newline);

    /// <summary>Reads up to and including <paramref name="separator"/>; asyncio's <c>readuntil(sep)</c>.</summary>
    /// <param name="separator">The separator; not empty.</param>
    /// <returns>The bytes, ending with the separator. Await it exactly once.</returns>
    /// <exception cref="IncompleteReadException">The stream ended before a separator.</exception>
    /// <exception cref="LimitOverrunException">No separator within <see cref="Limit"/> bytes (they stay).</exception>
    /// <exception cref="InvalidOperationException">Another read is waiting.</exception>
    public ValueTask<byte[]> ReadUntilAsync(ReadOnlySpan<byte> separator)
    {
        if (separator.IsEmpty)
        {
            throw new ArgumentException("The separator must not be empty.", nameof(separator));
        }

        _separator = separator.SequenceEqual(s_newline) ? s_newline : separator.ToArray();
        return Read(ReadUntilKind, 0);
    }

    /// <summary>The lines of the stream, until its end: <c>async for line in reader</c>.</summary>
    /// <param name="cancellationToken">Not used: cancel the task instead, as for any read.</param>
    /// <returns>An enumerator of lines, each with its <c>\n</c> (the last may lack one).</returns>
    public async IAsyncEnumerator<byte[]> GetAsyncEnumerator(CancellationToken cancellationToken = default)
    {
        while (true)
        {
            byte[] line = await ReadLineAsync();
            if (line.Length == 0)
            {
                yield break;
            }

            yield return line;
        }
    }

    private ValueTask<byte[]> Read(byte kind, int count)
    {
        _loop.CheckThread();
        CheckNoReader();
        _count = count;
        if (TrySatisfy(kind, out byte[]? result, out Exception? error))
        {
            return error is null ? new ValueTask<byte[]>(result!) : ValueTask.FromException<byte[]>(error);
        }

        WaitNode<byte[]> node = _bytesNodes.Rent(_loop, this);
        node.Role = kind;
        _waiting.Park(node);
        ResumeForWaitingRead();
        return node.AsValueTask();
    }

    private void CheckNoReader()
    {
        if (_waiting.First is not null)
        {
            throw new InvalidOperationException("Another coroutine is already waiting to read from this stream.");
        }
    }

    /// <summary>Tries to complete a read of <paramref name="kind"/> from what is buffered now.</summary>
    /// <returns>False when it must wait for more; else the result, or the error to end it with.</returns>
    private bool TrySatisfy(byte kind, out byte[]? result, out Exception? error)
    {
        result = null;
        error = null;
        switch (kind)
        {
            case ReadSome:
                if (_buffer.Count > 0)
                {
                    result = Take(Math.Min(_count, _buffer.Count));
                    return true;
                }

                return Ended(out result, out error);

            case ReadAll:
                if (_exception is not null)
                {
                    error = _exception;
                    return true;
                }

                if (!_eof)
                {
                    return false;
                }

                result = Take(_buffer.Count);
                return true;

            case ReadExactlyKind:
                if (_buffer.Count >= _count)
                {
                    result = Take(_count);
                    return true;
                }

                if (_exception is not null)
                {
                    error = _exception;
                    return true;
                }

                if (_eof)
                {
                    error = new IncompleteReadException(Take(_buffer.Count), _count);
                    return true;
                }

                return false;

            default: // ReadUntilKind, ReadLineKind
                return TryReadUntil(kind == ReadLineKind, out result, out error);
        }
    }

    /// <summary>At the end of the stream, or after an error: what a read of "some" returns.</summary>
    private bool Ended(out byte[]? result, out Exception? error)
    {
        result = null;
        error = null;
        if (_exception is not null)
        {
            error = _exception;
            return true;
        }

        if (_eof)
        {
            result = [];
            return true;
        }

        return false;
    }

    private bool TryReadUntil(bool line, out byte[]? result, out Exception? error)
    {
        result = null;
        error = null;
        ReadOnlySpan<byte> pending = _buffer.Pending;
        int index = pending.IndexOf(_separator);
        if (index >= 0)
        {
            if (index > _limit)
            {
                error = Overrun(line, "Separator is found, but chunk is longer than limit", index);
                return true;
            }

            result = Take(index + _separator.Length);
            return true;
        }

        int searched = pending.Length + 1 - _separator.Length;
        if (searched > _limit)
        {
            error = Overrun(line, "Separator is not found, and chunk exceed the limit", searched);
            return true;
        }

        if (_exception is not null)
        {
            error = _exception;
            return true;
        }

        if (_eof)
        {
            byte[] rest = Take(_buffer.Count);
            if (line)
            {
                result = rest;
            }
            else
            {
                error = new IncompleteReadException(rest, null);
            }

            return true;
        }

        return false;
    }

    private LimitOverrunException Overrun(bool line, string message, int consumed)
    {
        if (line)
        {
            // As asyncio's readline: drop the over-long line (through its separator if it came), so the
            // next read starts afresh.
            ReadOnlySpan<byte> pending = _buffer.Pending;
            bool separatorFollows = pending.Length >= consumed + _separator.Length
                && pending.Slice(consumed, _separator.Length).SequenceEqual(_separator);
            _buffer.Consume(separatorFollows ? consumed + _separator.Length : _buffer.Count);
            ResumeIfDrained();
        }

        return new LimitOverrunException(message, consumed);
    }

    private bool TryCopyInto(out int copied, out Exception? error)
    {
        error = null;
        if (_buffer.Count > 0)
        {
            copied = Math.Min(_into.Length, _buffer.Count);
            _buffer.Pending[..copied].CopyTo(_into.Span);
            _buffer.Consume(copied);
            ResumeIfDrained();
            return true;
        }

        copied = 0;
        return Ended(out _, out error);
    }

    private byte[] Take(int count)
    {
        byte[] bytes = _buffer.Pending[..count].ToArray();
        _buffer.Consume(count);
        ResumeIfDrained();
        return bytes;
    }

    /// <summary>Takes every byte waiting unread, for <c>start_tls</c>: what arrived after the last
    /// plaintext read belongs to the TLS handshake.</summary>
    internal byte[] TakeBuffered()
    {
        byte[] bytes = _buffer.Pending.ToArray();
        _buffer.Clear();
        ResumeIfDrained();
        return bytes;
    }

    // ---- fed by the protocol --------------------------------------------------------------------

    /// <summary>The transport to pause while too much waits unread.</summary>
    internal void SetTransport(Transport transport) => _transport = transport;

    /// <summary>Bytes arrived; asyncio's <c>feed_data()</c>.</summary>
    internal void FeedData(ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty)
        {
            return;
        }

        if (_buffer.Count == 0 && _waiting.First is { Role: ReadSome or ReadInto } node)
        {
            // A read of "what there is" waits and nothing is buffered: hand it the bytes straight from the
            // transport, so an idle connection keeps no buffer at all. Only the rest is buffered.
            data = Deliver(node, data);
            if (data.IsEmpty)
            {
                return;
            }
        }

        _buffer.Append(data);
        ServeWaiting();
        PauseIfFull();
    }

    /// <summary>The stream ended; asyncio's <c>feed_eof()</c>.</summary>
    internal void FeedEof()
    {
        _eof = true;
        ServeWaiting();
    }

    /// <summary>The connection failed; asyncio's <c>set_exception()</c>.</summary>
    internal void SetException(Exception exception)
    {
        _exception = exception;
        ServeWaiting();
    }

    private void ServeWaiting()
    {
        if (_waiting.First is not { } node)
        {
            return;
        }

        if (node.Role == ReadInto)
        {
            if (TryCopyInto(out int copied, out Exception? copyError))
            {
                _waiting.Remove(node);
                if (copyError is not null)
                {
                    node.Fail(ReadError(copyError));
                    return;
                }

                GrantReadInto(node, copied);
            }

            return;
        }

        if (TrySatisfy(node.Role, out byte[]? result, out Exception? error))
        {
            _waiting.Remove(node);
            if (error is not null)
            {
                node.Fail(error);
            }
            else
            {
                ((WaitNode<byte[]>)node).Value = result;
                node.Grant();
            }
        }
    }

    /// <summary>Completes the waiting <see cref="ReadAsync(Memory{byte})"/>, whose buffer now holds
    /// <paramref name="copied"/> bytes; remembers them until its task resumes (see <see cref="_filled"/>).
    /// The caller has removed the node from its lot.</summary>
    private void GrantReadInto(WaitNode node, int copied)
    {
        _filled = _into[..copied];
        _filledBy = node;
        _into = default;
        ((WaitNode<int>)node).Value = copied;
        node.Grant();
    }

    /// <summary>Completes the waiting read of "what there is" from <paramref name="data"/>.</summary>
    /// <returns>What the read did not take.</returns>
    private ReadOnlySpan<byte> Deliver(WaitNode node, ReadOnlySpan<byte> data)
    {
        _waiting.Remove(node);
        if (node.Role == ReadInto)
        {
            int copied = Math.Min(_into.Length, data.Length);
            data[..copied].CopyTo(_into.Span);
            GrantReadInto(node, copied);
            return data[copied..];
        }

        int taken = Math.Min(_count, data.Length);
        ((WaitNode<byte[]>)node).Value = data[..taken].ToArray();
        node.Grant();
        return data[taken..];
    }

    private void PauseIfFull()
    {
        // Never while a read waits: it needs more bytes (a read to the end, or of more than the limit).
        if (!_paused && _transport is not null && _buffer.Count > 2 * _limit && _waiting.First is null)
        {
            _paused = true;
            _transport.PauseReading();
        }
    }

    /// <summary>A read waits for more: receive again even above the limit, as asyncio's
    /// <c>_wait_for_data</c> does.</summary>
    private void ResumeForWaitingRead()
    {
        if (_paused)
        {
            _paused = false;
            _transport?.ResumeReading();
        }
    }

    private void ResumeIfDrained()
    {
        if (_paused && _buffer.Count <= _limit)
        {
            _paused = false;
            _transport?.ResumeReading();
        }
    }

    // ---- waits ----------------------------------------------------------------------------------

    byte[] IWaitOwner<byte[]>.OnGranted(WaitNode<byte[]> node) => node.Value!;

    int IWaitOwner<int>.OnGranted(WaitNode<int> node)
    {
        _filled = default;
        _filledBy = null;
        return node.Value;
    }

    bool IWaitOwner.CancelWaiting(WaitNode node, string? message)
    {
        _into = default;
        node.LeaveCancelled(message);
        return true;
    }

    void IWaitOwner.OnAbandoned(WaitNode node)
    {
        // Completed, then cancelled before it resumed: its bytes go back in front, for the next read.
        if (node.Role == ReadInto)
        {
            if (ReferenceEquals(_filledBy, node))
            {
                _buffer.PutBack(_filled.Span);
                _filled = default;
                _filledBy = null;
            }
        }
        else if (((WaitNode<byte[]>)node).Value is { Length: > 0 } bytes)
        {
            _buffer.PutBack(bytes);
        }

        PauseIfFull();
    }

    string IWaitOwner.DescribeWait(WaitNode node) => node.Role switch
    {
        ReadLineKind => "AsyncStreamReader.readline",
        ReadUntilKind => "AsyncStreamReader.readuntil",
        ReadExactlyKind => "AsyncStreamReader.readexactly",
        _ => "AsyncStreamReader.read",
    };

    void IWaitOwner<byte[]>.Return(WaitNode<byte[]> node) => _bytesNodes.Return(node);

    void IWaitOwner<int>.Return(WaitNode<int> node) => _intNodes.Return(node);

    /// <inheritdoc/>
    public override string ToString() =>
        $"<AsyncStreamReader {_buffer.Count} bytes{(_eof ? " eof" : "")}{(_exception is not null ? " exception" : "")}>";
}
