using System.Buffers;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;

namespace Aio.Net;

/// <summary>
/// The transport a protocol sees on a TLS connection: plaintext in, plaintext out; asyncio's
/// <c>_SSLProtocolTransport</c> with the logic of its <c>SSLProtocol</c>. Encryption is .NET's
/// <see cref="SslStream"/>, over the socket transport's <see cref="Stream"/> adapter.
/// </summary>
/// <remarks>
/// <para>Everything runs on the loop thread. A task per connection (the reader) runs the handshake, then
/// reads: it waits with a zero-byte read, so an idle connection holds no plaintext buffer, then reads what
/// SslStream decrypted into a pooled buffer and hands it to the protocol. SslStream's reads over the
/// adapter complete at once when the encrypted bytes are buffered and otherwise resume on the loop when
/// they arrive, so no thread-pool thread is needed for progress.</para>
/// <para><see cref="Write"/> never waits: the bytes are encrypted and handed to the socket transport at
/// once; only while the socket transport is backed up (its drain waits) does plaintext queue here, to be
/// encrypted in order when it drains. SslStream allows one write at a time, and this queue is what keeps
/// that promise. The protocol is paused while the socket transport is, or plaintext waits.</para>
/// <para>Callbacks keep asyncio's order: <see cref="Protocol.ConnectionMade"/> once the handshake is
/// done (never, if it fails), data, at most one end of stream, then <see cref="BaseProtocol.ConnectionLost"/>
/// once the socket is closed. As in asyncio, TLS has no half-close: <see cref="WriteEof"/> is not supported,
/// and after the peer's end of stream the connection closes whatever <c>EofReceived</c> returns.</para>
/// </remarks>
internal sealed class TlsTransport : Transport
{
    /// <summary>How much plaintext one SslStream write takes: a few TLS records, and below the size the
    /// shared array pool stops pooling.</summary>
    private const int WriteChunk = 64 * 1024;

    /// <summary>The plaintext read buffer: one TLS record.</summary>
    private const int ReadChunk = 16 * 1024;

    private static readonly Action<object?> s_handshakeTimedOut = static t => ((TlsTransport)t!).OnHandshakeTimeout();
    private static readonly Action<object?, object?> s_writeDone = static (t, _) => ((TlsTransport)t!).OnWriteDone();
    private static readonly Action<object?, object?> s_shutdownDone = static (t, _) => ((TlsTransport)t!).OnShutdownDone();

    private readonly EventLoop _loop;
    private readonly TlsSettings _settings;
    private readonly TlsProtocol _socketProtocol;
    private readonly bool _callConnectionMade;
    private readonly Future<bool>? _connected;
    private ByteQueue _pending;
    private BaseProtocol _protocol;
    private Transport? _socket;
    private SslStream? _ssl;
    private ConnectionStream? _ciphertext;
    private AioTask? _reader;
    private Task? _shutdown;
    private Action? _onWriteDone;
    private Action? _onShutdownDone;
    private Future<bool>? _resumed;
    private Exception? _error;
    private Exception? _socketLostWith;

    // The write in flight, while SslStream waits for the socket transport to drain.
    private ValueTask _write;
    private byte[]? _writeBuffer;
    private int _writeCount;

    private bool _handshakeDone;
    private bool _handshakeTimedOut;
    private bool _protocolConnected;
    private bool _closing;
    private bool _socketLost;
    private bool _readerDone;
    private bool _finished;
    private bool _readingPaused;
    private bool _writing;
    private bool _socketPaused;
    private bool _protocolPaused;
    private bool _shutdownStarted;

    /// <param name="loop">The loop.</param>
    /// <param name="protocol">The application's protocol, which sees plaintext.</param>
    /// <param name="settings">The side, options and handshake timeout.</param>
    /// <param name="callConnectionMade">False for <c>start_tls</c>: the protocol was already told of the
    /// connection, on its plain transport.</param>
    /// <param name="connected">Completed once the handshake is done and the protocol connected, or with the
    /// handshake's error; null on a server.</param>
    private TlsTransport(EventLoop loop, BaseProtocol protocol, TlsSettings settings, bool callConnectionMade, Future<bool>? connected)
    {
        _loop = loop;
        _protocol = protocol;
        _settings = settings;
        _callConnectionMade = callConnectionMade;
        _connected = connected;

        // After start_tls the protocol is already connected, on its plain transport: it hears of the end
        // even if the handshake fails.
        _protocolConnected = !callConnectionMade;
        _socketProtocol = new TlsProtocol(this, new StreamProtocol(loop, new AsyncStreamReader(loop), null));
    }

    /// <summary>The stream SslStream reads and writes the encrypted bytes through.</summary>
    internal ConnectionStream? Ciphertext => _ciphertext;

    // ---- making TLS connections -----------------------------------------------------------------

    /// <summary>The protocol factory of a TLS server: each connection's socket transport gets a
    /// <see cref="TlsProtocol"/>, and the application's protocol sits on its TLS transport.</summary>
    internal static Func<BaseProtocol> ServerFactory(EventLoop loop, Func<BaseProtocol> protocolFactory, TlsSettings settings) => () =>
    {
        BaseProtocol protocol = protocolFactory() ?? throw new InvalidOperationException("The protocol factory returned null.");
        return new TlsTransport(loop, protocol, settings, callConnectionMade: true, connected: null)._socketProtocol;
    };

    /// <summary>Runs TLS as the client on a connected socket; the rest of asyncio's
    /// <c>create_connection(ssl=...)</c>.</summary>
    /// <returns>Once the handshake is done and <paramref name="protocol"/>'s <c>ConnectionMade</c> ran.</returns>
    internal static async Coroutine<Transport> ConnectAsync(EventLoop loop, Socket socket, BaseProtocol protocol, TlsSettings settings)
    {
        Future<bool> connected = loop.CreateFuture<bool>();
        var tls = new TlsTransport(loop, protocol, settings, callConnectionMade: true, connected);
        var transport = new SocketTransport(loop, socket, tls._socketProtocol, server: null);
        transport.Start();
        await tls.UntilConnected(transport);
        return tls;
    }

    /// <summary>Upgrades a connection to TLS; asyncio's <c>loop.start_tls()</c>.</summary>
    /// <param name="transport">The connection's transport: from now on it carries the encrypted bytes.</param>
    /// <param name="protocol">The protocol that will see plaintext (usually the transport's own).</param>
    /// <param name="settings">The side and options.</param>
    /// <param name="early">Bytes already received that belong to the handshake.</param>
    /// <returns>The TLS transport, once the handshake is done.</returns>
    internal static async Coroutine<Transport> StartAsync(Transport transport, BaseProtocol protocol, TlsSettings settings, byte[] early)
    {
        ArgumentNullException.ThrowIfNull(transport);
        ArgumentNullException.ThrowIfNull(protocol);
        EventLoop loop = AsyncIO.GetRunningLoop();
        if (transport.IsClosing)
        {
            throw new InvalidOperationException("The transport is closing.");
        }

        Future<bool> connected = loop.CreateFuture<bool>();
        var tls = new TlsTransport(loop, protocol, settings, callConnectionMade: false, connected);

        // As asyncio: no byte may reach the new protocol before it is connected.
        transport.PauseReading();
        transport.Protocol = tls._socketProtocol;
        tls._socketProtocol.ConnectionMade(transport);
        if (early.Length > 0)
        {
            tls._socketProtocol.DataReceived(early);
        }

        transport.ResumeReading();
        await tls.UntilConnected(transport);
        return tls;
    }

    private async Coroutine UntilConnected(Transport transport)
    {
        try
        {
            await _connected!;
        }
        catch
        {
            // The handshake failed (the reader has aborted the socket), or the caller was cancelled: then the
            // half-made connection goes, and its later outcome is nobody's.
            _connected!.Cancel();
            transport.Abort();
            throw;
        }
    }

    // ---- the socket transport's side ------------------------------------------------------------

    /// <summary>The socket transport's <c>ConnectionMade</c>: start the handshake.</summary>
    internal void OnSocketConnected(Transport socket, AsyncStreamWriter ciphertext)
    {
        _socket = socket;
        _ciphertext = (ConnectionStream)ciphertext.AsStream();
        _ssl = new SslStream(_ciphertext, leaveInnerStreamOpen: true);
        _reader = _loop.CreateTask(RunAsync(), _settings.IsServer ? "TLS server connection" : "TLS client connection");
    }

    internal void OnSocketWritingPaused()
    {
        _socketPaused = true;
        MaybePauseProtocol();
    }

    internal void OnSocketWritingResumed()
    {
        // SslStream's waiting write resumes in a later callback; the protocol resumes once it is done.
        _socketPaused = false;
        MaybeResumeProtocol();
    }

    internal void OnSocketLost(Exception? exception)
    {
        _socketLost = true;
        _socketLostWith = exception;
        _pending.Clear();

        // A reader paused by the protocol must still end.
        _resumed?.TrySetResult(true);
    }

    /// <summary>Tells the protocol the connection is lost, once both the socket is closed and the reader
    /// ended: it delivers what was decrypted before the end, and asyncio calls <c>connection_lost</c> last.</summary>
    internal void FinishIfDone()
    {
        if (!_socketLost || !_readerDone || _finished)
        {
            return;
        }

        _finished = true;
        if (_protocolConnected)
        {
            using (new OutsideTaskScope(_loop))
            {
                try
                {
                    _protocol.ConnectionLost(_error ?? _socketLostWith);
                }
                catch (Exception e)
                {
                    _loop.CallExceptionHandler(new LoopExceptionContext($"Fatal error: protocol.ConnectionLost() call failed: {this}", e));
                }
            }
        }

        DisposeSslStreamIfIdle();
    }

    /// <summary>Releases SslStream's native state once the connection is over and no write of it is still
    /// unwinding (a write waiting on a drain ends after the socket does).</summary>
    private void DisposeSslStreamIfIdle()
    {
        if (_finished && !_writing)
        {
            _ssl?.Dispose();
        }
    }

    // ---- the reader: handshake, then decrypted data to the protocol ------------------------------

    private async Coroutine RunAsync()
    {
        Exception? failure = null;
        try
        {
            await HandshakeAsync();
            Connect();
            while (await ReadOnceAsync())
            {
            }
        }
        catch (Exception e)
        {
            failure = e;
        }

        bool cancelled = _reader!.Cancelling > 0;
        if (failure is not null)
        {
            OnReaderFailed(failure, cancelled);
        }

        _readerDone = true;
        FinishIfDone();
        if (cancelled)
        {
            // The loop is shutting down, say: a connection still reading was aborted above. End as cancelled,
            // as asked.
            throw new CancelledException();
        }
    }

    private async Coroutine HandshakeAsync()
    {
        TimerHandle timeout = _loop.CallLater(_settings.HandshakeTimeout, s_handshakeTimedOut, this);
        Task handshake = Task.CompletedTask;
        try
        {
            handshake = _settings.ClientOptions is { } client
                ? _ssl!.AuthenticateAsClientAsync(client, CancellationToken.None)
                : _ssl!.AuthenticateAsServerAsync(_settings.ServerOptions!, CancellationToken.None);
            await handshake;
        }
        catch (Exception e)
        {
            Observe(handshake);
            if (_handshakeTimedOut)
            {
                throw new TimeoutException(
                    $"TLS handshake is taking longer than {_settings.HandshakeTimeout} seconds: aborting the connection", e);
            }

            throw;
        }
        finally
        {
            timeout.Cancel();
        }

        _handshakeDone = true;
    }

    private void OnHandshakeTimeout()
    {
        if (!_handshakeDone)
        {
            // Aborting the socket ends SslStream's waiting read, and so the handshake, which then reports
            // the timeout: asyncio's _check_handshake_timeout.
            _handshakeTimedOut = true;
            _socket?.Abort();
        }
    }

    private void Connect()
    {
        if (_closing || _socketLost)
        {
            // Aborted as the handshake finished: the reader ends at its first read.
            _closing = true;
            _connected?.TrySetException(new AuthenticationException("The connection was closed during the TLS handshake."));
            return;
        }

        _protocolConnected = true;
        if (_callConnectionMade)
        {
            using (new OutsideTaskScope(_loop))
            {
                try
                {
                    _protocol.MadeWith(this);
                }
                catch (Exception e)
                {
                    Fatal(e, "Fatal error: protocol.ConnectionMade() call failed.", report: true);
                }
            }
        }

        _connected?.TrySetResult(true);
        FlushPending();
    }

    /// <summary>Waits for decrypted data and hands it to the protocol.</summary>
    /// <returns>False once the reader is done: the stream ended, or the transport is closing.</returns>
    private async Coroutine<bool> ReadOnceAsync()
    {
        while (_readingPaused && !_closing && !_socketLost)
        {
            _resumed ??= _loop.CreateFuture<bool>();
            await _resumed;
        }

        if (_closing || _readingPaused)
        {
            // Closing, or the socket was lost while the protocol had paused reading: nothing more is wanted.
            return false;
        }

        // Zero bytes: wait until a record is decrypted (or the stream ends) without holding a buffer.
        _ = await _ssl!.ReadAsync(Memory<byte>.Empty);
        if (_closing)
        {
            return false;
        }

        if (_readingPaused)
        {
            return true;
        }

        if (_protocol is BufferedProtocol buffered)
        {
            Memory<byte> buffer;
            using (new OutsideTaskScope(_loop))
            {
                try
                {
                    buffer = buffered.GetBuffer(-1);
                    if (buffer.IsEmpty)
                    {
                        throw new InvalidOperationException("GetBuffer() returned an empty buffer.");
                    }
                }
                catch (Exception e)
                {
                    Fatal(e, "Fatal error: protocol.GetBuffer() call failed.", report: true);
                    return false;
                }
            }

            int count = await _ssl.ReadAsync(buffer);
            return count == 0 ? EndOfStream() : Deliver(buffered, null, count);
        }

        byte[] rented = ArrayPool<byte>.Shared.Rent(ReadChunk);
        try
        {
            // After the zero-byte read this normally completes at once, from what SslStream decrypted.
            int count = await _ssl.ReadAsync(rented.AsMemory());
            return count == 0 ? EndOfStream() : Deliver(null, rented, count);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    private bool Deliver(BufferedProtocol? buffered, byte[]? bytes, int count)
    {
        if (_closing)
        {
            return false;
        }

        using (new OutsideTaskScope(_loop))
        {
            try
            {
                if (buffered is not null)
                {
                    buffered.BufferUpdated(count);
                }
                else
                {
                    ((Protocol)_protocol).DataReceived(bytes.AsSpan(0, count));
                }
            }
            catch (Exception e)
            {
                Fatal(e, buffered is not null
                    ? "Fatal error: protocol.BufferUpdated() call failed."
                    : "Fatal error: protocol.DataReceived() call failed.", report: true);
                return false;
            }
        }

        return true;
    }

    private bool EndOfStream()
    {
        if (_closing || _socketLost)
        {
            // Our side closed the socket (a server closing its clients, say): no end of stream came from the
            // peer, and the protocol hears only that the connection is lost, as in asyncio.
            return false;
        }

        using (new OutsideTaskScope(_loop))
        {
            try
            {
                // As asyncio: TLS has no half-close, so what EofReceived returns changes nothing.
                _ = _protocol switch
                {
                    Protocol p => p.EofReceived(),
                    BufferedProtocol b => b.EofReceived(),
                    _ => false,
                };
            }
            catch (Exception e)
            {
                Fatal(e, "Fatal error: protocol.EofReceived() call failed.", report: true);
                return false;
            }
        }

        Close();
        return false;
    }

    private void OnReaderFailed(Exception failure, bool cancelled)
    {
        if (!_handshakeDone)
        {
            if (cancelled)
            {
                _connected?.Cancel();
            }
            else if (_connected is not null)
            {
                _connected.TrySetException(failure);
            }
            else if (_loop.Debug)
            {
                // A server's failed handshake is the client's problem; as asyncio (whose SSLError is an
                // OSError), it is only reported in debug mode.
                _loop.CallExceptionHandler(new LoopExceptionContext($"TLS handshake failed: {this}", failure));
            }

            if (_protocolConnected && !cancelled)
            {
                // start_tls failed: the protocol learns why its connection ended.
                _error ??= failure;
            }

            _closing = true;
            _socket?.Abort();
            return;
        }

        if (cancelled)
        {
            _closing = true;
            _socket?.Abort();
            return;
        }

        if (_socketLost || _closing)
        {
            // The socket's own end (its error is the one the protocol hears), or a close under way, which
            // goes on sending what waits.
            return;
        }

        // Bad records, an alert from the peer: the connection cannot go on.
        Fatal(failure, "Fatal error on TLS transport", report: false);
    }

    // ---- writing --------------------------------------------------------------------------------

    /// <inheritdoc/>
    public override void Write(ReadOnlySpan<byte> data)
    {
        _loop.CheckThread();
        if (_closing || _socketLost || data.IsEmpty)
        {
            return;
        }

        if (_writing || !_handshakeDone)
        {
            _pending.Append(data);
        }
        else
        {
            while (!data.IsEmpty && !_writing && !_socketLost)
            {
                int count = Math.Min(data.Length, WriteChunk);
                byte[] chunk = ArrayPool<byte>.Shared.Rent(count);
                data[..count].CopyTo(chunk);
                data = data[count..];
                StartWrite(chunk, count);
            }

            if (!data.IsEmpty && _writing)
            {
                _pending.Append(data);
            }
        }

        MaybePauseProtocol();
    }

    /// <summary>TLS cannot half-close; asyncio raises <c>NotImplementedError</c> here.</summary>
    public override void WriteEof() => throw new NotSupportedException("TLS does not support half-closes: close the transport instead.");

    /// <inheritdoc/>
    public override bool CanWriteEof => false;

    private void StartWrite(byte[] chunk, int count)
    {
        ValueTask write;
        try
        {
            // Outside the caller's task: the drain SslStream may wait on belongs to the connection.
            using (new OutsideTaskScope(_loop))
            {
                write = _ssl!.WriteAsync(chunk.AsMemory(0, count));
            }
        }
        catch (Exception e)
        {
            ArrayPool<byte>.Shared.Return(chunk);
            WriteFailed(e);
            return;
        }

        if (write.IsCompleted)
        {
            CompleteWrite(write, chunk);
            return;
        }

        _writing = true;
        _write = write;
        _writeBuffer = chunk;
        _writeCount = count;
        write.ConfigureAwait(false).GetAwaiter().UnsafeOnCompleted(_onWriteDone ??= OnWriteDone);
    }

    private void OnWriteDone()
    {
        if (!_loop.IsRunningOnCurrentThread)
        {
            _loop.EnqueueFromAnyThread(s_writeDone, this, null);
            return;
        }

        ValueTask write = _write;
        byte[] chunk = _writeBuffer!;
        _write = default;
        _writeBuffer = null;
        _writeCount = 0;
        _writing = false;
        CompleteWrite(write, chunk);
        FlushPending();
        DisposeSslStreamIfIdle();
    }

    private void CompleteWrite(ValueTask write, byte[] chunk)
    {
        try
        {
            write.GetAwaiter().GetResult();
        }
        catch (Exception e)
        {
            WriteFailed(e);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }
    }

    private void FlushPending()
    {
        while (!_writing && _pending.Count > 0 && !_socketLost && _handshakeDone)
        {
            int count = Math.Min(_pending.Count, WriteChunk);
            byte[] chunk = ArrayPool<byte>.Shared.Rent(count);
            _pending.Pending[..count].CopyTo(chunk);
            _pending.Consume(count);
            StartWrite(chunk, count);
        }

        if (!_writing)
        {
            MaybeResumeProtocol();
            if (_closing)
            {
                StartShutdown();
            }
        }
    }

    private void WriteFailed(Exception error)
    {
        _pending.Clear();
        if (!_socketLost)
        {
            // The socket is fine but TLS is not: the connection cannot go on.
            Fatal(error, "Fatal write error on TLS transport", report: false);
        }
    }

    private void MaybePauseProtocol()
    {
        if (!_protocolPaused && _protocolConnected && !_socketLost && (_socketPaused || _writing))
        {
            _protocolPaused = true;
            using (new OutsideTaskScope(_loop))
            {
                try
                {
                    _protocol.PauseWriting();
                }
                catch (Exception e)
                {
                    _loop.CallExceptionHandler(new LoopExceptionContext($"protocol.PauseWriting() failed: {this}", e));
                }
            }
        }
    }

    private void MaybeResumeProtocol()
    {
        if (_protocolPaused && !_socketLost && !_socketPaused && !_writing && _pending.Count == 0)
        {
            _protocolPaused = false;
            using (new OutsideTaskScope(_loop))
            {
                try
                {
                    _protocol.ResumeWriting();
                }
                catch (Exception e)
                {
                    _loop.CallExceptionHandler(new LoopExceptionContext($"protocol.ResumeWriting() failed: {this}", e));
                }
            }
        }
    }

    /// <inheritdoc/>
    public override void SetWriteBufferLimits(int? high = null, int? low = null) => _socket!.SetWriteBufferLimits(high, low);

    /// <summary>The plaintext waiting for encryption and the encrypted bytes waiting for the socket.</summary>
    public override int WriteBufferSize => _pending.Count + _writeCount + (_socket?.WriteBufferSize ?? 0);

    /// <inheritdoc/>
    public override int WriteBufferLowWater => _socket!.WriteBufferLowWater;

    /// <inheritdoc/>
    public override int WriteBufferHighWater => _socket!.WriteBufferHighWater;

    // ---- reading control ------------------------------------------------------------------------

    /// <inheritdoc/>
    public override void PauseReading()
    {
        _loop.CheckThread();
        _readingPaused = true;
    }

    /// <inheritdoc/>
    public override void ResumeReading()
    {
        _loop.CheckThread();
        if (!_readingPaused)
        {
            return;
        }

        _readingPaused = false;
        if (_resumed is { } resumed)
        {
            _resumed = null;
            resumed.TrySetResult(true);
        }
    }

    /// <inheritdoc/>
    public override bool IsReading => !_readingPaused && !_closing && !_socketLost;

    // ---- closing --------------------------------------------------------------------------------

    /// <inheritdoc/>
    public override bool IsClosing => _closing || _socketLost;

    /// <summary>Closes once the plaintext waiting here is encrypted and sent: says goodbye to the peer
    /// (TLS close_notify), then closes the socket transport, which sends what it holds first. The protocol
    /// gets no more data.</summary>
    public override void Close()
    {
        _loop.CheckThread();
        if (_closing)
        {
            return;
        }

        _closing = true;
        _resumed?.TrySetResult(true);
        if (!_writing)
        {
            StartShutdown();
        }
    }

    /// <inheritdoc/>
    public override void Abort()
    {
        _loop.CheckThread();
        _closing = true;
        _pending.Clear();
        _resumed?.TrySetResult(true);
        _socket?.Abort();
    }

    private void StartShutdown()
    {
        if (_shutdownStarted || _socket is null)
        {
            return;
        }

        _shutdownStarted = true;
        if (_socketLost)
        {
            return;
        }

        Task shutdown = Task.CompletedTask;
        if (_handshakeDone && _error is null)
        {
            try
            {
                using (new OutsideTaskScope(_loop))
                {
                    shutdown = _ssl!.ShutdownAsync();
                }
            }
            catch (Exception e) when (e is IOException or InvalidOperationException or ObjectDisposedException or NotSupportedException)
            {
                // Too late to say goodbye: just close.
            }
        }

        if (shutdown.IsCompleted)
        {
            Observe(shutdown);
            _socket.Close();
            return;
        }

        _shutdown = shutdown;
        shutdown.ConfigureAwait(false).GetAwaiter().UnsafeOnCompleted(_onShutdownDone ??= OnShutdownDone);
    }

    private void OnShutdownDone()
    {
        if (!_loop.IsRunningOnCurrentThread)
        {
            _loop.EnqueueFromAnyThread(s_shutdownDone, this, null);
            return;
        }

        Observe(_shutdown!);
        _shutdown = null;
        _socket!.Close();
    }

    private void Fatal(Exception error, string message, bool report)
    {
        _error ??= error;
        if (report || _loop.Debug)
        {
            _loop.CallExceptionHandler(new LoopExceptionContext($"{message}: {this}", error));
        }

        _closing = true;
        _pending.Clear();
        _socket?.Abort();
    }

    /// <summary>Marks the outcome of a task nobody awaits any more as seen, so that its failure is not
    /// reported as unobserved.</summary>
    private static void Observe(Task task)
    {
        if (task.IsCompleted)
        {
            _ = task.Exception;
        }
        else
        {
            task.ContinueWith(static t => _ = t.Exception, CancellationToken.None,
                TaskContinuationOptions.ExecuteSynchronously | TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
        }
    }

    // ---- what the protocol sees -----------------------------------------------------------------

    /// <inheritdoc/>
    public override BaseProtocol Protocol
    {
        get => _protocol;
        set => _protocol = value ?? throw new ArgumentNullException(nameof(value));
    }

    /// <inheritdoc/>
    public override Socket? Socket => _socket!.Socket;

    /// <inheritdoc/>
    public override EndPoint? PeerName => _socket?.PeerName;

    /// <inheritdoc/>
    public override EndPoint? SockName => _socket?.SockName;

    /// <summary>asyncio's names, and TLS's: <c>ssl_object</c> (the <see cref="SslStream"/>),
    /// <c>peercert</c> (the peer's certificate, or null), <c>cipher</c> (the negotiated cipher suite's name
    /// and the protocol version, such as <c>("TLS_AES_256_GCM_SHA384", "TLSv1.3")</c>), <c>compression</c>
    /// (always null: TLS compression is gone), and <c>sslcontext</c> (the authentication options).</summary>
    /// <param name="name">The name.</param>
    /// <param name="defaultValue">What to return for a name the transport does not know.</param>
    /// <returns>The value, or <paramref name="defaultValue"/>.</returns>
    public override object? GetExtraInfo(string name, object? defaultValue = null) => name switch
    {
        "ssl_object" => _ssl,
        "peercert" => _handshakeDone ? _ssl!.RemoteCertificate : null,
        "cipher" => _handshakeDone ? (_ssl!.NegotiatedCipherSuite.ToString(), VersionName(_ssl.SslProtocol)) : null,
        "compression" => null,
        "sslcontext" => _settings.Options,
        _ => _socket is null ? defaultValue : _socket.GetExtraInfo(name, defaultValue),
    };

    private static string VersionName(SslProtocols protocol) => protocol switch
    {
        SslProtocols.Tls13 => "TLSv1.3",
        SslProtocols.Tls12 => "TLSv1.2",
        _ => protocol.ToString(),
    };

    /// <inheritdoc/>
    public override string ToString() => $"<TlsTransport {(_settings.IsServer ? "server" : "client")} {_socket}{(IsClosing ? " closing" : "")}>";
}
