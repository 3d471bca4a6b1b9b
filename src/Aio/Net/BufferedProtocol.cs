namespace Aio.Net;

/// <summary>
/// A stream protocol that provides the buffer data is received into, so nothing is copied on the way;
/// asyncio's <c>BufferedProtocol</c>.
/// </summary>
/// <remarks>Callbacks run on the loop thread, in this order: <see cref="ConnectionMade"/>,
/// pairs of <see cref="GetBuffer"/> and <see cref="BufferUpdated"/>, <see cref="EofReceived"/> at most
/// once, then <see cref="BaseProtocol.ConnectionLost"/>.</remarks>
public abstract class BufferedProtocol : BaseProtocol
{
    /// <summary>The connection is made; asyncio's <c>connection_made()</c>. Called once, first.</summary>
    /// <param name="transport">The connection's transport: keep it to write and close.</param>
    public virtual void ConnectionMade(Transport transport)
    {
    }

    /// <inheritdoc/>
    internal sealed override void MadeWith(Transport transport) => ConnectionMade(transport);

    /// <summary>Asks for the buffer the next receive writes into; asyncio's <c>get_buffer()</c>.</summary>
    /// <param name="sizeHint">How much the transport would like (-1: no preference).</param>
    /// <returns>A buffer of at least one byte.</returns>
    public abstract Memory<byte> GetBuffer(int sizeHint);

    /// <summary>The receive wrote <paramref name="count"/> bytes at the start of the last buffer;
    /// asyncio's <c>buffer_updated()</c>.</summary>
    /// <param name="count">How many bytes.</param>
    public abstract void BufferUpdated(int count);

    /// <summary>The peer closed its side; asyncio's <c>eof_received()</c>.</summary>
    /// <returns>True to keep the connection open for writing; false (the default) to close it.</returns>
    public virtual bool EofReceived() => false;
}
