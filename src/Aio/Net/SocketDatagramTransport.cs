using System.Net;
using System.Net.Sockets;
using Aio.Reactor;
using Aio.Sockets;

namespace Aio.Net;

/// <summary>
/// The transport of a datagram socket; asyncio's <c>_SelectorDatagramTransport</c>. Readiness schedules
/// the work on the ready queue, as for streams; each turn receives up to <see cref="DatagramsPerTurn"/>
/// datagrams, so a flood on one endpoint cannot hold the loop.
/// </summary>
internal sealed class SocketDatagramTransport : DatagramTransport
{
    private const int DatagramsPerTurn = 16;
    private const int HighWater = 64 * 1024;

    private static readonly Action<object?, object?> s_readReady = static (t, _) => ((SocketDatagramTransport)t!).RunRead();
    private static readonly Action<object?, object?> s_writeReady = static (t, _) => ((SocketDatagramTransport)t!).RunFlush();

    private readonly EventLoop _loop;
    private readonly Socket _socket;
    private readonly DatagramProtocol _protocol;
    private readonly EndPoint? _remote;
    private readonly SocketAddress? _remoteAddress;
    private readonly Source _source;
    private readonly Queue<(byte[] Data, SocketAddress? To)> _pending = new();
    private int _pendingBytes;
    private bool _readScheduled;
    private bool _flushScheduled;
    private bool _protocolPaused;

    internal SocketDatagramTransport(EventLoop loop, Socket socket, DatagramProtocol protocol, EndPoint? remote)
    {
        _loop = loop;
        _socket = socket;
        _protocol = protocol;
        _remote = remote;
        _remoteAddress = remote?.Serialize();
        _source = new Source(this);
    }

    public override DatagramProtocol Protocol => _protocol;

    public override Socket Socket => _socket;

    public override EndPoint? SockName => _socket.SafeHandle.IsClosed ? null : _socket.LocalEndPoint;

    public override EndPoint? PeerName => _remote;

    public override bool IsClosing => _source.IsClosing;

    public override int WriteBufferSize => _pendingBytes;

    internal void Start()
    {
        _socket.Blocking = false;
        _source.Start();
    }

    // ---- sending --------------------------------------------------------------------------------

    public override void SendTo(ReadOnlySpan<byte> data, EndPoint? address = null)
    {
        _loop.CheckThread();
        SocketAddress? to;
        if (_remote is not null)
        {
            if (address is not null && !address.Equals(_remote))
            {
                throw new ArgumentException($"Invalid address: must be null or {_remote}.", nameof(address));
            }

            // Connected: send() without an address.
            to = null;
        }
        else
        {
            to = (address ?? throw new ArgumentException("An address is required on an endpoint without a remote address.", nameof(address))).Serialize();
        }

        if (_source.IsClosing)
        {
            return;
        }

        if (_pending.Count == 0)
        {
            int errno = Send(data, to);
            if (errno == 0)
            {
                return;
            }

            if (!SocketErrors.IsWouldBlock(errno))
            {
                // As asyncio: an error sending a datagram is the protocol's to hear, not the end.
                ReportError(SocketErrors.Exception(errno));
                return;
            }

            _source.Writable = false;
        }

        _pending.Enqueue((data.ToArray(), to));
        _pendingBytes += data.Length;
        if (_source.Writable)
        {
            ScheduleFlush();
        }

        if (!_protocolPaused && _pendingBytes > HighWater)
        {
            _protocolPaused = true;
            CallProtocol(static p => p.PauseWriting(), "PauseWriting");
        }
    }

    /// <returns>0, or the errno.</returns>
    private int Send(ReadOnlySpan<byte> data, SocketAddress? to) =>
        SocketCalls.SendTo(_source.Fd, data, to, out int errno) < 0 ? errno : 0;

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

        while (_pending.TryPeek(out (byte[] Data, SocketAddress? To) next))
        {
            int errno = Send(next.Data, next.To);
            if (SocketErrors.IsWouldBlock(errno))
            {
                _source.Writable = false;
                break;
            }

            _pending.Dequeue();
            _pendingBytes -= next.Data.Length;
            if (errno != 0)
            {
                ReportError(SocketErrors.Exception(errno));
            }
        }

        if (_protocolPaused && _pendingBytes <= HighWater / 4)
        {
            _protocolPaused = false;
            CallProtocol(static p => p.ResumeWriting(), "ResumeWriting");
        }

        if (_pending.Count == 0 && _source.IsClosing)
        {
            _source.ScheduleConnectionLost(null);
        }
    }

    // ---- receiving ------------------------------------------------------------------------------

    private void ScheduleRead()
    {
        if (!_readScheduled && _source.IsStarted && !_source.IsClosing)
        {
            _readScheduled = true;
            _loop.Ready.Enqueue(s_readReady, this, null);
        }
    }

    private void RunRead()
    {
        _readScheduled = false;
        byte[] buffer = _loop.TransportReceiveBuffer;
        Span<byte> address = stackalloc byte[SocketAddresses.MaxSize];
        for (int i = 0; i < DatagramsPerTurn && !_source.IsClosing; i++)
        {
            int n = SocketCalls.ReceiveFrom(_source.Fd, buffer, address, out int length, out int errno);
            if (n < 0)
            {
                if (SocketErrors.IsWouldBlock(errno))
                {
                    _source.Readable = false;
                    return;
                }

                ReportError(SocketErrors.Exception(errno));
                continue;
            }

            EndPoint from = _remote ?? SocketAddresses.ToEndPoint(address[..length]);
            try
            {
                _protocol.DatagramReceived(buffer.AsSpan(0, n), from);
            }
            catch (Exception e)
            {
                _source.FatalError(e, "Fatal error: protocol.DatagramReceived() call failed");
                return;
            }
        }

        // More may wait: go on in a later turn.
        ScheduleRead();
    }

    private void ReportError(Exception error) => CallProtocol(p => p.ErrorReceived(error), "ErrorReceived");

    private void CallProtocol(Action<DatagramProtocol> call, string name)
    {
        try
        {
            call(_protocol);
        }
        catch (Exception e)
        {
            _source.FatalError(e, $"Fatal error: protocol.{name}() call failed");
        }
    }

    // ---- the life cycle (see TransportSource) ---------------------------------------------------

    private void OnReady()
    {
        if (_source.IsConnectionLost)
        {
            return;
        }

        ScheduleReadIfReady();
        if (_source.Writable && _pending.Count > 0)
        {
            ScheduleFlush();
        }
    }

    private void ScheduleReadIfReady()
    {
        if (_source.Readable)
        {
            ScheduleRead();
        }
    }

    public override void Close() => _source.Close(sendFirst: _pending.Count > 0);

    public override void Abort() => _source.Abort();

    public override string ToString() => $"<SocketDatagramTransport fd={_source.Fd}{(_source.IsClosing ? " closing" : "")}>";

    /// <summary>The transport's registration with the reactor, and what its life cycle does that other
    /// transports' do not.</summary>
    private sealed class Source(SocketDatagramTransport transport) : TransportSource(transport._loop, transport._socket)
    {
        internal override void OnReady(IoInterest ready) => transport.OnReady();

        private protected override void NotifyConnectionMade() => transport._protocol.ConnectionMade(transport);

        private protected override void StartReading() => transport.ScheduleReadIfReady();

        private protected override void NotifyConnectionLost(Exception? exception) => transport._protocol.ConnectionLost(exception);

        private protected override void DropUnsent()
        {
            transport._pending.Clear();
            transport._pendingBytes = 0;
        }

        public override string Describe() => $"datagram transport fd={Fd} {(transport._remote is null ? "" : transport._remote.ToString())}";

        public override string ToString() => transport.ToString();
    }
}
