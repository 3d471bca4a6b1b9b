namespace Aio.Files;

/// <summary>What a <see cref="FileTrip"/> does on its worker thread. Every kind but
/// <see cref="Open"/> first writes out what the file's write buffer holds.</summary>
internal enum FileTripKind : byte
{
    /// <summary>Opens the file.</summary>
    Open,

    /// <summary>Writes the write buffer out, and nothing else.</summary>
    WriteOut,

    /// <summary>One read into the read buffer's free space: returns as soon as anything arrived, as a
    /// pipe's reader must.</summary>
    FillOnce,

    /// <summary>Reads until the read buffer holds a given number of bytes, or the file ends.</summary>
    FillAtLeast,

    /// <summary>Reads to the end of the file; the bytes, or their text, are the result.</summary>
    FillToEnd,

    /// <summary>Reads until the read buffer holds a given number of characters, or the file ends, and
    /// decodes them.</summary>
    FillChars,

    /// <summary>Reads the file's length (for a seek from its end).</summary>
    Length,

    /// <summary>Closes the file, even when writing the buffer out failed.</summary>
    Close,
}
