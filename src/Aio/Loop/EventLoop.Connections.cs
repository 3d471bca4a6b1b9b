using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using Aio.Net;
using Aio.Sockets;

namespace Aio;

public sealed partial class EventLoop
{
    /// <summary>The buffer stream transports receive into before handing the bytes to
    /// <see cref="Protocol.DataReceived"/>: one per loop, since one callback runs at a time.</summary>
    internal byte[] TransportReceiveBuffer => _transportReceiveBuffer ??= new byte[64 * 1024];

    private byte[]? _transportReceiveBuffer;

    /// <summary>Socket transports holding small writes made during the current batch of callbacks, to be
    /// sent when the batch ends (see <see cref="SocketTransport"/>).</summary>
    private readonly List<SocketTransport> _gatheredWrites = [];

    /// <summary>Whether the loop is running a batch of ready callbacks, at whose end gathered writes are
    /// sent: a transport write made now may wait for that instead of calling the kernel at once.</summary>
    internal bool GathersWrites { get; private set; }

    /// <summary>Arrays lent to transports to gather a batch's writes in, and given back once sent: a
    /// busy connection keeps no write buffer of its own between messages.</summary>
    private readonly Stack<byte[]> _gatherArrays = new();

    /// <summary>The size of the arrays writes are gathered in: most replies fit.</summary>
    private const int GatherArraySize = 4096;

    /// <summary>How many arrays the pool keeps: enough for the transports of several full polls.</summary>
    private const int GatherArraysKept = 1024;

    /// <summary>Sends <paramref name="transport"/>'s gathered writes when the current batch ends.</summary>
    internal void SendAtBatchEnd(SocketTransport transport) => _gatheredWrites.Add(transport);

    /// <summary>An array to gather a transport's writes in.</summary>
    internal byte[] RentGatherArray() => _gatherArrays.TryPop(out byte[]? array) ? array : new byte[GatherArraySize];

    /// <summary>Takes back an array a transport no longer needs; one of another size (a transport's
    /// grown buffer) is left to the collector.</summary>
    internal void ReturnGatherArray(byte[] array)
    {
        if (array.Length == GatherArraySize && _gatherArrays.Count < GatherArraysKept)
        {
            _gatherArrays.Push(array);
        }
    }

    /// <summary>Called before a batch of ready callbacks runs.</summary>
    private void BeginGatheringWrites() => GathersWrites = true;

    /// <summary>Called after a batch of ready callbacks: sends every transport's gathered writes, each in
    /// one call. A write made meanwhile (a protocol's <c>ResumeWriting</c>) goes to the kernel at once.</summary>
    private void SendGatheredWrites()
    {
        GathersWrites = false;
        List<SocketTransport> gathered = _gatheredWrites;
        if (gathered.Count == 0)
        {
            return;
        }

        try
        {
            bool hints = CacheHints.Enabled;
            for (int i = 0; i < gathered.Count; i++)
            {
                if (hints)
                {
                    // As the ready queue does: two transports ahead the transport, the next one its parts.
                    if (i + 2 < gathered.Count)
                    {
                        CacheHints.Prefetch(gathered[i + 2], 3);
                    }

                    if (i + 1 < gathered.Count)
                    {
                        gathered[i + 1].PrefetchParts();
                    }
                }

                gathered[i].SendGathered();
            }
        }
        finally
        {
            gathered.Clear();
        }
    }

    /// <summary>
    /// Starts a TCP server on <paramref name="host"/>:<paramref name="port"/> that gives each connection a
    /// protocol from <paramref name="protocolFactory"/>; asyncio's <c>loop.create_server()</c>.
    /// </summary>
    /// <param name="protocolFactory">Makes the protocol of each accepted connection.</param>
    /// <param name="host">A host name or address to listen on (every address it resolves to); null
    /// listens on every interface, IPv4 and IPv6.</param>
    /// <param name="port">The port; 0 lets the kernel choose (see <see cref="Server.Sockets"/>).</param>
    /// <param name="backlog">The listen backlog, and how many connections one turn accepts.</param>
    /// <param name="reusePort">Sets <c>SO_REUSEPORT</c>, so several sockets (one per loop) can listen on
    /// the same port and the kernel spreads connections over them.</param>
    /// <param name="startServing">Whether to accept at once; otherwise call
    /// <see cref="Server.StartServing"/> or <see cref="Server.ServeForeverAsync"/>.</param>
    /// <param name="ssl">TLS for every connection (asyncio's <c>ssl=</c>): each protocol sees plaintext
    /// through a TLS transport, and its <c>ConnectionMade</c> runs once the handshake is done. A connection
    /// whose handshake fails is closed, and reported to the exception handler in debug mode only, as
    /// asyncio does.</param>
    /// <param name="sslHandshakeTimeout">Seconds a TLS handshake may take before its connection is aborted;
    /// null for 60, asyncio's default. Only with <paramref name="ssl"/>.</param>
    /// <returns>The server.</returns>
    /// <remarks>Loop thread only. <c>SO_REUSEADDR</c> is set, as asyncio does on Unix.</remarks>
    /// <exception cref="SocketException">The address is in use, or the host does not resolve.</exception>
    public async Coroutine<Server> CreateServerAsync(Func<BaseProtocol> protocolFactory, string? host, int port,
        int backlog = 100, bool reusePort = false, bool startServing = true,
        SslServerAuthenticationOptions? ssl = null, double? sslHandshakeTimeout = null)
    {
        ArgumentNullException.ThrowIfNull(protocolFactory);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(backlog);
        CheckThread();
        protocolFactory = WithTls(protocolFactory, ssl, sslHandshakeTimeout);
        IPEndPoint[] addresses = host is null
            ? [new IPEndPoint(IPAddress.Any, port), new IPEndPoint(IPAddress.IPv6Any, port)]
            : (await GetAddrInfoAsync(host, port)).Distinct().ToArray();
        var sockets = new List<Socket>();
        try
        {
            foreach (IPEndPoint address in addresses)
            {
                var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
                sockets.Add(socket);
                socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
                if (reusePort)
                {
                    SetReusePort(socket);
                }

                if (address.AddressFamily == AddressFamily.InterNetworkV6)
                {
                    // Each family on its own socket, as asyncio: the IPv4 socket takes IPv4.
                    socket.DualMode = false;
                }

                socket.Bind(address);
            }
        }
        catch
        {
            sockets.ForEach(s => s.Dispose());
            throw;
        }

        return StartListening(protocolFactory, sockets, backlog, startServing);
    }

    /// <summary>Starts a server on a socket the caller bound; asyncio's <c>create_server(sock=...)</c>.</summary>
    /// <param name="protocolFactory">Makes the protocol of each accepted connection.</param>
    /// <param name="socket">A bound stream socket (TCP or Unix); the server owns it from now on.</param>
    /// <param name="backlog">The listen backlog.</param>
    /// <param name="startServing">Whether to accept at once.</param>
    /// <param name="ssl">TLS for every connection, as in <see cref="CreateServerAsync"/>.</param>
    /// <param name="sslHandshakeTimeout">Seconds a TLS handshake may take; null for 60. Only with
    /// <paramref name="ssl"/>.</param>
    /// <returns>The server.</returns>
    /// <remarks>Loop thread only.</remarks>
    public Server CreateServer(Func<BaseProtocol> protocolFactory, Socket socket, int backlog = 100, bool startServing = true,
        SslServerAuthenticationOptions? ssl = null, double? sslHandshakeTimeout = null)
    {
        ArgumentNullException.ThrowIfNull(protocolFactory);
        ArgumentNullException.ThrowIfNull(socket);
        CheckThread();
        return StartListening(WithTls(protocolFactory, ssl, sslHandshakeTimeout), [socket], backlog, startServing);
    }

    /// <summary>The factory of a server's protocols, behind TLS when <paramref name="ssl"/> is given.</summary>
    private Func<BaseProtocol> WithTls(Func<BaseProtocol> protocolFactory, SslServerAuthenticationOptions? ssl, double? sslHandshakeTimeout) =>
        TlsSettings.ForServer(ssl, sslHandshakeTimeout) is { } tls ? TlsTransport.ServerFactory(this, protocolFactory, tls) : protocolFactory;

    /// <summary>
    /// Starts a server on a Unix domain socket at <paramref name="path"/>; asyncio's
    /// <c>loop.create_unix_server()</c>. A stale socket file left by an earlier server is removed first, as
    /// asyncio does.
    /// </summary>
    /// <param name="protocolFactory">Makes the protocol of each accepted connection.</param>
    /// <param name="path">The socket's path.</param>
    /// <param name="backlog">The listen backlog.</param>
    /// <param name="startServing">Whether to accept at once.</param>
    /// <param name="ssl">TLS for every connection, as in <see cref="CreateServerAsync"/>.</param>
    /// <param name="sslHandshakeTimeout">Seconds a TLS handshake may take; null for 60. Only with
    /// <paramref name="ssl"/>.</param>
    /// <returns>The server.</returns>
    /// <remarks>Loop thread only.</remarks>
    /// <exception cref="SocketException">The path is in use by a live server, or cannot be bound.</exception>
    public Server CreateUnixServer(Func<BaseProtocol> protocolFactory, string path, int backlog = 100, bool startServing = true,
        SslServerAuthenticationOptions? ssl = null, double? sslHandshakeTimeout = null)
    {
        ArgumentNullException.ThrowIfNull(protocolFactory);
        ArgumentException.ThrowIfNullOrEmpty(path);
        CheckThread();
        if (IsSocketFile(path))
        {
            // A socket file left by an earlier server that did not clean up, as asyncio removes it.
            File.Delete(path);
        }

        protocolFactory = WithTls(protocolFactory, ssl, sslHandshakeTimeout);
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            socket.Bind(new UnixDomainSocketEndPoint(path));
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        return StartListening(protocolFactory, [socket], backlog, startServing);
    }

    /// <summary>
    /// Connects to <paramref name="host"/>:<paramref name="port"/> over TCP and runs a protocol from
    /// <paramref name="protocolFactory"/> on the connection; asyncio's <c>loop.create_connection()</c>. The
    /// host is resolved off the loop, and its addresses are tried in order until one connects.
    /// </summary>
    /// <typeparam name="TProtocol">The protocol's type.</typeparam>
    /// <param name="protocolFactory">Makes the connection's protocol.</param>
    /// <param name="host">A host name or address.</param>
    /// <param name="port">The port.</param>
    /// <param name="ssl">TLS (asyncio's <c>ssl=</c>): the protocol sees plaintext through a TLS transport.
    /// Without a <see cref="SslClientAuthenticationOptions.TargetHost"/>, the name the server's certificate
    /// must carry is <paramref name="host"/>, as asyncio's <c>server_hostname</c>.</param>
    /// <param name="sslHandshakeTimeout">Seconds the TLS handshake may take before the connection is
    /// aborted; null for 60, asyncio's default. Only with <paramref name="ssl"/>.</param>
    /// <returns>The transport and the protocol, once connected (with TLS, once the handshake is done) and
    /// the protocol's <see cref="Protocol.ConnectionMade"/> has run.</returns>
    /// <remarks>Loop thread only. A cancellation point.</remarks>
    /// <exception cref="SocketException">No address connected (the last error), or the host did not resolve.</exception>
    /// <exception cref="System.Security.Authentication.AuthenticationException">The TLS handshake failed, or
    /// the server's certificate was refused; the connection is closed.</exception>
    /// <exception cref="IOException">The server closed or reset the connection during the TLS handshake.</exception>
    /// <exception cref="TimeoutException">The TLS handshake took longer than <paramref name="sslHandshakeTimeout"/>.</exception>
    public async Coroutine<(Transport Transport, TProtocol Protocol)> CreateConnectionAsync<TProtocol>(
        Func<TProtocol> protocolFactory, string host, int port,
        SslClientAuthenticationOptions? ssl = null, double? sslHandshakeTimeout = null)
        where TProtocol : BaseProtocol
    {
        ArgumentNullException.ThrowIfNull(protocolFactory);
        ArgumentNullException.ThrowIfNull(host);
        CheckThread();
        TlsSettings? tls = TlsSettings.ForConnection(ssl, sslHandshakeTimeout, host);
        IPEndPoint[] addresses = await GetAddrInfoAsync(host, port);
        SocketException? last = null;
        Socket? socket = null;
        foreach (IPEndPoint address in addresses)
        {
            var candidate = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                candidate.NoDelay = true;
                await SockConnectAsync(candidate, address);
                socket = candidate;
                break;
            }
            catch (SocketException e)
            {
                candidate.Dispose();
                last = e;
            }
            catch
            {
                candidate.Dispose();
                throw;
            }
        }

        if (socket is null)
        {
            throw last!;
        }

        // From here the transport owns the socket: a failure of the handshake is no reason to try the
        // next address, and a cancellation while the protocol's ConnectionMade is pending aborts the
        // transport instead of disposing the socket under it.
        return await ConnectedAsync(socket, protocolFactory, tls);
    }

    /// <summary>Connects to a Unix domain socket; asyncio's <c>loop.create_unix_connection()</c>.</summary>
    /// <typeparam name="TProtocol">The protocol's type.</typeparam>
    /// <param name="protocolFactory">Makes the connection's protocol.</param>
    /// <param name="path">The socket's path.</param>
    /// <param name="ssl">TLS over the socket. A Unix socket has no host name to check the server's
    /// certificate against, so the options must name one in
    /// <see cref="SslClientAuthenticationOptions.TargetHost"/> (asyncio's <c>server_hostname</c>).</param>
    /// <param name="sslHandshakeTimeout">Seconds the TLS handshake may take; null for 60. Only with
    /// <paramref name="ssl"/>.</param>
    /// <returns>The transport and the protocol, once connected (with TLS, once the handshake is done).</returns>
    /// <remarks>Loop thread only. A cancellation point.</remarks>
    /// <exception cref="SocketException">The connection failed.</exception>
    /// <exception cref="ArgumentException"><paramref name="ssl"/> names no target host.</exception>
    /// <exception cref="System.Security.Authentication.AuthenticationException">The TLS handshake failed.</exception>
    public async Coroutine<(Transport Transport, TProtocol Protocol)> CreateUnixConnectionAsync<TProtocol>(
        Func<TProtocol> protocolFactory, string path,
        SslClientAuthenticationOptions? ssl = null, double? sslHandshakeTimeout = null)
        where TProtocol : BaseProtocol
    {
        ArgumentNullException.ThrowIfNull(protocolFactory);
        ArgumentException.ThrowIfNullOrEmpty(path);
        CheckThread();
        if (ssl is not null && string.IsNullOrEmpty(ssl.TargetHost))
        {
            throw new ArgumentException("TLS over a Unix socket needs the server's name in TargetHost, to check its certificate against.", nameof(ssl));
        }

        TlsSettings? tls = TlsSettings.ForConnection(ssl, sslHandshakeTimeout, ssl?.TargetHost ?? "");
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await SockConnectAsync(socket, new UnixDomainSocketEndPoint(path));
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        return await ConnectedAsync(socket, protocolFactory, tls);
    }

    /// <summary>
    /// Creates a datagram endpoint (UDP, or a Unix datagram socket) with a protocol from
    /// <paramref name="protocolFactory"/>; asyncio's <c>loop.create_datagram_endpoint()</c>.
    /// </summary>
    /// <typeparam name="TProtocol">The protocol's type.</typeparam>
    /// <param name="protocolFactory">Makes the endpoint's protocol.</param>
    /// <param name="localAddress">The address to bind (a <see cref="DnsEndPoint"/> is resolved off the
    /// loop); null for none (the kernel picks one at the first send).</param>
    /// <param name="remoteAddress">The address to connect to: datagrams then go there by default, and
    /// only datagrams from there arrive; null for none.</param>
    /// <param name="reusePort">Sets <c>SO_REUSEPORT</c>.</param>
    /// <param name="allowBroadcast">Sets <c>SO_BROADCAST</c>.</param>
    /// <returns>The transport and the protocol, once the protocol's <c>ConnectionMade</c> ran.</returns>
    /// <remarks>Loop thread only. A cancellation point.</remarks>
    /// <exception cref="ArgumentException">Neither address given.</exception>
    /// <exception cref="SocketException">Binding or connecting failed.</exception>
    public async Coroutine<(DatagramTransport Transport, TProtocol Protocol)> CreateDatagramEndpointAsync<TProtocol>(
        Func<TProtocol> protocolFactory, EndPoint? localAddress = null, EndPoint? remoteAddress = null,
        bool reusePort = false, bool allowBroadcast = false)
        where TProtocol : DatagramProtocol
    {
        ArgumentNullException.ThrowIfNull(protocolFactory);
        CheckThread();
        if (localAddress is null && remoteAddress is null)
        {
            throw new ArgumentException("A datagram endpoint needs a local or a remote address (or both).");
        }

        EndPoint? local = localAddress is DnsEndPoint localName ? (await GetAddrInfoAsync(localName.Host, localName.Port))[0] : localAddress;
        EndPoint? remote = remoteAddress is DnsEndPoint remoteName
            ? (await GetAddrInfoAsync(remoteName.Host, remoteName.Port, local?.AddressFamily ?? AddressFamily.Unspecified))[0]
            : remoteAddress;
        AddressFamily family = (local ?? remote)!.AddressFamily;
        var socket = new Socket(family, SocketType.Dgram, family == AddressFamily.Unix ? ProtocolType.Unspecified : ProtocolType.Udp);
        try
        {
            if (reusePort)
            {
                SetReusePort(socket);
            }

            if (allowBroadcast)
            {
                socket.EnableBroadcast = true;
            }

            if (local is not null)
            {
                socket.Bind(local);
            }

            if (remote is not null)
            {
                // Connecting a datagram socket does not wait.
                socket.Connect(remote);
            }

        }
        catch
        {
            socket.Dispose();
            throw;
        }

        TProtocol protocol;
        try
        {
            protocol = protocolFactory() ?? throw new InvalidOperationException("The protocol factory returned null.");
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        var transport = new SocketDatagramTransport(this, socket, protocol, remote);
        transport.Start();

        // ConnectionMade is queued ahead of this task's next step.
        await AsyncIO.Yield();
        return (transport, protocol);
    }

    /// <summary>
    /// Wraps a connection that something else accepted (or connected) in a transport, optionally as the
    /// server of a TLS session over it; asyncio's <c>loop.connect_accepted_socket(..., ssl=...)</c>.
    /// </summary>
    /// <typeparam name="TProtocol">The protocol's type.</typeparam>
    /// <param name="protocolFactory">Makes the connection's protocol.</param>
    /// <param name="socket">A connected stream socket; the transport owns it from now on.</param>
    /// <param name="ssl">The server's TLS options (its certificate); the protocol sees plaintext, and its
    /// <c>ConnectionMade</c> runs once the handshake is done.</param>
    /// <param name="sslHandshakeTimeout">Seconds the handshake may take; null for 60. Only with
    /// <paramref name="ssl"/>.</param>
    /// <returns>The transport (the TLS one with <paramref name="ssl"/>) and the protocol, once the
    /// protocol's <c>ConnectionMade</c> ran.</returns>
    /// <remarks>Loop thread only. A cancellation point: cancelled, the connection is aborted.</remarks>
    /// <exception cref="System.Security.Authentication.AuthenticationException">The TLS handshake failed;
    /// the connection is closed.</exception>
    /// <exception cref="TimeoutException">The handshake took longer than <paramref name="sslHandshakeTimeout"/>.</exception>
    public async Coroutine<(Transport Transport, TProtocol Protocol)> ConnectAcceptedSocketAsync<TProtocol>(
        Func<TProtocol> protocolFactory, Socket socket,
        SslServerAuthenticationOptions? ssl = null, double? sslHandshakeTimeout = null)
        where TProtocol : BaseProtocol
    {
        ArgumentNullException.ThrowIfNull(protocolFactory);
        ArgumentNullException.ThrowIfNull(socket);
        CheckThread();
        return await ConnectedAsync(socket, protocolFactory, TlsSettings.ForServer(ssl, sslHandshakeTimeout));
    }

    /// <summary>Wraps an already connected stream socket in a transport; asyncio's
    /// <c>create_connection(sock=...)</c> and <c>connect_accepted_socket()</c>.</summary>
    /// <typeparam name="TProtocol">The protocol's type.</typeparam>
    /// <param name="protocolFactory">Makes the connection's protocol.</param>
    /// <param name="socket">A connected stream socket; the transport owns it from now on.</param>
    /// <returns>The transport and the protocol.</returns>
    /// <remarks>Loop thread only.</remarks>
    public (Transport Transport, TProtocol Protocol) ConnectAcceptedSocket<TProtocol>(Func<TProtocol> protocolFactory, Socket socket)
        where TProtocol : BaseProtocol
    {
        ArgumentNullException.ThrowIfNull(protocolFactory);
        ArgumentNullException.ThrowIfNull(socket);
        CheckThread();
        return Connected(socket, protocolFactory);
    }

    /// <summary>As asyncio's <c>create_connection</c>, returns once the protocol's <c>ConnectionMade</c>
    /// ran (the next iteration).</summary>
    private static async Coroutine UntilConnectionMade(Transport transport)
    {
        while (!((SocketTransport)transport).IsStarted)
        {
            await AsyncIO.Yield();
        }
    }

    private (Transport, TProtocol) Connected<TProtocol>(Socket socket, Func<TProtocol> protocolFactory)
        where TProtocol : BaseProtocol
    {
        TProtocol protocol = TakeOver(socket, protocolFactory);
        var transport = new SocketTransport(this, socket, protocol, server: null);
        transport.Start();
        return (transport, protocol);
    }

    /// <summary>The transport and protocol of a connected socket, once the protocol's ConnectionMade ran:
    /// through TLS when <paramref name="tls"/> is given. The transport owns the socket from here, so a
    /// cancellation while ConnectionMade is pending aborts the transport instead of disposing the socket
    /// under it.</summary>
    private async Coroutine<(Transport, TProtocol)> ConnectedAsync<TProtocol>(Socket socket, Func<TProtocol> protocolFactory, TlsSettings? tls)
        where TProtocol : BaseProtocol
    {
        if (tls is not null)
        {
            return await ConnectedTls(socket, protocolFactory, tls);
        }

        var connected = Connected(socket, protocolFactory);
        try
        {
            await UntilConnectionMade(connected.Item1);
        }
        catch
        {
            connected.Item1.Abort();
            throw;
        }

        return connected;
    }

    private async Coroutine<(Transport, TProtocol)> ConnectedTls<TProtocol>(Socket socket, Func<TProtocol> protocolFactory, TlsSettings tls)
        where TProtocol : BaseProtocol
    {
        TProtocol protocol;
        try
        {
            protocol = TakeOver(socket, protocolFactory);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        return (await TlsTransport.ConnectAsync(this, socket, protocol, tls), protocol);
    }

    private TProtocol TakeOver<TProtocol>(Socket socket, Func<TProtocol> protocolFactory)
        where TProtocol : BaseProtocol
    {
        // The socket may carry the record of loop socket operations (the connect): the transport takes
        // the descriptor over from it.
        if (SourceOf((int)socket.Handle) is SocketWaits waits && ReferenceEquals(waits.Socket, socket))
        {
            DeregisterSource(waits);
        }

        return protocolFactory() ?? throw new InvalidOperationException("The protocol factory returned null.");
    }

    private Server StartListening(Func<BaseProtocol> protocolFactory, List<Socket> sockets, int backlog, bool startServing)
    {
        try
        {
            foreach (Socket socket in sockets)
            {
                socket.Blocking = false;
                socket.Listen(backlog);
            }
        }
        catch
        {
            sockets.ForEach(s => s.Dispose());
            throw;
        }

        var server = new Server(this, sockets, protocolFactory, backlog);
        if (startServing)
        {
            server.StartServing();
        }

        return server;
    }

    private static void SetReusePort(Socket socket)
    {
        // SO_REUSEPORT is 15 on Linux; .NET has no named option for it.
        socket.SetRawSocketOption(1, 15, BitConverter.GetBytes(1));
    }

    /// <summary>Whether <paramref name="path"/> names a socket file (asyncio checks <c>S_ISSOCK</c> too,
    /// so that a regular file in the way is never removed).</summary>
    private static unsafe bool IsSocketFile(string path)
    {
        // struct stat: st_mode is at byte 24 on x86-64 and at byte 16 on arm64.
        int modeOffset = System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture == System.Runtime.InteropServices.Architecture.X64 ? 24 : 16;
        byte* buffer = stackalloc byte[256];
        if (Reactor.Libc.stat(path, buffer) != 0)
        {
            return false;
        }

        uint mode = *(uint*)(buffer + modeOffset);
        return (mode & 0xF000) == 0xC000;
    }
}
