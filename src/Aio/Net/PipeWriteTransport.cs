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
    private const int DefaultHighWater = 64 * 1024;

    private static readonly Action<object?, object?> s_connectionMade = static (t, _) => ((PipeWriteTransport)t!).RunConnectionMade();
    private static readonly Action<object?, object?> s_writeReady = static (t, _) => ((PipeWriteTransport)t!).RunFlush();
    private static readonly Action<object?, object?> s_connectionLost = static (t, e) => ((PipeWriteTransport)t!).RunConnectionLost((Exception?)e);

    private readonly EventLoop _loop;
    private readonly Source _source;
    private readonly ByteQueue _buffer = new();
    private readonly IPipeOwner? _owner;
    private readonly string _name;
    private BaseProtocol _protocol;
    private int _highWater = DefaultHighWater;
    private int _lowWater = DefaultHighWater / 4;

    private bool _started;
    private bool _flushScheduled;
    private bool _eofRequested;
    private bool _closing;
    private bool _connectionLost;
    private bool _protocolPaused;
    private bool _descriptorClosed;

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
    public override bool IsClosing => _closing;

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
    public override int WriteBufferLowWater => _lowWater;

    /// <inheritdoc/>
    public override int WriteBufferHighWater => _highWater;

    /// <summary>The descriptor, for reports.</summary>
    internal int Fd => _source.Fd;

    /// <summary>Also <c>pipe</c>: the descriptor, as asyncio's <c>get_extra_info('pipe')</c> gives the
    /// pipe's file object.</summary>
    /// <param name="name">The name.</param>
    /// <param name="defaultValue">What to return for a name the transport does not know.</param>
    /// <returns>The value.</returns>
    public override object? GetExtraInfo(string name, object? defaultValue = null) =>
        name == "pipe" ? _source.Fd : base.GetExtraInfo(name, defaultValue);

    /// <summary>Registers the descriptor and schedules the protocol's <c>ConnectionMade</c>.</summary>
    internal void Start()
    {
        _loop.RegisterSource(_source);
        _loop.Ready.Enqueue(s_connectionMade, this, null);
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

        if (_closing || data.IsEmpty)
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

        MaybePauseProtocol();
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
                    FatalError(PipeErrors.FromErrno(errno), "Fatal write error on pipe transport");
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
        int h = high ?? (low is { } l ? 4 * l : DefaultHighWater);
        int lowWater = low ?? h / 4;
        if (lowWater < 0 || h < lowWater)
        {
            throw new ArgumentOutOfRangeException(nameof(high), $"high ({h}) must be >= low ({lowWater}) must be >= 0");
        }

        _highWater = h;
        _lowWater = lowWater;
        MaybePauseProtocol();
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
        if (_connectionLost || _buffer.Count == 0)
        {
            return;
        }

        int written = WriteDirect(_buffer.Pending);
        if (written < 0)
        {
            return;
        }

        _buffer.Consume(written);
        MaybeResumeProtocol();
        if (_buffer.Count == 0 && _closing)
        {
            ScheduleConnectionLost(null);
        }
    }

    private void MaybePauseProtocol()
    {
        if (!_protocolPaused && _buffer.Count > _highWater)
        {
            _protocolPaused = true;
            try
            {
                _protocol.PauseWriting();
            }
            catch (Exception e)
            {
                ReportProtocolError(e, "protocol.PauseWriting() failed");
            }
        }
    }

    private void MaybeResumeProtocol()
    {
        if (_protocolPaused && _buffer.Count <= _lowWater)
        {
            _protocolPaused = false;
            try
            {
                _protocol.ResumeWriting();
            }
            catch (Exception e)
            {
                ReportProtocolError(e, "protocol.ResumeWriting() failed");
            }
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
        if (_connectionLost)
        {
            return;
        }

        if (_source.PeerClosed)
        {
            // The reader closed its end (epoll reports an error on ours): what waits will never be read.
            // As asyncio, that is a broken pipe only if bytes were lost.
            ForceClose(_buffer.Count > 0 ? PipeErrors.BrokenPipe() : null);
            return;
        }

        if (_source.Writable && _buffer.Count > 0)
        {
            ScheduleFlush();
        }
    }

    // ---- the life cycle -------------------------------------------------------------------------

    private void RunConnectionMade()
    {
        // Always first, even when the transport was closed meanwhile: ConnectionLost follows it in the
        // ready queue, so the protocol sees the pair in order.
        _started = true;
        try
        {
            _protocol.MadeWith(this);
        }
        catch (Exception e)
        {
            FatalError(e, "Fatal error: protocol.ConnectionMade() call failed.");
        }
    }

    /// <inheritdoc/>
    public override void Close()
    {
        _loop.CheckThread();
        if (_closing)
        {
            return;
        }

        _closing = true;
        if (_buffer.Count == 0)
        {
            ScheduleConnectionLost(null);
        }
    }

    /// <inheritdoc/>
    public override void Abort()
    {
        _loop.CheckThread();
        ForceClose(null);
    }

    private void ForceClose(Exception? exception)
    {
        if (_connectionLost)
        {
            return;
        }

        _buffer.Clear();
        _closing = true;
        ScheduleConnectionLost(exception);
    }

    private void FatalError(Exception exception, string message)
    {
        // A process that exits or closes its stdin is not a bug: asyncio reports a failed write to a pipe
        // only in debug mode, and so does Aio. A protocol's exception is a bug.
        if (exception is not IOException || _loop.Debug)
        {
            _loop.CallExceptionHandler(new LoopExceptionContext($"{message}: {Describe()}", exception));
        }

        ForceClose(exception);
    }

    private void ReportProtocolError(Exception exception, string message) =>
        _loop.CallExceptionHandler(new LoopExceptionContext($"{message}: {Describe()}", exception));

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
            CloseDescriptor();
            _owner?.PipeClosed(this);
        }
    }

    private void CloseDescriptor()
    {
        if (!_descriptorClosed)
        {
            _descriptorClosed = true;
            Libc.close(_source.Fd);
        }
    }

    /// <summary>What to call the transport in a report.</summary>
    private string Describe() => $"{_name} pipe fd={_source.Fd}";

    /// <inheritdoc/>
    public override string ToString() =>
        $"<PipeWriteTransport {_name} fd={_source.Fd} buffered={_buffer.Count}{(_closing ? " closing" : "")}>";

    /// <summary>The transport's registration with the reactor.</summary>
    private sealed class Source(PipeWriteTransport transport, int fd) : IoSource(transport._loop, fd)
    {
        internal override void OnReady(IoInterest ready) => transport.OnReady();

        /// <summary>The loop closes with the pipe open: nothing will write to it any more.</summary>
        internal override void OnLoopClosing() => transport.CloseDescriptor();

        public override string ToString() => transport.ToString();
    }
}
