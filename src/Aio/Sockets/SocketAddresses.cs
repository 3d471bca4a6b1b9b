using System.Net;
using System.Net.Sockets;

namespace Aio.Sockets;

/// <summary>Native <c>sockaddr</c> bytes to and from .NET end points, through <see cref="SocketAddress"/>,
/// whose buffer holds exactly the native structure on this platform.</summary>
internal static class SocketAddresses
{
    /// <summary>Room for any address: <c>sizeof(struct sockaddr_storage)</c>.</summary>
    internal const int MaxSize = 128;

    private static readonly IPEndPoint s_ipTemplate = new(IPAddress.Any, 0);
    private static readonly UnixDomainSocketEndPoint s_unixTemplate = new("/");

    /// <summary>The end point a native address describes.</summary>
    /// <param name="native">The <c>sockaddr</c> bytes, as long as the call said.</param>
    internal static EndPoint ToEndPoint(ReadOnlySpan<byte> native)
    {
        int family = native.Length >= 2 ? native[0] | (native[1] << 8) : 0;
        AddressFamily addressFamily = family switch
        {
            1 => AddressFamily.Unix,
            2 => AddressFamily.InterNetwork,
            10 => AddressFamily.InterNetworkV6,
            _ => AddressFamily.Unknown,
        };

        if (addressFamily == AddressFamily.Unknown || (addressFamily == AddressFamily.Unix && native.Length <= 2))
        {
            // An unnamed peer (an unbound Unix client; the kernel gives no path, or nothing at all): the
            // same empty end point Socket.RemoteEndPoint gives, asyncio's ''.
            return s_unixTemplate.Create(new SocketAddress(AddressFamily.Unix, 2));
        }

        var address = new SocketAddress(addressFamily, native.Length);
        native.CopyTo(address.Buffer.Span);
        return addressFamily == AddressFamily.Unix ? s_unixTemplate.Create(address) : s_ipTemplate.Create(address);
    }
}
