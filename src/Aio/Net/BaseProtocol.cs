namespace Aio.Net;

/// <summary>
/// What every protocol hears from its transport: the connection lost, and the flow control of writing;
/// asyncio's <c>BaseProtocol</c>. Derive from <see cref="Protocol"/> (data handed over as it arrives),
/// <see cref="BufferedProtocol"/> (data received into a buffer the protocol provides) or
/// <see cref="DatagramProtocol"/>; each has its <c>ConnectionMade</c>, typed with its transport.
/// </summary>
/// <remarks>Every callback runs on the loop thread, as a plain callback (not inside a task). An exception
/// thrown by one is reported to the loop's exception handler and aborts the connection.</remarks>
public abstract class BaseProtocol
{
    private protected BaseProtocol()
    {
    }

    /// <summary>Calls the stream protocol's <c>ConnectionMade</c> with <paramref name="transport"/>; a
    /// datagram protocol has none for a stream transport.</summary>
    internal virtual void MadeWith(Transport transport)
    {
    }

    /// <summary>The connection is lost or closed; asyncio's <c>connection_lost()</c>. Called once, last.</summary>
    /// <param name="exception">Why, when it was an error (the peer reset the connection, say); null when
    /// it was closed normally or the peer closed its side.</param>
    public virtual void ConnectionLost(Exception? exception)
    {
    }

    /// <summary>The transport's write buffer went above its high-water mark; asyncio's
    /// <c>pause_writing()</c>. Stop writing until <see cref="ResumeWriting"/>.</summary>
    public virtual void PauseWriting()
    {
    }

    /// <summary>The transport's write buffer drained to its low-water mark; asyncio's
    /// <c>resume_writing()</c>.</summary>
    public virtual void ResumeWriting()
    {
    }
}
