namespace Aio.Net;

/// <summary>
/// A stream protocol that is handed the data as it arrives; asyncio's <c>Protocol</c>. Override
/// <see cref="DataReceived"/> (and whichever other callbacks you need).
/// </summary>
/// <remarks>Callbacks run on the loop thread, in this order: <see cref="ConnectionMade"/>,
/// <see cref="DataReceived"/> any number of times, <see cref="EofReceived"/> at most once, then
/// <see cref="BaseProtocol.ConnectionLost"/>.</remarks>
public abstract class Protocol : BaseProtocol
{
    /// <summary>The connection is made; asyncio's <c>connection_made()</c>. Called once, first.</summary>
    /// <param name="transport">The connection's transport: keep it to write and close.</param>
    public virtual void ConnectionMade(Transport transport)
    {
    }

    /// <inheritdoc/>
    internal sealed override void MadeWith(Transport transport) => ConnectionMade(transport);

    /// <summary>Bytes arrived; asyncio's <c>data_received()</c>.</summary>
    /// <param name="data">The bytes. They live in the loop's receive buffer and are valid only during the
    /// call: copy what you keep.</param>
    public virtual void DataReceived(ReadOnlySpan<byte> data)
    {
    }

    /// <summary>The peer closed its side (no more data will come); asyncio's <c>eof_received()</c>.</summary>
    /// <returns>True to keep the connection open for writing (half-closed); false (the default) to have
    /// the transport close it.</returns>
    public virtual bool EofReceived() => false;
}
