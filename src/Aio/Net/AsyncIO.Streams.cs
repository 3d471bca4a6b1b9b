using System.Net.Security;
using Aio.Net;

namespace Aio;

public static partial class AsyncIO
{
    /// <summary>
    /// Connects to <paramref name="host"/>:<paramref name="port"/> and returns the connection's reader and
    /// writer; asyncio's <c>asyncio.open_connection()</c>.
    /// </summary>
    /// <param name="host">A host name (resolved off the loop) or an address.</param>
    /// <param name="port">The port.</param>
    /// <param name="limit">The reader's limit (see <see cref="AsyncStreamReader.Limit"/>).</param>
    /// <param name="ssl">TLS (asyncio's <c>ssl=</c>): the reader and writer carry plaintext. Without a
    /// <see cref="SslClientAuthenticationOptions.TargetHost"/>, the server's certificate must name
    /// <paramref name="host"/>.</param>
    /// <param name="sslHandshakeTimeout">Seconds the TLS handshake may take; null for 60, asyncio's default.
    /// Only with <paramref name="ssl"/>.</param>
    /// <returns>The reader and the writer.</returns>
    /// <remarks>Inside a running loop only. A cancellation point.</remarks>
    /// <exception cref="System.Net.Sockets.SocketException">The connection failed, or the host did not resolve.</exception>
    /// <exception cref="System.Security.Authentication.AuthenticationException">The TLS handshake failed, or
    /// the server's certificate was refused.</exception>
    /// <exception cref="TimeoutException">The TLS handshake took longer than <paramref name="sslHandshakeTimeout"/>.</exception>
    public static async Coroutine<(AsyncStreamReader Reader, AsyncStreamWriter Writer)> OpenConnectionAsync(
        string host, int port, int limit = AsyncStreamReader.DefaultLimit,
        SslClientAuthenticationOptions? ssl = null, double? sslHandshakeTimeout = null)
    {
        EventLoop loop = GetRunningLoop();
        var reader = new AsyncStreamReader(loop, limit);
        var (_, protocol) = await loop.CreateConnectionAsync(() => new StreamProtocol(loop, reader, null), host, port, ssl, sslHandshakeTimeout);
        return (reader, protocol.Writer!);
    }

    /// <summary>Connects to a Unix domain socket and returns the reader and writer; asyncio's
    /// <c>asyncio.open_unix_connection()</c>.</summary>
    /// <param name="path">The socket's path.</param>
    /// <param name="limit">The reader's limit.</param>
    /// <param name="ssl">TLS; the options must name the server in
    /// <see cref="SslClientAuthenticationOptions.TargetHost"/> (see <see cref="EventLoop.CreateUnixConnectionAsync"/>).</param>
    /// <param name="sslHandshakeTimeout">Seconds the TLS handshake may take; null for 60. Only with
    /// <paramref name="ssl"/>.</param>
    /// <returns>The reader and the writer.</returns>
    /// <remarks>Inside a running loop only. A cancellation point.</remarks>
    /// <exception cref="System.Net.Sockets.SocketException">The connection failed.</exception>
    public static async Coroutine<(AsyncStreamReader Reader, AsyncStreamWriter Writer)> OpenUnixConnectionAsync(
        string path, int limit = AsyncStreamReader.DefaultLimit,
        SslClientAuthenticationOptions? ssl = null, double? sslHandshakeTimeout = null)
    {
        EventLoop loop = GetRunningLoop();
        var reader = new AsyncStreamReader(loop, limit);
        var (_, protocol) = await loop.CreateUnixConnectionAsync(() => new StreamProtocol(loop, reader, null), path, ssl, sslHandshakeTimeout);
        return (reader, protocol.Writer!);
    }

    /// <summary>
    /// Starts a TCP server that runs <paramref name="clientConnected"/> as a task for each connection,
    /// with the connection's reader and writer; asyncio's <c>asyncio.start_server()</c>.
    /// </summary>
    /// <param name="clientConnected">The handler of one connection. If it throws, the error goes to the
    /// loop's exception handler and the connection is closed.</param>
    /// <param name="host">A host name or address to listen on; null for every interface.</param>
    /// <param name="port">The port; 0 lets the kernel choose.</param>
    /// <param name="limit">Each reader's limit.</param>
    /// <param name="backlog">The listen backlog.</param>
    /// <param name="reusePort">Sets <c>SO_REUSEPORT</c> (see <see cref="EventLoop.CreateServerAsync"/>).</param>
    /// <param name="startServing">Whether to accept at once.</param>
    /// <param name="ssl">TLS for every connection (asyncio's <c>ssl=</c>): the handler starts once the
    /// handshake is done, with a reader and writer of plaintext. A failed handshake closes its connection
    /// and never reaches the handler.</param>
    /// <param name="sslHandshakeTimeout">Seconds a TLS handshake may take; null for 60, asyncio's default.
    /// Only with <paramref name="ssl"/>.</param>
    /// <returns>The server.</returns>
    /// <remarks>Inside a running loop only.</remarks>
    /// <exception cref="System.Net.Sockets.SocketException">The address is in use, or the host does not resolve.</exception>
    public static Coroutine<Server> StartServerAsync(Func<AsyncStreamReader, AsyncStreamWriter, Coroutine> clientConnected,
        string? host, int port, int limit = AsyncStreamReader.DefaultLimit, int backlog = 100, bool reusePort = false,
        bool startServing = true, SslServerAuthenticationOptions? ssl = null, double? sslHandshakeTimeout = null)
    {
        ArgumentNullException.ThrowIfNull(clientConnected);
        EventLoop loop = GetRunningLoop();
        return loop.CreateServerAsync(() => new StreamProtocol(loop, new AsyncStreamReader(loop, limit), clientConnected),
            host, port, backlog, reusePort, startServing, ssl, sslHandshakeTimeout);
    }

    /// <summary>Starts a Unix domain socket server with a reader and writer per connection; asyncio's
    /// <c>asyncio.start_unix_server()</c>.</summary>
    /// <param name="clientConnected">The handler of one connection.</param>
    /// <param name="path">The socket's path (a stale socket file there is replaced).</param>
    /// <param name="limit">Each reader's limit.</param>
    /// <param name="backlog">The listen backlog.</param>
    /// <param name="startServing">Whether to accept at once.</param>
    /// <param name="ssl">TLS for every connection, as in <see cref="StartServerAsync"/>.</param>
    /// <param name="sslHandshakeTimeout">Seconds a TLS handshake may take; null for 60. Only with
    /// <paramref name="ssl"/>.</param>
    /// <returns>The server.</returns>
    /// <remarks>Inside a running loop only.</remarks>
    public static Server StartUnixServer(Func<AsyncStreamReader, AsyncStreamWriter, Coroutine> clientConnected, string path,
        int limit = AsyncStreamReader.DefaultLimit, int backlog = 100, bool startServing = true,
        SslServerAuthenticationOptions? ssl = null, double? sslHandshakeTimeout = null)
    {
        ArgumentNullException.ThrowIfNull(clientConnected);
        EventLoop loop = GetRunningLoop();
        return loop.CreateUnixServer(() => new StreamProtocol(loop, new AsyncStreamReader(loop, limit), clientConnected),
            path, backlog, startServing, ssl, sslHandshakeTimeout);
    }
}
