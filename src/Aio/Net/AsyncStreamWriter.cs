using System.Net;

namespace Aio.Net;

/// <summary>
/// The writing half of a stream connection; asyncio's <c>StreamWriter</c>. Writes never wait; call
/// <see cref="DrainAsync"/> after writing to wait while the transport's buffer is above its high-water
/// mark, so a fast writer cannot outrun a slow peer without limit.
/// </summary>
/// <remarks>Loop thread only.</remarks>
public sealed class AsyncStreamWriter
{
    private readonly StreamProtocol _protocol;

    internal AsyncStreamWriter(Transport transport, StreamProtocol protocol, AsyncStreamReader? reader)
    {
        Transport = transport;
        _protocol = protocol;
        Reader = reader;
    }

    /// <summary>The connection's transport; asyncio's <c>transport</c>.</summary>
    public Transport Transport { get; }

    /// <summary>The reading half of the same connection, if any.</summary>
    internal AsyncStreamReader? Reader { get; }

    /// <summary>Whether the connection is closing or closed; asyncio's <c>is_closing()</c>.</summary>
    public bool IsClosing => Transport.IsClosing;

    /// <summary>Whether <see cref="WriteEof"/> is supported; asyncio's <c>can_write_eof()</c>.</summary>
    public bool CanWriteEof => Transport.CanWriteEof;

    /// <summary>Sends <paramref name="data"/> (buffered if the kernel does not take it all); asyncio's
    /// <c>write()</c>. Never waits: follow with <see cref="DrainAsync"/>.</summary>
    /// <param name="data">The bytes; the caller may reuse them at once.</param>
    public void Write(ReadOnlySpan<byte> data) => Transport.Write(data);

    /// <summary>Writes several buffers, in order; asyncio's <c>writelines()</c>.</summary>
    /// <param name="buffers">The buffers.</param>
    public void WriteLines(IEnumerable<ReadOnlyMemory<byte>> buffers) => Transport.WriteLines(buffers);

    /// <summary>Closes the sending side once the buffer is sent; asyncio's <c>write_eof()</c>.</summary>
    public void WriteEof() => Transport.WriteEof();

    /// <summary>Waits while the write buffer is above its high-water mark; asyncio's <c>drain()</c>.</summary>
    /// <returns>Completes at once when there is room. Await it exactly once.</returns>
    /// <remarks>A cancellation point when it waits. While the transport is closing, it waits for the
    /// connection to be lost and then throws, so that a loop of writes and drains hears of a connection
    /// that went away (asyncio yields once for the same reason).</remarks>
    /// <exception cref="Exception">The connection's error, if it failed (a reset, say).</exception>
    /// <exception cref="System.Net.Sockets.SocketException">The connection was lost while waiting, or
    /// before (<see cref="System.Net.Sockets.SocketError.ConnectionReset"/>), as asyncio's
    /// <c>ConnectionResetError('Connection lost')</c>.</exception>
    /// <exception cref="IOException">For a subprocess's stdin: the process exited or closed its stdin
    /// (a broken pipe).</exception>
    public ValueTask DrainAsync()
    {
        if (Reader?.Exception is { } error)
        {
            return ValueTask.FromException(error);
        }

        return _protocol.DrainAsync();
    }

    /// <summary>Closes the connection once the buffer is sent; asyncio's <c>close()</c>.</summary>
    public void Close() => Transport.Close();

    /// <summary>Waits until the connection is closed; asyncio's <c>wait_closed()</c>.</summary>
    /// <returns>Completes once the transport's connection is lost.</returns>
    public async Coroutine WaitClosedAsync() => await _protocol.Closed;

    /// <summary>Information about the connection by asyncio's names; see
    /// <see cref="Net.Transport.GetExtraInfo"/>.</summary>
    /// <param name="name">The name: <c>peername</c>, <c>sockname</c>, <c>socket</c>, ...</param>
    /// <param name="defaultValue">What to return for an unknown name.</param>
    /// <returns>The value.</returns>
    public object? GetExtraInfo(string name, object? defaultValue = null) => Transport.GetExtraInfo(name, defaultValue);

    /// <summary>The peer's address.</summary>
    public EndPoint? PeerName => Transport.PeerName;

    /// <inheritdoc/>
    public override string ToString() => $"<AsyncStreamWriter {Transport}>";
}
