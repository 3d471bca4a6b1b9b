namespace Aio.Net;

/// <summary>The stream ended before a read got all it asked for; asyncio's
/// <c>asyncio.IncompleteReadError</c>. <see cref="Partial"/> holds what did arrive.</summary>
public sealed class IncompleteReadException : EndOfStreamException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="partial">The bytes read before the end of the stream.</param>
    /// <param name="expected">How many bytes were asked for; null when reading up to a separator.</param>
    public IncompleteReadException(byte[] partial, int? expected)
        : base($"{partial.Length} bytes read on a total of {(expected is { } e ? e.ToString(System.Globalization.CultureInfo.InvariantCulture) : "undefined")} expected bytes")
    {
        Partial = partial;
        Expected = expected;
    }

    /// <summary>The bytes read before the end of the stream.</summary>
    public byte[] Partial { get; }

    /// <summary>How many bytes were asked for; null for a read up to a separator.</summary>
    public int? Expected { get; }
}
