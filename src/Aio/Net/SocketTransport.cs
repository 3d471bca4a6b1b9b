using System.Net;
using System.Net.Sockets;
using Aio.Reactor;
using Aio.Sockets;

namespace Aio.Net;

/// <summary>
/// The transport of a connected stream socket (TCP or Unix); asyncio's <c>_SelectorSocketTransport</c>.
/// </summary>
/// <remarks>
/// <para>The socket is a reactor source (registered once, edge-triggered; see <see cref="IoSource"/>).
/// Readiness schedules a read or a flush on the ready queue, so protocol callbacks run as plain callbacks,
/// in order with everything else the loop runs, and each connection reads at most one buffer per
/// iteration while others wait.</para>
/// <para>A write goes to the socket with no wait for writability; only what the kernel does not take is
/// kept in the write buffer, which is flushed as the socket becomes writable. Crossing the high-water mark
/// pauses the protocol's writing; draining to the low-water mark resumes it.</para>
/// <para>A small write made while the loop runs a batch of callbacks is gathered and sent when the batch
/// ends, before the loop polls again, together with whatever else the batch wrote on the transport: one
/// call for a reply written in pieces, and a batch's replies sent after its receives rather than between
/// them, which costs the kernel less (an echo at a thousand connections spent about half a microsecond
/// less of kernel time per message). What a protocol sees is as if the kernel had taken the bytes at once:
/// they count in no write buffer size and pause nothing, a close or <c>WriteEof</c> follows them, and an
/// abort sends them first.</para>
/// </remarks>
internal sealed class SocketTransport : Transport
{
    private static readonly Action<object?, object?> s_readReady = static (t, _) => ((SocketTransport)t!).RunRead();
    private static readonly Action<object?, object?> s_writeReady = static (t, _) => ((SocketTransport)t!).RunFlush();

    private readonly EventLoop _loop;
    private readonly Socket _socket;

    /// <summary>The socket's handle, for the system calls the transport makes itself: <c>Socket.Send</c>
    /// and <c>Socket.Receive</c> would add their checks, a reference count and a second wrapper to each.</summary>
    private readonly SafeSocketHandle _handle;
    private readonly Source _source;
    private ByteQueue _buffer;
    private readonly Server? _server;
    private BaseProtocol _protocol;
    private EndPoint? _peerName;
    private EndPoint? _sockName;
    private WriteWaterMarks _waterMarks = new();

    /// <summary>Writes up to this size, with nothing else waiting, are gathered until the batch ends; a
    /// larger one goes to the kernel at once, as do the gathered bytes once they pass it.</summary>
    private const int GatherLimit = 16 * 1024;

    private bool _reading = true;

    /// <summary>Whether the bytes in the write buffer were gathered for the end of the batch, rather than
    /// refused by the kernel.</summary>
    private bool _gathered;
    private bool _readScheduled;
    private bool _flushScheduled;
    private bool _eofReceived;
    private bool _eofRequested;

    internal SocketTransport(EventLoop loop, Socket socket, BaseProtocol protocol, Server? server, EndPoint? peerName = null)
    {
        _loop = loop;
        _socket = socket;
        _handle = socket.SafeHandle;
        _protocol = protocol;
        _server = server;
        _peerName = peerName;
        _source = new Source(this);
    }

    /// <inheritdoc/>
    public override BaseProtocol Protocol
    {
        get => _protocol;
        set => _protocol = value switch
        {
            null => throw new ArgumentNullException(nameof(value)),
            Aio.Net.Protocol or BufferedProtocol => value,
            _ => throw new ArgumentException("A stream transport takes a Protocol or a BufferedProtocol.", nameof(value)),
        };
    }

    /// <inheritdoc/>
    public override bool IsClosing => _source.IsClosing;

    /// <inheritdoc/>
    public override bool IsReading => _reading && !_source.IsClosing;

    /// <inheritdoc/>
    public override Socket Socket => _socket;

    /// <inheritdoc/>
    public override EndPoint? PeerName => _peerName ??= TryEndPoint(static s => s.RemoteEndPoint, _socket);

    /// <inheritdoc/>
    public override EndPoint? SockName => _sockName ??= TryEndPoint(static s => s.LocalEndPoint, _socket);

    /// <summary>Whether the write buffer holds an array (gathered writes borrow one only until they are
    /// sent); for tests.</summary>
    internal bool HoldsWriteArray => _buffer.HasArray;

    /// <summary>Whether the protocol's <c>ConnectionMade</c> has run.</summary>
    internal bool IsStarted => _source.IsStarted;

    /// <inheritdoc/>
    public override int WriteBufferSize => _gathered ? 0 : _buffer.Count;

    /// <inheritdoc/>
    public override int WriteBufferLowWater => _waterMarks.Low;

    /// <inheritdoc/>
    public override int WriteBufferHighWater => _waterMarks.High;

    /// <summary>Registers the socket and schedules the protocol's <c>ConnectionMade</c>; reading starts
    /// after it, as in asyncio.</summary>
    internal void Start()
    {
        _socket.Blocking = false;
        if (_socket.ProtocolType == ProtocolType.Tcp)
        {
            // As asyncio: a transport's writes are whole messages; Nagle would hold back the last piece.
            _socket.NoDelay = true;
        }

        _source.Start();
    }

    // ---- writing --------------------------------------------------------------------------------

    /// <inheritdoc/>
    public override void Write(ReadOnlySpan<byte> data)
    {
        _loop.CheckThread();
        if (_eofRequested)
        {
            throw new InvalidOperationException("Cannot write after WriteEof().");
        }

        if (_source.IsClosing || data.IsEmpty)
        {
            // asyncio too ignores writes to a closing transport (it logs after a few).
            return;
        }

        if (_buffer.Count == 0)
        {
            if (data.Length <= GatherLimit && _loop.GathersWrites)
            {
                // The usual case: kept until the batch ends (see the remarks), in an array the loop lends.
                if (!_buffer.HasArray)
                {
                    _buffer.Adopt(_loop.RentGatherArray());
                }

                _buffer.Append(data);
                _gathered = true;
                _loop.SendAtBatchEnd(this);
                return;
            }

            int sent = SendUntilBlocked(data);
            if (sent < 0 || sent == data.Length)
            {
                return;
            }

            data = data[sent..];
        }

        _buffer.Append(data);
        if (_gathered)
        {
            if (_buffer.Count > GatherLimit)
            {
                SendGathered();
            }

            return;
        }

        if (_source.Writable)
        {
            ScheduleFlush();
        }

        _waterMarks.PauseProtocolIfAbove(_buffer.Count, _protocol, _source);
    }

    /// <summary>Starts loading what reading and sending touch besides the transport itself: the handle,
    /// the protocol, the write buffer's array. See <see cref="CacheHints"/>.</summary>
    internal void PrefetchParts()
    {
        CacheHints.Prefetch(_handle);
        CacheHints.Prefetch(_protocol, 2);
        CacheHints.Prefetch(_buffer.PeekArray());
    }

    /// <summary>Sends the bytes gathered during the batch (the loop calls this when the batch ends); what
    /// the kernel does not take waits for writability, as a write's rest does.</summary>
    internal void SendGathered()
    {
        if (!_gathered)
        {
            return;
        }

        _gathered = false;
        if (_source.IsConnectionLost)
        {
            return;
        }

        RunFlush();
        if (_buffer.Count > 0)
        {
            _waterMarks.PauseProtocolIfAbove(_buffer.Count, _protocol, _source);
        }
        else if (_buffer.Release() is { } array)
        {
            _loop.ReturnGatherArray(array);
        }
    }

    /// <inheritdoc/>
    public override void WriteEof()
    {
        _loop.CheckThread();
        if (_source.IsClosing || _eofRequested)
        {
            return;
        }

        _eofRequested = true;
        if (_buffer.Count == 0)
        {
            ShutdownSend();
        }
    }

    /// <inheritdoc/>
    public override void SetWriteBufferLimits(int? high = null, int? low = null)
    {
        _waterMarks.Set(high, low);
        _waterMarks.PauseProtocolIfAbove(WriteBufferSize, _protocol, _source);
    }

    private void ScheduleFlush()
    {
        if (!_flushScheduled)
        {
            _flushScheduled = true;
            _loop.Ready.Enqueue(s_writeReady, this, null);
        }
    }

    private void RunFlush()
    {
        _flushScheduled = false;
        if (_source.IsConnectionLost)
        {
            return;
        }

        int sent = SendUntilBlocked(_buffer.Pending);
        if (sent < 0)
        {
            return;
        }

        _buffer.Consume(sent);
        _waterMarks.ResumeProtocolIfDrained(_buffer.Count, _protocol, _source);
        if (_buffer.Count == 0)
        {
            if (_source.IsClosing)
            {
                _source.ScheduleConnectionLost(null);
            }
            else if (_eofRequested)
            {
                ShutdownSend();
            }
        }
    }

    /// <summary>Sends as much of <paramref name="data"/> as the kernel takes.</summary>
    /// <returns>How many bytes were sent (fewer than asked when the socket would block, which clears
    /// <see cref="IoSource.Writable"/>); -1 after a fatal error, which has closed the transport.</returns>
    private int SendUntilBlocked(ReadOnlySpan<byte> data)
    {
        int sent = SocketCalls.SendUntilBlocked(_handle, data, out int errno);
        if (errno == 0)
        {
            return sent;
        }

        if (SocketErrors.IsWouldBlock(errno))
        {
            _source.Writable = false;
            return sent;
        }

        _source.FatalError(SocketErrors.Exception(errno), "Fatal write error on socket transport");
        return -1;
    }

    private void ShutdownSend()
    {
        try
        {
            _socket.Shutdown(SocketShutdown.Send);
        }
        catch (SocketException)
        {
            // The peer is already gone; the read side will report it.
        }
    }

    // ---- reading --------------------------------------------------------------------------------

    /// <inheritdoc/>
    public override void PauseReading()
    {
        _loop.CheckThread();
        _reading = false;
    }

    /// <inheritdoc/>
    public override void ResumeReading()
    {
        _loop.CheckThread();
        if (_source.IsClosing || _reading)
        {
            return;
        }

        _reading = true;
        if (_source.Readable)
        {
            ScheduleRead();
        }
    }

    private void ScheduleRead()
    {
        if (!_readScheduled && _source.IsStarted && !_eofReceived)
        {
            _readScheduled = true;
            _loop.Ready.Enqueue(s_readReady, this, null);
        }
    }

    private void RunRead()
    {
        _readScheduled = false;
        if (!_reading || _source.IsClosing || _eofReceived)
        {
            return;
        }

        Span<byte> buffer;
        BufferedProtocol? buffered = _protocol as BufferedProtocol;
        if (buffered is null)
        {
            buffer = _loop.TransportReceiveBuffer;
        }
        else if (!StreamDelivery.TryGetBuffer(_source, buffered, out buffer))
        {
            return;
        }

        int received = SocketCalls.Receive(_handle, buffer, out int errno);
        if (received < 0)
        {
            if (SocketErrors.IsWouldBlock(errno))
            {
                _source.Readable = false;
            }
            else
            {
                _source.FatalError(SocketErrors.Exception(errno), "Fatal read error on socket transport");
            }

            return;
        }

        if (received == 0)
        {
            OnEof();
            return;
        }

        if (!StreamDelivery.TryDeliver(_source, _protocol, buffered, buffer[..received]))
        {
            return;
        }

        if (received == buffer.Length || _source.PeerClosed)
        {
            // More may be waiting — bytes, or the end of the stream, which no further edge would announce;
            // read it in a later turn so that other connections get theirs.
            ScheduleRead();
        }
    }

    private void OnEof()
    {
        _eofReceived = true;
        bool keepOpen;
        try
        {
            keepOpen = _protocol switch
            {
                Protocol p => p.EofReceived(),
                BufferedProtocol b => b.EofReceived(),
                _ => false,
            };
        }
        catch (Exception e)
        {
            _source.FatalError(e, "Fatal error: protocol.EofReceived() call failed.");
            return;
        }

        if (!keepOpen)
        {
            Close();
        }
    }

    // ---- readiness ------------------------------------------------------------------------------

    private void OnReady()
    {
        if (_source.IsConnectionLost)
        {
            return;
        }

        ScheduleReadIfReady();
        if (_source.Writable && _buffer.Count > 0 && !_gathered)
        {
            ScheduleFlush();
        }
    }

    private void ScheduleReadIfReady()
    {
        if (_source.Readable && _reading && !_source.IsClosing)
        {
            ScheduleRead();
        }
    }

    // ---- the life cycle (see TransportSource) ---------------------------------------------------

    /// <summary>An abort or a fatal error drops what waits to be sent — but gathered bytes are offered to
    /// the kernel first, as they would have been at the write (errors ignored: the transport is closing).</summary>
    private void DropUnsent()
    {
        if (_gathered)
        {
            _gathered = false;
            SocketCalls.SendUntilBlocked(_handle, _buffer.Pending, out _);
        }

        _buffer.Clear();
    }

    /// <inheritdoc/>
    public override void Close() => _source.Close(sendFirst: _buffer.Count > 0);

    /// <inheritdoc/>
    public override void Abort() => _source.Abort();

    /// <inheritdoc/>
    public override string ToString() => $"<SocketTransport fd={_source.Fd} peer={PeerName}{(_source.IsClosing ? " closing" : "")}>";

    private static EndPoint? TryEndPoint(Func<Socket, EndPoint?> read, Socket socket)
    {
        try
        {
            return read(socket);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            return null;
        }
    }

    /// <summary>The transport's registration with the reactor, and what its life cycle does that other
    /// transports' do not.</summary>
    private sealed class Source(SocketTransport transport) : TransportSource(transport._loop, transport._socket)
    {
        internal override void OnReady(IoInterest ready) => transport.OnReady();

        internal override void PrefetchParts(int level)
        {
            if (level == 1)
            {
                CacheHints.Prefetch(transport, 3);
            }
            else
            {
                transport.PrefetchParts();
            }
        }

        private protected override void NotifyConnectionMade() => transport._protocol.MadeWith(transport);

        private protected override void StartReading() => transport.ScheduleReadIfReady();

        private protected override void NotifyConnectionLost(Exception? exception) => transport._protocol.ConnectionLost(exception);

        private protected override void DropUnsent() => transport.DropUnsent();

        /// <summary>A peer resetting or vanishing is part of networking, not a bug.</summary>
        private protected override bool IsOrdinaryEnd(Exception exception) => exception is SocketException;

        private protected override void OnReleased() => transport._server?.Detach(transport);

        public override string Describe() => $"transport fd={Fd} {transport.PeerName}";

        public override string ToString() => transport.ToString();
    }
}
