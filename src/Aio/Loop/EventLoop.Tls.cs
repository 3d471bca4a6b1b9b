using System.Net.Security;
using Aio.Net;

namespace Aio;

public sealed partial class EventLoop
{
    /// <summary>
    /// Upgrades an open connection to TLS as its client; asyncio's <c>loop.start_tls(..., server_side=False)</c>.
    /// From now on <paramref name="transport"/> carries the encrypted bytes, and <paramref name="protocol"/>
    /// sees plaintext through the TLS transport returned: write through that one.
    /// </summary>
    /// <param name="transport">The connection's transport, plain (TCP or Unix).</param>
    /// <param name="protocol">The protocol that will see plaintext, usually the transport's own. Its
    /// <see cref="Protocol.ConnectionMade"/> is not called again; its
    /// <see cref="BaseProtocol.ConnectionLost"/> comes through the TLS transport.</param>
    /// <param name="options">The client's TLS options; its <see cref="SslClientAuthenticationOptions.TargetHost"/>
    /// is the name the server's certificate must carry.</param>
    /// <param name="sslHandshakeTimeout">Seconds the handshake may take before the connection is aborted;
    /// null for 60, asyncio's default.</param>
    /// <returns>The TLS transport, once the handshake is done.</returns>
    /// <remarks>Loop thread only. A cancellation point: cancelled, the connection is aborted. The side is
    /// the options' type, since .NET gives client and server options types of their own; asyncio's
    /// <c>server_side</c> flag is the other overload.</remarks>
    /// <exception cref="InvalidOperationException">The transport is closing.</exception>
    /// <exception cref="System.Security.Authentication.AuthenticationException">The handshake failed, or the
    /// server's certificate was refused; the connection is closed.</exception>
    /// <exception cref="TimeoutException">The handshake took longer than <paramref name="sslHandshakeTimeout"/>.</exception>
    public Coroutine<Transport> StartTlsAsync(Transport transport, BaseProtocol protocol, SslClientAuthenticationOptions options,
        double? sslHandshakeTimeout = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        CheckThread();
        return TlsTransport.StartAsync(transport, protocol, TlsSettings.Client(options, sslHandshakeTimeout), []);
    }

    /// <summary>
    /// Upgrades an open connection to TLS as its server; asyncio's <c>loop.start_tls(..., server_side=True)</c>.
    /// See <see cref="StartTlsAsync(Transport, BaseProtocol, SslClientAuthenticationOptions, double?)"/>.
    /// </summary>
    /// <param name="transport">The connection's transport, plain.</param>
    /// <param name="protocol">The protocol that will see plaintext.</param>
    /// <param name="options">The server's TLS options (its certificate).</param>
    /// <param name="sslHandshakeTimeout">Seconds the handshake may take; null for 60.</param>
    /// <returns>The TLS transport, once the handshake is done.</returns>
    /// <remarks>Loop thread only. A cancellation point.</remarks>
    /// <exception cref="InvalidOperationException">The transport is closing.</exception>
    /// <exception cref="System.Security.Authentication.AuthenticationException">The handshake failed; the
    /// connection is closed.</exception>
    /// <exception cref="TimeoutException">The handshake took longer than <paramref name="sslHandshakeTimeout"/>.</exception>
    public Coroutine<Transport> StartTlsAsync(Transport transport, BaseProtocol protocol, SslServerAuthenticationOptions options,
        double? sslHandshakeTimeout = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        CheckThread();
        return TlsTransport.StartAsync(transport, protocol, TlsSettings.Server(options, sslHandshakeTimeout), []);
    }
}
