using System.Net;
using System.Net.Sockets;
using Aio.Diagnostics;
using Aio.Reactor;
using Aio.Sockets;

namespace Aio.Net;

/// <summary>
/// The transport of a datagram socket; asyncio's <c>_SelectorDatagramTransport</c>. Readiness schedules
/// the work on the ready queue, as for streams; each turn receives up to <see cref="DatagramsPerTurn"/>
/// datagrams, so a flood on one endpoint cannot hold the loop.
/// </summary>
internal sealed class SocketDatagramTransport : DatagramTransport, ILoopResource
{
    private const int DatagramsPerTurn = 16;
    private const int HighWater = 64 * 1024;

    private static readonly Action<object?, object?> s_connectionMade = static (t, _) => ((SocketDatagramTransport)t!).RunConnectionMade();
    private static readonly Action<object?, object?> s_readReady = static (t, _) => ((SocketDatagramTransport)t!).RunRead();
    private static readonly Action<object?, object?> s_writeReady = static (t, _) => ((SocketDatagramTransport)t!).RunFlush();
    private static readonly Action<object?, object?> s_connectionLost = static (t, e) => ((SocketDatagramTransport)t!).RunConnectionLost((Exception?)e);

    private readonly EventLoop _loop;
    private readonly Socket _socket;
    private readonly DatagramProtocol _protocol;
    private readonly EndPoint? _remote;
    private readonly SocketAddress? _remoteAddress;
    private readonly Source _source;
    private readonly Queue<(byte[] Data, SocketAddress? To)> _pending = new();
    private int _pendingBytes;
    private bool _started;
    private bool _readScheduled;
    private bool _flushScheduled;
    private bool _closing;
    private bool _connectionLost;
    private bool _protocolPaused;

    internal SocketDatagramTransport(EventLoop loop, Socket socket, DatagramProtocol protocol, EndPoint? remote)
    {
        _loop = loop;
        _socket = socket;
        _protocol = protocol;
        _remote = remote;
        _remoteAddress = remote?.Serialize();
        _source = new Source(this, (int)socket.Handle);
    }

    public override DatagramProtocol Protocol => _protocol;

    public override Socket Socket => _socket;

    public override EndPoint? SockName => _socket.SafeHandle.IsClosed ? null : _socket.LocalEndPoint;

    public override EndPoint? PeerName => _remote;

    public override bool IsClosing => _closing;

    public override int WriteBufferSize => _pendingBytes;

    internal void Start()
    {
        _socket.Blocking = false;
        _loop.RegisterSource(_source);
        _loop.TrackResource(this);
        _loop.Ready.Enqueue(s_connectionMade, this, null);
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

        if (_closing)
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
        if (_connectionLost)
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

        if (_pending.Count == 0 && _closing)
        {
            ScheduleConnectionLost(null);
        }
    }

    // ---- receiving ------------------------------------------------------------------------------

    private void ScheduleRead()
    {
        if (!_readScheduled && _started && !_closing)
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
        for (int i = 0; i < DatagramsPerTurn && !_closing; i++)
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
                _loop.CallExceptionHandler(new LoopExceptionContext($"Fatal error: protocol.DatagramReceived() call failed: {Describe()}", e));
                ForceClose(e);
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
            _loop.CallExceptionHandler(new LoopExceptionContext($"Fatal error: protocol.{name}() call failed: {Describe()}", e));
            ForceClose(e);
        }
    }

    // ---- the life cycle -------------------------------------------------------------------------

    private void OnReady()
    {
        if (_connectionLost)
        {
            return;
        }

        if (_source.Readable)
        {
            ScheduleRead();
        }

        if (_source.Writable && _pending.Count > 0)
        {
            ScheduleFlush();
        }
    }

    private void RunConnectionMade()
    {
        _started = true;
        try
        {
            _protocol.ConnectionMade(this);
        }
        catch (Exception e)
        {
            _loop.CallExceptionHandler(new LoopExceptionContext($"Fatal error: protocol.ConnectionMade() call failed: {Describe()}", e));
            ForceClose(e);
            return;
        }

        if (_source.Readable)
        {
            ScheduleRead();
        }
    }

    public override void Close()
    {
        _loop.CheckThread();
        if (_closing)
        {
            return;
        }

        _closing = true;
        if (_pending.Count == 0)
        {
            ScheduleConnectionLost(null);
        }
    }

    public override void Abort()
    {
        _loop.CheckThread();
        ForceClose(null);
    }

    private void ForceClose(Exception? exception)
    {
        _pending.Clear();
        _pendingBytes = 0;
        _closing = true;
        ScheduleConnectionLost(exception);
    }

    private void ScheduleConnectionLost(Exception? exception)
    {
        if (_connectionLost)
        {
            return;
        }

        _connectionLost = true;
        _loop.DeregisterSource(_source);
        _loop.Ready.Enqueue(s_connectionLost, this, exception);
    }

    private void RunConnectionLost(Exception? exception)
    {
        try
        {
            if (_started)
            {
                _protocol.ConnectionLost(exception);
            }
        }
        finally
        {
            _socket.Dispose();
            _loop.UntrackResource(this);
        }
    }

    public string Describe() => $"datagram transport fd={_source.Fd} {(_remote is null ? "" : _remote.ToString())}";

    public override string ToString() => $"<SocketDatagramTransport fd={_source.Fd}{(_closing ? " closing" : "")}>";

    private sealed class Source(SocketDatagramTransport transport, int fd) : IoSource(transport._loop, fd)
    {
        internal override void OnReady(IoInterest ready) => transport.OnReady();

        public override string ToString() => transport.ToString();
    }
}
