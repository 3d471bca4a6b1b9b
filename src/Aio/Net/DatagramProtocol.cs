using System.Net;

namespace Aio.Net;

/// <summary>
/// A protocol for datagrams (UDP, Unix datagram sockets); asyncio's <c>DatagramProtocol</c>. Override
/// <see cref="DatagramReceived"/>, and <see cref="ErrorReceived"/> to hear of send and receive errors.
/// </summary>
/// <remarks>Callbacks run on the loop thread. <see cref="BaseProtocol.PauseWriting"/> and
/// <see cref="BaseProtocol.ResumeWriting"/> follow the transport's send buffer, as for streams.</remarks>
public abstract class DatagramProtocol : BaseProtocol
{
    /// <summary>The endpoint is ready; asyncio's <c>connection_made()</c>. Called once, first.</summary>
    /// <param name="transport">The endpoint's transport: keep it to send and close.</param>
    public virtual void ConnectionMade(DatagramTransport transport)
    {
    }

    /// <summary>A datagram arrived; asyncio's <c>datagram_received()</c>.</summary>
    /// <param name="data">The datagram. Valid only during the call: copy what you keep.</param>
    /// <param name="address">Where it came from.</param>
    public virtual void DatagramReceived(ReadOnlySpan<byte> data, EndPoint address)
    {
    }

    /// <summary>A send or receive failed without ending the endpoint (for example an ICMP "port
    /// unreachable" reported for a connected socket); asyncio's <c>error_received()</c>.</summary>
    /// <param name="exception">The error, usually a <see cref="System.Net.Sockets.SocketException"/>.</param>
    public virtual void ErrorReceived(Exception exception)
    {
    }
}
