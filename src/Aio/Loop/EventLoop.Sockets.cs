using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using Aio.Sockets;

namespace Aio;

public sealed partial class EventLoop
{
    /// <summary>
    /// Accepts a connection on a listening socket, waiting for one if none is pending; asyncio's
    /// <c>loop.sock_accept()</c>.
    /// </summary>
    /// <param name="socket">A bound, listening socket. It is made non-blocking.</param>
    /// <returns>The new connection (non-blocking, close-on-exec) and its peer's address. Await it exactly
    /// once.</returns>
    /// <remarks>
    /// Loop thread only. The system call is made on the loop thread when the reactor reports the socket
    /// readable. One accept at a time per socket. A cancellation point; a connection accepted for a task
    /// cancelled before it resumed is kept for the next accept, not lost.
    /// </remarks>
    /// <exception cref="SocketException">The accept failed (for example <see cref="SocketError.TooManyOpenSockets"/>).</exception>
    /// <exception cref="InvalidOperationException">Another accept is waiting on this socket, or its
    /// descriptor is used by a transport or has reader callbacks.</exception>
    public ValueTask<(Socket Connection, EndPoint Address)> SockAcceptAsync(Socket socket) =>
        WaitsFor(socket).AcceptAsync();

    /// <summary>
    /// Receives up to <paramref name="maxBytes"/> bytes, waiting until some arrive; asyncio's
    /// <c>loop.sock_recv()</c>.
    /// </summary>
    /// <param name="socket">A connected socket. It is made non-blocking.</param>
    /// <param name="maxBytes">The most bytes to return.</param>
    /// <returns>The bytes received, in an array of their length; empty when the peer closed its side.
    /// Await it exactly once.</returns>
    /// <remarks>Loop thread only. One receive at a time per socket. A cancellation point; bytes received
    /// for a task cancelled before it resumed go to the next receive. To receive without allocating, use
    /// <see cref="SockRecvIntoAsync"/>.</remarks>
    /// <exception cref="SocketException">The receive failed (for example the peer reset the connection).</exception>
    /// <exception cref="InvalidOperationException">Another receive is waiting on this socket, or its
    /// descriptor is used by a transport or has reader callbacks.</exception>
    public ValueTask<byte[]> SockRecvAsync(Socket socket, int maxBytes) => WaitsFor(socket).ReceiveAsync(maxBytes);

    /// <summary>
    /// Receives into <paramref name="buffer"/>, waiting until some bytes arrive; asyncio's
    /// <c>loop.sock_recv_into()</c>.
    /// </summary>
    /// <param name="socket">A connected socket. It is made non-blocking.</param>
    /// <param name="buffer">Where to put the bytes; it must stay untouched until the wait ends.</param>
    /// <returns>How many bytes were received; 0 when the peer closed its side. Await it exactly once.</returns>
    /// <remarks>Loop thread only. One receive at a time per socket. A cancellation point; a cancelled
    /// receive writes nothing into the buffer after it ends, and bytes received for a task cancelled before
    /// it resumed go to the next receive.</remarks>
    /// <exception cref="SocketException">The receive failed.</exception>
    /// <exception cref="InvalidOperationException">Another receive is waiting on this socket, or its
    /// descriptor is used by a transport or has reader callbacks.</exception>
    public ValueTask<int> SockRecvIntoAsync(Socket socket, Memory<byte> buffer) => WaitsFor(socket).ReceiveIntoAsync(buffer);

    /// <summary>
    /// Receives a datagram of up to <paramref name="maxBytes"/> bytes, waiting for one; asyncio's
    /// <c>loop.sock_recvfrom()</c>.
    /// </summary>
    /// <param name="socket">A datagram socket. It is made non-blocking.</param>
    /// <param name="maxBytes">The most bytes to return (the rest of a longer datagram is discarded).</param>
    /// <returns>The datagram and the address it came from. Await it exactly once.</returns>
    /// <remarks>Loop thread only. One receive at a time per socket. A cancellation point.</remarks>
    /// <exception cref="SocketException">The receive failed.</exception>
    /// <exception cref="InvalidOperationException">Another receive is waiting on this socket.</exception>
    public async ValueTask<(byte[] Data, EndPoint Address)> SockRecvFromAsync(Socket socket, int maxBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxBytes);
        byte[] buffer = new byte[maxBytes];
        SocketReceiveFromResult result = await WaitsFor(socket).ReceiveFromAsync(buffer);
        return (result.ReceivedBytes == maxBytes ? buffer : buffer[..result.ReceivedBytes], result.RemoteEndPoint);
    }

    /// <summary>
    /// Receives a datagram into <paramref name="buffer"/>, waiting for one; asyncio's
    /// <c>loop.sock_recvfrom_into()</c>.
    /// </summary>
    /// <param name="socket">A datagram socket. It is made non-blocking.</param>
    /// <param name="buffer">Where to put the datagram (the rest of a longer one is discarded).</param>
    /// <returns>How many bytes were received, and from where. Await it exactly once.</returns>
    /// <remarks>Loop thread only. One receive at a time per socket. A cancellation point.</remarks>
    /// <exception cref="SocketException">The receive failed.</exception>
    /// <exception cref="InvalidOperationException">Another receive is waiting on this socket.</exception>
    public ValueTask<SocketReceiveFromResult> SockRecvFromIntoAsync(Socket socket, Memory<byte> buffer) =>
        WaitsFor(socket).ReceiveFromAsync(buffer);

    /// <summary>
    /// Sends all of <paramref name="data"/>, waiting while the socket's send buffer is full; asyncio's
    /// <c>loop.sock_sendall()</c>.
    /// </summary>
    /// <param name="socket">A connected socket. It is made non-blocking.</param>
    /// <param name="data">The bytes; they must stay untouched until the wait ends.</param>
    /// <returns>Completes when every byte was handed to the kernel. Await it exactly once.</returns>
    /// <remarks>Loop thread only. One send at a time per socket. A cancellation point; a cancelled send
    /// may have sent part of the data, as in asyncio.</remarks>
    /// <exception cref="SocketException">The send failed (for example the peer reset the connection).</exception>
    /// <exception cref="InvalidOperationException">Another send is waiting on this socket.</exception>
    public ValueTask SockSendAllAsync(Socket socket, ReadOnlyMemory<byte> data) => WaitsFor(socket).SendAllAsync(data);

    /// <summary>Sends a datagram to <paramref name="address"/>; asyncio's <c>loop.sock_sendto()</c>.</summary>
    /// <param name="socket">A datagram socket. It is made non-blocking.</param>
    /// <param name="data">The datagram.</param>
    /// <param name="address">Where to send it (an address, not a host name).</param>
    /// <returns>How many bytes were sent. Await it exactly once.</returns>
    /// <remarks>Loop thread only. One send at a time per socket. A cancellation point.</remarks>
    /// <exception cref="SocketException">The send failed.</exception>
    public ValueTask<int> SockSendToAsync(Socket socket, ReadOnlyMemory<byte> data, EndPoint address) =>
        WaitsFor(socket).SendToAsync(data, address);

    /// <summary>
    /// Connects a socket, waiting until the connection is established; asyncio's
    /// <c>loop.sock_connect()</c>. A <see cref="DnsEndPoint"/> is resolved first, off the loop (see
    /// <see cref="GetAddrInfoAsync"/>), and the addresses of the socket's family are tried in order.
    /// </summary>
    /// <param name="socket">An unconnected socket. It is made non-blocking.</param>
    /// <param name="address">The address to connect to.</param>
    /// <returns>Completes once connected. Await it exactly once.</returns>
    /// <remarks>Loop thread only. A cancellation point.</remarks>
    /// <exception cref="SocketException">The connection failed (for example <see cref="SocketError.ConnectionRefused"/>),
    /// or the host name did not resolve.</exception>
    public async ValueTask SockConnectAsync(Socket socket, EndPoint address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address is not DnsEndPoint dns)
        {
            await WaitsFor(socket).ConnectAsync(address);
            return;
        }

        IPEndPoint[] candidates = await GetAddrInfoAsync(dns.Host, dns.Port, socket.AddressFamily);
        SocketException? last = null;
        foreach (IPEndPoint candidate in candidates)
        {
            try
            {
                await WaitsFor(socket).ConnectAsync(candidate);
                return;
            }
            catch (SocketException e)
            {
                last = e;
            }
        }

        throw last ?? new SocketException((int)SocketError.HostNotFound);
    }

    /// <summary>
    /// Resolves a host name to addresses, off the loop (in its default executor, since the system's
    /// resolver blocks); asyncio's <c>loop.getaddrinfo()</c>. An address literal is returned at once.
    /// </summary>
    /// <param name="host">A host name or an address literal.</param>
    /// <param name="port">The port to put in each end point.</param>
    /// <param name="family">Only addresses of this family; <see cref="AddressFamily.Unspecified"/> for all.</param>
    /// <returns>The end points, in the resolver's order; never empty.</returns>
    /// <remarks>Loop thread only. A cancellation point (the lookup itself finishes in the background).</remarks>
    /// <exception cref="SocketException">The name does not resolve (<see cref="SocketError.HostNotFound"/>),
    /// or has no address of <paramref name="family"/>.</exception>
    public async Coroutine<IPEndPoint[]> GetAddrInfoAsync(string host, int port, AddressFamily family = AddressFamily.Unspecified)
    {
        ArgumentNullException.ThrowIfNull(host);
        ArgumentOutOfRangeException.ThrowIfNegative(port);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(port, IPEndPoint.MaxPort);
        IPAddress[] addresses = IPAddress.TryParse(host, out IPAddress? literal)
            ? [literal]
            : await RunInExecutor(null, () => Dns.GetHostAddresses(host, family));
        IPEndPoint[] endPoints = addresses
            .Where(a => family == AddressFamily.Unspecified || a.AddressFamily == family)
            .Select(a => new IPEndPoint(a, port))
            .ToArray();
        if (endPoints.Length == 0)
        {
            throw new SocketException((int)SocketError.HostNotFound);
        }

        return endPoints;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private SocketWaits WaitsFor(Socket socket)
    {
        CheckThread();
        CheckClosed();
        return SocketWaits.For(this, socket);
    }
}
