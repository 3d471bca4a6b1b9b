namespace Aio.Net;

/// <summary>
/// A stream transport's write buffer limits and the flow control they drive: above the high-water mark the
/// protocol's <c>PauseWriting</c> is called, at or below the low-water mark its <c>ResumeWriting</c>, each
/// once per crossing; asyncio's <c>set_write_buffer_limits()</c> and <c>_maybe_pause_protocol()</c>.
/// </summary>
/// <remarks>A mutable struct, kept in a field of its transport, so that a write pays no extra object;
/// never copy it.</remarks>
internal struct WriteWaterMarks
{
    private const int DefaultHigh = 64 * 1024;

    private bool _protocolPaused;

    /// <summary>The default marks: 64 KiB and a quarter of it.</summary>
    public WriteWaterMarks()
    {
        High = DefaultHigh;
        Low = DefaultHigh / 4;
    }

    /// <summary>The high-water mark.</summary>
    internal int High { get; private set; }

    /// <summary>The low-water mark.</summary>
    internal int Low { get; private set; }

    /// <summary>Sets the marks as <see cref="Transport.SetWriteBufferLimits"/> describes.</summary>
    /// <param name="high">The high-water mark; null for the default.</param>
    /// <param name="low">The low-water mark; null for the default.</param>
    /// <exception cref="ArgumentOutOfRangeException">Not 0 ≤ low ≤ high.</exception>
    internal void Set(int? high, int? low)
    {
        int h = high ?? (low is { } l ? 4 * l : DefaultHigh);
        int lowWater = low ?? h / 4;
        if (lowWater < 0 || h < lowWater)
        {
            throw new ArgumentOutOfRangeException(nameof(high), $"high ({h}) must be >= low ({lowWater}) must be >= 0");
        }

        High = h;
        Low = lowWater;
    }

    /// <summary>Pauses the protocol's writing when <paramref name="buffered"/> went above the high-water mark.
    /// An exception from the protocol is reported; the transport stays open.</summary>
    /// <param name="buffered">How many bytes wait to be sent.</param>
    /// <param name="protocol">The transport's protocol.</param>
    /// <param name="source">The transport's source, to report through.</param>
    internal void PauseProtocolIfAbove(int buffered, BaseProtocol protocol, TransportSource source)
    {
        if (!_protocolPaused && buffered > High)
        {
            _protocolPaused = true;
            try
            {
                protocol.PauseWriting();
            }
            catch (Exception e)
            {
                source.ReportError(e, "protocol.PauseWriting() failed");
            }
        }
    }

    /// <summary>Resumes the protocol's writing when <paramref name="buffered"/> drained to the low-water
    /// mark after a pause. An exception from the protocol is reported; the transport stays open.</summary>
    /// <param name="buffered">How many bytes wait to be sent.</param>
    /// <param name="protocol">The transport's protocol.</param>
    /// <param name="source">The transport's source, to report through.</param>
    internal void ResumeProtocolIfDrained(int buffered, BaseProtocol protocol, TransportSource source)
    {
        if (_protocolPaused && buffered <= Low)
        {
            _protocolPaused = false;
            try
            {
                protocol.ResumeWriting();
            }
            catch (Exception e)
            {
                source.ReportError(e, "protocol.ResumeWriting() failed");
            }
        }
    }
}
