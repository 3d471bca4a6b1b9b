using System.Net;
using System.Net.Sockets;

namespace Aio.Net;

/// <summary>
/// One connection's byte pipe, driven by the loop; asyncio's <c>Transport</c>. Writes never block: what the
/// kernel does not take at once is buffered and sent as the socket drains, and the protocol is told to
/// pause when the buffer goes above the high-water mark.
/// </summary>
/// <remarks>Loop thread only. Created by the loop (<c>CreateServerAsync</c>, <c>CreateConnectionAsync</c>
/// and their Unix variants), never directly. A subprocess's pipes are transports too: its stdin writes
/// only (reading members throw <see cref="NotSupportedException"/>), its stdout and stderr read only.</remarks>
public abstract class Transport
{
    private protected Transport()
    {
    }

    /// <summary>The protocol the transport calls; asyncio's <c>get_protocol()</c> / <c>set_protocol()</c>.</summary>
    public abstract BaseProtocol Protocol { get; set; }

    /// <summary>Whether the transport is closing or closed; asyncio's <c>is_closing()</c>.</summary>
    public abstract bool IsClosing { get; }

    /// <summary>Whether the transport is receiving (not paused); asyncio's <c>is_reading()</c>.</summary>
    public abstract bool IsReading { get; }

    /// <summary>The connection's socket; asyncio's <c>get_extra_info('socket')</c>. Do not read from or
    /// close it directly. Null for a transport that is not a socket: a subprocess's pipes.</summary>
    public abstract Socket? Socket { get; }

    /// <summary>The peer's address; asyncio's <c>get_extra_info('peername')</c>.</summary>
    public abstract EndPoint? PeerName { get; }

    /// <summary>The local address; asyncio's <c>get_extra_info('sockname')</c>.</summary>
    public abstract EndPoint? SockName { get; }

    /// <summary>How many bytes wait in the write buffer; asyncio's <c>get_write_buffer_size()</c>.</summary>
    public abstract int WriteBufferSize { get; }

    /// <summary>The write buffer's low-water mark; see <see cref="SetWriteBufferLimits"/>.</summary>
    public abstract int WriteBufferLowWater { get; }

    /// <summary>The write buffer's high-water mark; see <see cref="SetWriteBufferLimits"/>.</summary>
    public abstract int WriteBufferHighWater { get; }

    /// <summary>Information about the connection by asyncio's names: <c>peername</c>, <c>sockname</c>,
    /// <c>socket</c>, and the TLS names on a TLS connection; asyncio's <c>get_extra_info()</c>.</summary>
    /// <param name="name">The name.</param>
    /// <param name="defaultValue">What to return for a name the transport does not know.</param>
    /// <returns>The value, or <paramref name="defaultValue"/>.</returns>
    public virtual object? GetExtraInfo(string name, object? defaultValue = null) => name switch
    {
        "peername" => PeerName,
        "sockname" => SockName,
        "socket" => Socket,
        _ => defaultValue,
    };

    /// <summary>Sends <paramref name="data"/>, buffering what the kernel does not take at once; asyncio's
    /// <c>write()</c>. Never blocks.</summary>
    /// <param name="data">The bytes; copied if they must wait, so the caller may reuse them at once.</param>
    /// <exception cref="InvalidOperationException">Called after <see cref="WriteEof"/>.</exception>
    public abstract void Write(ReadOnlySpan<byte> data);

    /// <summary>Writes several buffers, in order; asyncio's <c>writelines()</c>.</summary>
    /// <param name="buffers">The buffers.</param>
    public virtual void WriteLines(IEnumerable<ReadOnlyMemory<byte>> buffers)
    {
        ArgumentNullException.ThrowIfNull(buffers);
        foreach (ReadOnlyMemory<byte> buffer in buffers)
        {
            Write(buffer.Span);
        }
    }

    /// <summary>Closes the sending side once the buffer is sent (the peer reads end of stream); asyncio's
    /// <c>write_eof()</c>. The transport can still receive.</summary>
    public abstract void WriteEof();

    /// <summary>Whether <see cref="WriteEof"/> is supported; asyncio's <c>can_write_eof()</c>.</summary>
    public virtual bool CanWriteEof => true;

    /// <summary>Stops receiving until <see cref="ResumeReading"/>; asyncio's <c>pause_reading()</c>. The
    /// protocol gets no data meanwhile, and the kernel's buffers then hold the peer back.</summary>
    public abstract void PauseReading();

    /// <summary>Receives again after <see cref="PauseReading"/>; asyncio's <c>resume_reading()</c>.</summary>
    public abstract void ResumeReading();

    /// <summary>Sets the write buffer's water marks; asyncio's <c>set_write_buffer_limits()</c>.</summary>
    /// <param name="high">Above this many buffered bytes the protocol's <see cref="BaseProtocol.PauseWriting"/>
    /// is called; null for the default (64 KiB, or 4 × <paramref name="low"/>).</param>
    /// <param name="low">At or below this many, <see cref="BaseProtocol.ResumeWriting"/>; null for the
    /// default (a quarter of <paramref name="high"/>).</param>
    /// <exception cref="ArgumentOutOfRangeException">Not 0 ≤ low ≤ high.</exception>
    public abstract void SetWriteBufferLimits(int? high = null, int? low = null);

    /// <summary>Closes the connection once the write buffer is sent; asyncio's <c>close()</c>. The
    /// protocol's <see cref="BaseProtocol.ConnectionLost"/> is then called with null. Idempotent.</summary>
    public abstract void Close();

    /// <summary>Closes the connection at once, dropping buffered data; asyncio's <c>abort()</c>.</summary>
    public abstract void Abort();
}
