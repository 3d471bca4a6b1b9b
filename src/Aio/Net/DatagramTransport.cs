using System.Net;
using System.Net.Sockets;

namespace Aio.Net;

/// <summary>A datagram endpoint's transport; asyncio's <c>DatagramTransport</c>. Made by
/// <c>loop.CreateDatagramEndpointAsync</c>.</summary>
/// <remarks>Loop thread only. A datagram the kernel cannot take at once waits in the send buffer, whole,
/// and goes out as the socket drains.</remarks>
public abstract class DatagramTransport
{
    private protected DatagramTransport()
    {
    }

    /// <summary>The endpoint's protocol.</summary>
    public abstract DatagramProtocol Protocol { get; }

    /// <summary>The socket; asyncio's <c>get_extra_info('socket')</c>.</summary>
    public abstract Socket Socket { get; }

    /// <summary>The local address; asyncio's <c>get_extra_info('sockname')</c>.</summary>
    public abstract EndPoint? SockName { get; }

    /// <summary>The remote address given at creation, if any; asyncio's <c>get_extra_info('peername')</c>.</summary>
    public abstract EndPoint? PeerName { get; }

    /// <summary>Whether it is closing or closed; asyncio's <c>is_closing()</c>.</summary>
    public abstract bool IsClosing { get; }

    /// <summary>How many bytes of datagrams wait to be sent; asyncio's <c>get_write_buffer_size()</c>.</summary>
    public abstract int WriteBufferSize { get; }

    /// <summary>Information by asyncio's names: <c>peername</c>, <c>sockname</c>, <c>socket</c>.</summary>
    /// <param name="name">The name.</param>
    /// <param name="defaultValue">What to return for an unknown name.</param>
    /// <returns>The value.</returns>
    public object? GetExtraInfo(string name, object? defaultValue = null) => name switch
    {
        "peername" => PeerName,
        "sockname" => SockName,
        "socket" => Socket,
        _ => defaultValue,
    };

    /// <summary>Sends a datagram; asyncio's <c>sendto()</c>. Never blocks.</summary>
    /// <param name="data">The datagram (copied if it must wait).</param>
    /// <param name="address">Where to send it; null on an endpoint created with a remote address (which is
    /// then the only address allowed).</param>
    /// <exception cref="ArgumentException">No address on an unconnected endpoint, or another address than
    /// the remote one on a connected endpoint.</exception>
    public abstract void SendTo(ReadOnlySpan<byte> data, EndPoint? address = null);

    /// <summary>Closes once the send buffer is empty; asyncio's <c>close()</c>.</summary>
    public abstract void Close();

    /// <summary>Closes at once, dropping unsent datagrams; asyncio's <c>abort()</c>.</summary>
    public abstract void Abort();
}
