using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Aio.Reactor;

namespace Aio.Net;

/// <summary>
/// The reading end of a pipe — a subprocess's stdout or stderr — driven by the loop; asyncio's
/// <c>_UnixReadPipeTransport</c>.
/// </summary>
/// <remarks>
/// <para>The descriptor is a reactor source (registered once, edge-triggered; see <see cref="IoSource"/>),
/// as a socket transport's is: readiness schedules a read on the ready queue, a read feeds the protocol
/// one buffer per turn, and a read that got less than a full buffer stops until the next edge unless the
/// writer has gone (then the end of the stream is read at once, since no later edge announces it).
/// A pipe is not a socket, so the calls are plain <c>read</c>s.</para>
/// <para>At the end of the stream the transport closes itself after the protocol's <c>EofReceived</c>,
/// whatever it returns: there is nothing left to do with a pipe nobody writes to, as in asyncio.</para>
/// </remarks>
internal sealed unsafe class PipeReadTransport : Transport
{
    private static readonly Action<object?, object?> s_readReady = static (t, _) => ((PipeReadTransport)t!).RunRead();

    private readonly EventLoop _loop;
    private readonly Source _source;
    private readonly IPipeOwner? _owner;
    private readonly string _name;
    private BaseProtocol _protocol;

    private bool _reading = true;
    private bool _readScheduled;

    /// <summary>Takes ownership of <paramref name="fd"/>, a non-blocking, close-on-exec pipe end.</summary>
    internal PipeReadTransport(EventLoop loop, int fd, BaseProtocol protocol, IPipeOwner? owner, string name)
    {
        _loop = loop;
        _protocol = protocol;
        _owner = owner;
        _name = name;
        _source = new Source(this, fd);
    }

    /// <inheritdoc/>
    public override BaseProtocol Protocol
    {
        get => _protocol;
        set => _protocol = value ?? throw new ArgumentNullException(nameof(value));
    }

    /// <inheritdoc/>
    public override bool IsClosing => _source.IsClosing;

    /// <inheritdoc/>
    public override bool IsReading => _reading && !_source.IsClosing;

    /// <summary>Null: a pipe is not a socket.</summary>
    public override Socket? Socket => null;

    /// <summary>Null: a pipe has no addresses.</summary>
    public override EndPoint? PeerName => null;

    /// <summary>Null: a pipe has no addresses.</summary>
    public override EndPoint? SockName => null;

    /// <summary>Always 0: a read pipe does not write.</summary>
    public override int WriteBufferSize => 0;

    /// <summary>Always 0: a read pipe does not write.</summary>
    public override int WriteBufferLowWater => 0;

    /// <summary>Always 0: a read pipe does not write.</summary>
    public override int WriteBufferHighWater => 0;

    /// <summary>False: a read pipe does not write.</summary>
    public override bool CanWriteEof => false;

    /// <summary>Also <c>pipe</c>: the descriptor, as asyncio's <c>get_extra_info('pipe')</c> gives the
    /// pipe's file object.</summary>
    /// <param name="name">The name.</param>
    /// <param name="defaultValue">What to return for a name the transport does not know.</param>
    /// <returns>The value.</returns>
    public override object? GetExtraInfo(string name, object? defaultValue = null) =>
        name == "pipe" ? _source.Fd : base.GetExtraInfo(name, defaultValue);

    /// <summary>Registers the descriptor and schedules the protocol's <c>ConnectionMade</c>; reading starts
    /// after it.</summary>
    internal void Start() => _source.Start();

    /// <summary>Not supported: a read pipe does not write.</summary>
    /// <param name="data">Not used.</param>
    /// <exception cref="NotSupportedException">Always.</exception>
    public override void Write(ReadOnlySpan<byte> data) => throw NotWritable();

    /// <summary>Not supported: a read pipe does not write.</summary>
    /// <exception cref="NotSupportedException">Always.</exception>
    public override void WriteEof() => throw NotWritable();

    /// <summary>Not supported: a read pipe does not write.</summary>
    /// <param name="high">Not used.</param>
    /// <param name="low">Not used.</param>
    /// <exception cref="NotSupportedException">Always.</exception>
    public override void SetWriteBufferLimits(int? high = null, int? low = null) => throw NotWritable();

    private NotSupportedException NotWritable() => new($"The {_name} pipe is read-only.");

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
        if (!_readScheduled && _source.IsStarted && !_source.IsClosing)
        {
            _readScheduled = true;
            _loop.Ready.Enqueue(s_readReady, this, null);
        }
    }

    private void RunRead()
    {
        _readScheduled = false;
        if (!_reading || _source.IsClosing)
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

        nint received;
        fixed (byte* p = buffer)
        {
            received = Libc.read(_source.Fd, p, buffer.Length);
        }

        if (received < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            if (errno == Libc.EAGAIN)
            {
                _source.Readable = false;
            }
            else if (errno == Libc.EINTR)
            {
                ScheduleRead();
            }
            else
            {
                _source.FatalError(PipeErrors.FromErrno(errno), "Fatal read error on pipe transport");
            }

            return;
        }

        if (received == 0)
        {
            OnEof();
            return;
        }

        int count = (int)received;
        if (!StreamDelivery.TryDeliver(_source, _protocol, buffered, buffer[..count]))
        {
            return;
        }

        if (count == buffer.Length || _source.PeerClosed)
        {
            // More may wait — bytes, or the end of the stream, which no later edge would announce; read it
            // in a later turn so that other descriptors get theirs.
            ScheduleRead();
        }
    }

    private void OnEof()
    {
        _source.IsClosing = true;
        try
        {
            _ = _protocol switch
            {
                Protocol p => p.EofReceived(),
                BufferedProtocol b => b.EofReceived(),
                _ => false,
            };
        }
        catch (Exception e)
        {
            _source.IsClosing = false;
            _source.FatalError(e, "Fatal error: protocol.EofReceived() call failed.");
            return;
        }

        _source.ScheduleConnectionLost(null);
    }

    private void OnReady()
    {
        if (!_source.IsConnectionLost)
        {
            ScheduleReadIfReady();
        }
    }

    private void ScheduleReadIfReady()
    {
        if (_source.Readable && _reading)
        {
            ScheduleRead();
        }
    }

    // ---- the life cycle (see TransportSource) ---------------------------------------------------

    /// <summary>Stops reading and closes the pipe; the protocol's <c>ConnectionLost</c> follows with null.
    /// The process writing to it then gets EPIPE (or SIGPIPE) if it writes on.</summary>
    public override void Close() => _source.Close(sendFirst: false);

    /// <summary>The same as <see cref="Close"/>: a read pipe has nothing buffered to drop.</summary>
    public override void Abort() => Close();

    /// <inheritdoc/>
    public override string ToString() => $"<PipeReadTransport {_name} fd={_source.Fd}{(_source.IsClosing ? " closing" : "")}>";

    /// <summary>The transport's registration with the reactor, and what its life cycle does that other
    /// transports' do not.</summary>
    private sealed class Source(PipeReadTransport transport, int fd) : TransportSource(transport._loop, fd)
    {
        internal override void OnReady(IoInterest ready) => transport.OnReady();

        private protected override void NotifyConnectionMade() => transport._protocol.MadeWith(transport);

        private protected override void StartReading() => transport.ScheduleReadIfReady();

        private protected override void NotifyConnectionLost(Exception? exception) => transport._protocol.ConnectionLost(exception);

        /// <summary>An I/O error on a pipe (EIO from a terminal whose other side went away, say) ends the
        /// stream; a protocol's exception is a bug.</summary>
        private protected override bool IsOrdinaryEnd(Exception exception) => exception is IOException;

        private protected override void OnReleased() => transport._owner?.PipeClosed(transport);

        public override string Describe() => $"{transport._name} pipe fd={Fd}";

        public override string ToString() => transport.ToString();
    }
}
