using System.IO.Pipelines;
using System.Net;
using System.Net.Security;
using Aio.Sync;

namespace Aio.Net;

/// <summary>
/// The writing half of a stream connection; asyncio's <c>StreamWriter</c>. Writes never wait; call
/// <see cref="DrainAsync"/> after writing to wait while the transport's buffer is above its high-water
/// mark, so a fast writer cannot outrun a slow peer without limit.
/// </summary>
/// <remarks>Loop thread only.</remarks>
public sealed class AsyncStreamWriter
{
    private readonly EventLoop _loop;
    private readonly StreamProtocol _protocol;
    private ConnectionStream? _stream;

    internal AsyncStreamWriter(EventLoop loop, Transport transport, StreamProtocol protocol, AsyncStreamReader? reader)
    {
        _loop = loop;
        Transport = transport;
        _protocol = protocol;
        Reader = reader;
    }

    /// <summary>The connection's transport; asyncio's <c>transport</c>. After
    /// <see cref="StartTlsAsync(SslClientAuthenticationOptions, double?)"/>, the TLS transport.</summary>
    public Transport Transport { get; private set; }

    /// <summary>The reading half of the same connection, if any.</summary>
    internal AsyncStreamReader? Reader { get; }

    /// <summary>Whether a drain must ask the protocol: its writing is paused, or the connection was lost.
    /// Kept by the protocol.</summary>
    internal bool DrainAsksProtocol { get; set; }

    /// <summary>The transport whose closing makes a drain wait: the protocol's (after
    /// <c>start_tls</c>, the one under TLS). Kept by the protocol.</summary>
    internal Transport? DrainWatches { get; set; }

    /// <summary>Whether the connection is closing or closed; asyncio's <c>is_closing()</c>.</summary>
    public bool IsClosing => Transport.IsClosing;

    /// <summary>Whether <see cref="WriteEof"/> is supported; asyncio's <c>can_write_eof()</c>.</summary>
    public bool CanWriteEof => Transport.CanWriteEof;

    /// <summary>Sends <paramref name="data"/> (buffered if the kernel does not take it all); asyncio's
    /// <c>write()</c>. Never waits: follow with <see cref="DrainAsync"/>.</summary>
    /// <param name="data">The bytes; the caller may reuse them at once.</param>
    public void Write(ReadOnlySpan<byte> data) => Transport.Write(data);

    /// <summary>Writes several buffers, in order; asyncio's <c>writelines()</c>.</summary>
    /// <param name="buffers">The buffers.</param>
    public void WriteLines(IEnumerable<ReadOnlyMemory<byte>> buffers) => Transport.WriteLines(buffers);

    /// <summary>Closes the sending side once the buffer is sent; asyncio's <c>write_eof()</c>.</summary>
    public void WriteEof() => Transport.WriteEof();

    /// <summary>Waits while the write buffer is above its high-water mark; asyncio's <c>drain()</c>.</summary>
    /// <returns>Completes at once when there is room. Await it exactly once.</returns>
    /// <remarks>A cancellation point when it waits. While the transport is closing, it waits for the
    /// connection to be lost and then throws, so that a loop of writes and drains hears of a connection
    /// that went away (asyncio yields once for the same reason).</remarks>
    /// <exception cref="Exception">The connection's error, if it failed (a reset, say).</exception>
    /// <exception cref="System.Net.Sockets.SocketException">The connection was lost while waiting, or
    /// before (<see cref="System.Net.Sockets.SocketError.ConnectionReset"/>), as asyncio's
    /// <c>ConnectionResetError('Connection lost')</c>.</exception>
    /// <exception cref="IOException">For a subprocess's stdin: the process exited or closed its stdin
    /// (a broken pipe).</exception>
    public ValueTask DrainAsync()
    {
        if (!DrainAsksProtocol && Reader?.Exception is null && DrainWatches is not { IsClosing: true })
        {
            // There is room, and nothing has ended: the usual drain, decided without touching the
            // protocol — one object less per message at a thousand connections, where each one a message
            // touches is likely out of the cache.
            _loop.CheckThread();
            return default;
        }

        if (Reader?.Exception is { } error)
        {
            return ValueTask.FromException(error);
        }

        return _protocol.DrainAsync();
    }

    /// <summary>As <see cref="DrainAsync"/>, for the <see cref="Stream"/> adapter: the connection's error
    /// comes wrapped in an <see cref="IOException"/>, and the wait, if any, is returned.</summary>
    internal ValueTask DrainForStream(out WaitNode<int>? waiting)
    {
        if (Reader?.Exception is { } error)
        {
            waiting = null;
            return ValueTask.FromException(StreamErrors.Write(error));
        }

        return _protocol.DrainAsync(forStream: true, out waiting);
    }

    /// <summary>
    /// The connection as a <see cref="Stream"/>, for .NET code that speaks streams: <c>SslStream</c>,
    /// <c>WebSocket.CreateFromStream</c>, <c>PipeReader.Create</c>, protocol libraries.
    /// </summary>
    /// <returns>The connection's stream; the same one on every call.</returns>
    /// <remarks>
    /// <para><c>ReadAsync</c> is this connection's reader's (it shares its buffer: do not read through both
    /// at once); a zero-byte read waits until bytes are available. <c>WriteAsync</c> is <see cref="Write"/>
    /// followed by <see cref="DrainAsync"/>, and <c>FlushAsync</c> is <see cref="DrainAsync"/>. Called on
    /// the loop thread — from a coroutine, an ordinary <c>async</c> method, or library code either of them
    /// awaits — they complete on the loop thread, and a waiting read or drain is a cancellation point of the
    /// task that awaits it. Called from another thread, they are handed to the loop (as with
    /// <see cref="EventLoop.CallSoonThreadsafe(Action)"/>) and complete once the loop has run them.</para>
    /// <para>Cancelling a waiting read, through its task or the <see cref="CancellationToken"/> passed to
    /// it, takes nothing from the connection: it stays open and the next read gets every byte. Through the
    /// token, the read ends with an <see cref="OperationCanceledException"/> for that token; through the task,
    /// with <see cref="CancelledException"/>. A cancelled write may have been sent, in part or whole.</para>
    /// <para>The connection's errors come wrapped in an <see cref="IOException"/>, as from
    /// <see cref="System.Net.Sockets.NetworkStream"/>. A synchronous <c>Read</c> throws
    /// <see cref="NotSupportedException"/>: it would block the loop. A synchronous <c>Write</c> is
    /// <see cref="Write"/>, which never blocks, so it works on the loop thread (SslStream sends its alerts
    /// that way) and is refused elsewhere. <c>Dispose</c> closes the connection, as <see cref="Close"/>.</para>
    /// </remarks>
    /// <exception cref="InvalidOperationException">The writer has no reader.</exception>
    public Stream AsStream()
    {
        AsyncStreamReader reader = Reader ?? throw new InvalidOperationException("This writer has no reader to make a stream with.");
        return _stream ??= new ConnectionStream(reader.Loop, reader, this);
    }

    /// <summary>
    /// The connection as a <see cref="System.IO.Pipelines"/> duplex pipe: a <see cref="PipeReader"/> and a
    /// <see cref="PipeWriter"/> over <see cref="AsStream"/>.
    /// </summary>
    /// <returns>A new pipe over the connection.</returns>
    /// <remarks>The pipe's reader and writer run on the loop as the stream does. Completing them leaves the
    /// connection open (either may be completed while the other is in use): close it with
    /// <see cref="Close"/>. Call once: two pipes would read the same connection.</remarks>
    public IDuplexPipe AsDuplexPipe()
    {
        Stream stream = AsStream();
        return new StreamDuplexPipe(
            PipeReader.Create(stream, new StreamPipeReaderOptions(leaveOpen: true)),
            PipeWriter.Create(stream, new StreamPipeWriterOptions(leaveOpen: true)));
    }

    /// <summary>Upgrades the connection to TLS as its client; asyncio's <c>StreamWriter.start_tls()</c>
    /// (3.11). From now on the reader and writer carry plaintext through the TLS transport.</summary>
    /// <param name="options">The client's TLS options (its <see cref="SslClientAuthenticationOptions.TargetHost"/>
    /// is the name the server's certificate must carry).</param>
    /// <param name="sslHandshakeTimeout">Seconds the handshake may take before the connection is aborted;
    /// null for 60, asyncio's default.</param>
    /// <returns>Completes once the handshake is done.</returns>
    /// <remarks>Waits for <see cref="DrainAsync"/> first, as asyncio does. Bytes the reader received after
    /// the last plaintext read are handed to the handshake (a peer that began it without waiting).</remarks>
    /// <exception cref="System.Security.Authentication.AuthenticationException">The handshake failed, or the
    /// server's certificate was refused; the connection is closed.</exception>
    /// <exception cref="TimeoutException">The handshake took longer than <paramref name="sslHandshakeTimeout"/>.</exception>
    public Coroutine StartTlsAsync(SslClientAuthenticationOptions options, double? sslHandshakeTimeout = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        return StartTls(TlsSettings.Client(options, sslHandshakeTimeout));
    }

    /// <summary>Upgrades the connection to TLS as its server; asyncio's <c>StreamWriter.start_tls()</c> on a
    /// server's connection. See <see cref="StartTlsAsync(SslClientAuthenticationOptions, double?)"/>.</summary>
    /// <param name="options">The server's TLS options (its certificate).</param>
    /// <param name="sslHandshakeTimeout">Seconds the handshake may take; null for 60.</param>
    /// <returns>Completes once the handshake is done.</returns>
    /// <exception cref="System.Security.Authentication.AuthenticationException">The handshake failed; the
    /// connection is closed.</exception>
    /// <exception cref="TimeoutException">The handshake took longer than <paramref name="sslHandshakeTimeout"/>.</exception>
    public Coroutine StartTlsAsync(SslServerAuthenticationOptions options, double? sslHandshakeTimeout = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        return StartTls(TlsSettings.Server(options, sslHandshakeTimeout));
    }

    private async Coroutine StartTls(TlsSettings settings)
    {
        await DrainAsync();
        byte[] early = Reader?.TakeBuffered() ?? [];
        Transport tls = await TlsTransport.StartAsync(Transport, _protocol, settings, early);
        Transport = tls;
        Reader?.SetTransport(tls);
    }

    /// <summary>Closes the connection once the buffer is sent; asyncio's <c>close()</c>.</summary>
    public void Close() => Transport.Close();

    /// <summary>Waits until the connection is closed; asyncio's <c>wait_closed()</c>.</summary>
    /// <returns>Completes once the transport's connection is lost.</returns>
    public async Coroutine WaitClosedAsync() => await _protocol.Closed;

    /// <summary>Information about the connection by asyncio's names; see
    /// <see cref="Net.Transport.GetExtraInfo"/>.</summary>
    /// <param name="name">The name: <c>peername</c>, <c>sockname</c>, <c>socket</c>, ...</param>
    /// <param name="defaultValue">What to return for an unknown name.</param>
    /// <returns>The value.</returns>
    public object? GetExtraInfo(string name, object? defaultValue = null) => Transport.GetExtraInfo(name, defaultValue);

    /// <summary>The peer's address.</summary>
    public EndPoint? PeerName => Transport.PeerName;

    /// <inheritdoc/>
    public override string ToString() => $"<AsyncStreamWriter {Transport}>";
}
