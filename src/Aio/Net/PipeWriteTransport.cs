using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Aio.Reactor;

namespace Aio.Net;

/// <summary>
/// The writing end of a pipe — a subprocess's stdin — driven by the loop; asyncio's
/// <c>_UnixWritePipeTransport</c>.
/// </summary>
/// <remarks>
/// <para>Writes go straight to the pipe; only what the kernel does not take is copied into the write
/// buffer, flushed as the pipe becomes writable, with the socket transport's water marks, so
/// <see cref="AsyncStreamWriter.DrainAsync"/> holds a fast writer back.</para>
/// <para>When the reader closes its end (the process exited, or closed its stdin), epoll reports an error
/// on ours: the transport closes at once — with a broken-pipe error if bytes were still waiting, as in
/// asyncio — instead of waiting for the next write to fail. A write that fails with EPIPE ends it the
/// same way. Neither can kill the process: .NET ignores SIGPIPE.</para>
/// </remarks>
internal sealed unsafe class PipeWriteTransport : Transport
{
    private static readonly Action<object?, object?> s_writeReady = static (t, _) => ((PipeWriteTransport)t!).RunFlush();

    private readonly EventLoop _loop;
    private readonly Source _source;
    private ByteQueue _buffer;
    private readonly IPipeOwner? _owner;
    private readonly string _name;
    private BaseProtocol _protocol;
    private WriteWaterMarks _waterMarks = new();

    private bool _flushScheduled;
    private bool _eofRequested;

    /// <summary>Takes ownership of <paramref name="fd"/>, a non-blocking, close-on-exec pipe end.</summary>
    internal PipeWriteTransport(EventLoop loop, int fd, BaseProtocol protocol, IPipeOwner? owner, string name)
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

    /// <summary>False: a write pipe does not read.</summary>
    public override bool IsReading => false;

    /// <summary>Null: a pipe is not a socket.</summary>
    public override Socket? Socket => null;

    /// <summary>Null: a pipe has no addresses.</summary>
    public override EndPoint? PeerName => null;

    /// <summary>Null: a pipe has no addresses.</summary>
    public override EndPoint? SockName => null;

    /// <inheritdoc/>
    public override int WriteBufferSize => _buffer.Count;

    /// <inheritdoc/>
    public override int WriteBufferLowWater => _waterMarks.Low;

    /// <inheritdoc/>
    public override int WriteBufferHighWater => _waterMarks.High;

    /// <summary>Also <c>pipe</c>: the descriptor, as asyncio's <c>get_extra_info('pipe')</c> gives the
    /// pipe's file object.</summary>
    /// <param name="name">The name.</param>
    /// <param name="defaultValue">What to return for a name the transport does not know.</param>
    /// <returns>The value.</returns>
    public override object? GetExtraInfo(string name, object? defaultValue = null) =>
        name == "pipe" ? _source.Fd : base.GetExtraInfo(name, defaultValue);

    /// <summary>Registers the descriptor and schedules the protocol's <c>ConnectionMade</c>.</summary>
    internal void Start() => _source.Start();

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
            // As asyncio: a pipe the reader closed swallows what is written to it; DrainAsync reports it.
            return;
        }

        if (_buffer.Count == 0)
        {
            // The usual case: the kernel takes it all, nothing is copied.
            int written = WriteDirect(data);
            if (written < 0)
            {
                return;
            }

            data = data[written..];
            if (data.IsEmpty)
            {
                return;
            }
        }

        _buffer.Append(data);
        if (_source.Writable)
        {
            ScheduleFlush();
        }

        _waterMarks.PauseProtocolIfAbove(_buffer.Count, _protocol, _source);
    }

    /// <summary>Writes as much of <paramref name="data"/> as the pipe takes now.</summary>
    /// <returns>How many bytes were written; -1 after a fatal error.</returns>
    private int WriteDirect(ReadOnlySpan<byte> data)
    {
        int total = 0;
        fixed (byte* p = data)
        {
            while (total < data.Length)
            {
                nint written = Libc.write(_source.Fd, p + total, data.Length - total);
                if (written >= 0)
                {
                    total += (int)written;
                    continue;
                }

                int errno = Marshal.GetLastPInvokeError();
                if (errno == Libc.EAGAIN)
                {
                    _source.Writable = false;
                    break;
                }

                if (errno != Libc.EINTR)
                {
                    _source.FatalError(PipeErrors.FromErrno(errno), "Fatal write error on pipe transport");
                    return -1;
                }
            }
        }

        return total;
    }

    /// <summary>Closes the pipe once the buffer is written: the reader sees the end of its input. For a
    /// pipe that is the same as <see cref="Close"/>, as in asyncio.</summary>
    public override void WriteEof()
    {
        _loop.CheckThread();
        _eofRequested = true;
        Close();
    }

    /// <inheritdoc/>
    public override void SetWriteBufferLimits(int? high = null, int? low = null)
    {
        _waterMarks.Set(high, low);
        _waterMarks.PauseProtocolIfAbove(_buffer.Count, _protocol, _source);
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
        if (_source.IsConnectionLost || _buffer.Count == 0)
        {
            return;
        }

        int written = WriteDirect(_buffer.Pending);
        if (written < 0)
        {
            return;
        }

        _buffer.Consume(written);
        _waterMarks.ResumeProtocolIfDrained(_buffer.Count, _protocol, _source);
        if (_buffer.Count == 0 && _source.IsClosing)
        {
            _source.ScheduleConnectionLost(null);
        }
    }

    /// <summary>Not supported: a write pipe does not read.</summary>
    /// <exception cref="NotSupportedException">Always.</exception>
    public override void PauseReading() => throw NotReadable();

    /// <summary>Not supported: a write pipe does not read.</summary>
    /// <exception cref="NotSupportedException">Always.</exception>
    public override void ResumeReading() => throw NotReadable();

    private NotSupportedException NotReadable() => new($"The {_name} pipe is write-only.");

    // ---- readiness ------------------------------------------------------------------------------

    private void OnReady()
    {
        if (_source.IsConnectionLost)
        {
            return;
        }

        if (_source.PeerClosed)
        {
            // The reader closed its end (epoll reports an error on ours): what waits will never be read.
            // As asyncio, that is a broken pipe only if bytes were lost.
            _source.ForceClose(_buffer.Count > 0 ? PipeErrors.BrokenPipe() : null);
            return;
        }

        if (_source.Writable && _buffer.Count > 0)
        {
            ScheduleFlush();
        }
    }

    // ---- the life cycle (see TransportSource) ---------------------------------------------------

    /// <inheritdoc/>
    public override void Close() => _source.Close(sendFirst: _buffer.Count > 0);

    /// <inheritdoc/>
    public override void Abort() => _source.Abort();

    /// <inheritdoc/>
    public override string ToString() =>
        $"<PipeWriteTransport {_name} fd={_source.Fd} buffered={_buffer.Count}{(_source.IsClosing ? " closing" : "")}>";

    /// <summary>The transport's registration with the reactor, and what its life cycle does that other
    /// transports' do not.</summary>
    private sealed class Source(PipeWriteTransport transport, int fd) : TransportSource(transport._loop, fd)
    {
        internal override void OnReady(IoInterest ready) => transport.OnReady();

        private protected override void NotifyConnectionMade() => transport._protocol.MadeWith(transport);

        private protected override void NotifyConnectionLost(Exception? exception) => transport._protocol.ConnectionLost(exception);

        private protected override void DropUnsent() => transport._buffer.Clear();

        /// <summary>A process that exits or closes its stdin is not a bug; a protocol's exception is.</summary>
        private protected override bool IsOrdinaryEnd(Exception exception) => exception is IOException;

        private protected override void OnReleased() => transport._owner?.PipeClosed(transport);

        public override string Describe() => $"{transport._name} pipe fd={Fd}";

        public override string ToString() => transport.ToString();
    }
}
