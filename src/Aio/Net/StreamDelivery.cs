namespace Aio.Net;

/// <summary>
/// How a stream transport (a socket's, a read pipe's) hands what it reads to its protocol: a
/// <see cref="Protocol"/> gets bytes read into the loop's shared buffer, a <see cref="BufferedProtocol"/>
/// gets them in the buffer it provides. An exception from the protocol is a fatal error of the transport.
/// </summary>
internal static class StreamDelivery
{
    /// <summary>The buffer a <see cref="BufferedProtocol"/> provides for the next read.</summary>
    /// <param name="source">The transport's source, where a fatal error goes.</param>
    /// <param name="buffered">The protocol.</param>
    /// <param name="buffer">The buffer.</param>
    /// <returns>False when the protocol's <c>GetBuffer</c> failed: the transport is closing.</returns>
    internal static bool TryGetBuffer(TransportSource source, BufferedProtocol buffered, out Span<byte> buffer)
    {
        try
        {
            buffer = buffered.GetBuffer(-1).Span;
            if (buffer.IsEmpty)
            {
                throw new InvalidOperationException("GetBuffer() returned an empty buffer.");
            }

            return true;
        }
        catch (Exception e)
        {
            source.FatalError(e, "Fatal error: protocol.GetBuffer() call failed.");
            buffer = default;
            return false;
        }
    }

    /// <summary>Hands <paramref name="received"/> to the protocol: just read into the loop's shared buffer,
    /// or into the one from <see cref="TryGetBuffer"/>.</summary>
    /// <param name="source">The transport's source, where a fatal error goes.</param>
    /// <param name="protocol">The protocol.</param>
    /// <param name="buffered">The protocol when it is a <see cref="BufferedProtocol"/>; else null.</param>
    /// <param name="received">The bytes read.</param>
    /// <returns>False when the protocol threw: the transport is closing.</returns>
    internal static bool TryDeliver(TransportSource source, BaseProtocol protocol, BufferedProtocol? buffered, ReadOnlySpan<byte> received)
    {
        try
        {
            if (buffered is not null)
            {
                buffered.BufferUpdated(received.Length);
            }
            else
            {
                ((Protocol)protocol).DataReceived(received);
            }

            return true;
        }
        catch (Exception e)
        {
            source.FatalError(e, buffered is not null
                ? "Fatal error: protocol.BufferUpdated() call failed."
                : "Fatal error: protocol.DataReceived() call failed.");
            return false;
        }
    }
}
