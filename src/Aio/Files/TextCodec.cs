using System.Buffers;
using System.Text;

namespace Aio.Files;

/// <summary>
/// Text over a byte buffer, decoded only as far as it is read. Lines are found in the bytes themselves
/// (the encoded line feed and carriage return, at code-unit boundaries), and each line is decoded on its
/// own; a fixed number of characters is decoded with the exact count of bytes it took. So a text file
/// keeps no decoded characters ahead of its position: the position stays an exact byte offset, and text
/// and byte reads can follow each other on one file.
/// </summary>
/// <remarks>
/// Works for every encoding whose line feed and carriage return encode to one code unit that no other
/// character contains at a code-unit boundary: UTF-8, ASCII, Latin-1 and the other single-byte code pages,
/// UTF-16 and UTF-32 in either byte order, and the common double-byte code pages (whose trail bytes are
/// never 0x0A or 0x0D).
/// </remarks>
internal sealed class TextCodec
{
    private static readonly TextCodec s_default = new(OpenRequest.DefaultEncoding);

    private readonly byte[] _lineFeed;
    private readonly byte[] _carriageReturn;

    /// <summary>Which byte of a code unit the search looks for.</summary>
    private readonly int _keyByte;

    private TextCodec(Encoding encoding)
    {
        Encoding = encoding;
        _lineFeed = encoding.GetBytes("\n");
        _carriageReturn = encoding.GetBytes("\r");
        if (_lineFeed.Length == 0 || _lineFeed.Length != _carriageReturn.Length)
        {
            throw new ArgumentException($"Encoding {encoding.WebName} does not encode line breaks as single code units; it cannot be read by lines.", nameof(encoding));
        }

        // UTF8Encoding without a preamble still decodes files that start with one: skip it either way,
        // as StreamReader does.
        Preamble = encoding is UTF8Encoding ? [0xEF, 0xBB, 0xBF] : encoding.GetPreamble();
        MaxBytesPerPair = encoding.GetMaxByteCount(2);

        // Search for the byte where the two differ (the last one in big-endian UTF-16), so that the zero
        // bytes of a wide encoding do not all look like candidates.
        while (_keyByte < _lineFeed.Length - 1 && _lineFeed[_keyByte] == _carriageReturn[_keyByte])
        {
            _keyByte++;
        }
    }

    internal Encoding Encoding { get; }

    /// <summary>The byte-order mark a text read skips at the start of the file.</summary>
    internal byte[] Preamble { get; }

    /// <summary>Room a write needs to encode any one character, surrogate pairs included.</summary>
    internal int MaxBytesPerPair { get; }

    internal static TextCodec For(Encoding encoding) =>
        ReferenceEquals(encoding, OpenRequest.DefaultEncoding) ? s_default : new TextCodec(encoding);

    /// <summary>How many bytes of byte-order mark start <paramref name="data"/>, which starts at the
    /// beginning of the file; -1 when too few bytes are there to tell.</summary>
    internal int PreambleLength(ReadOnlySpan<byte> data, bool atEnd)
    {
        ReadOnlySpan<byte> preamble = Preamble;
        if (data.Length >= preamble.Length)
        {
            return data.StartsWith(preamble) ? preamble.Length : 0;
        }

        return atEnd || !preamble.StartsWith(data) ? 0 : -1;
    }

    /// <summary>
    /// Finds the end of the first line in <paramref name="data"/>: a line feed, a carriage return and line
    /// feed, or a lone carriage return, as <see cref="TextReader.ReadLine"/> ends lines.
    /// </summary>
    /// <param name="data">Unread bytes.</param>
    /// <param name="fileOffset">Where <paramref name="data"/> starts in the file, for code-unit alignment.</param>
    /// <param name="atEnd">Nothing follows <paramref name="data"/>: a final carriage return ends a line.</param>
    /// <param name="scanned">In: bytes already searched by an earlier call on the same data, where the
    /// search resumes. Out: where the next call can resume when no line was found.</param>
    /// <param name="lineLength">The length of the line, without its terminator.</param>
    /// <param name="consumed">The length of the line with its terminator.</param>
    /// <returns>Whether a whole line is there.</returns>
    internal bool TryFindLine(ReadOnlySpan<byte> data, long fileOffset, bool atEnd, ref int scanned, out int lineLength, out int consumed)
    {
        int unit = _lineFeed.Length;
        int key = _keyByte;
        int searchFrom = scanned + key;
        while (searchFrom < data.Length)
        {
            int found = data[searchFrom..].IndexOfAny(_lineFeed[key], _carriageReturn[key]);
            if (found < 0)
            {
                break;
            }

            int at = searchFrom + found - key;
            if (unit > 1 && (fileOffset + at) % unit != 0)
            {
                // Part of some other character: code units start at multiples of the unit in the file.
                searchFrom += found + 1;
                continue;
            }

            if (at + unit > data.Length)
            {
                // A code unit cut by the end of the data: look at it again once more has arrived.
                break;
            }

            ReadOnlySpan<byte> codeUnit = data.Slice(at, unit);
            bool lineFeed = codeUnit.SequenceEqual(_lineFeed);
            if (!lineFeed && !codeUnit.SequenceEqual(_carriageReturn))
            {
                searchFrom = at + unit + key;
                continue;
            }

            if (lineFeed || at + (2 * unit) <= data.Length)
            {
                lineLength = at;
                consumed = !lineFeed && data.Slice(at + unit, unit).SequenceEqual(_lineFeed) ? at + (2 * unit) : at + unit;
                return true;
            }

            if (atEnd)
            {
                lineLength = at;
                consumed = at + unit;
                return true;
            }

            // A carriage return last: a line feed may follow.
            scanned = at;
            lineLength = consumed = 0;
            return false;
        }

        // Resume where a code unit cut by the end of the data could start.
        scanned = Math.Max(scanned, data.Length - unit + 1);
        lineLength = consumed = 0;
        return false;
    }

    /// <summary>Decodes whole bytes (a line, or everything to the end of the file).</summary>
    internal string Decode(ReadOnlySpan<byte> data) => data.IsEmpty ? string.Empty : Encoding.GetString(data);

    /// <summary>
    /// Decodes the first <paramref name="count"/> characters of <paramref name="data"/> and says exactly
    /// how many bytes they took. A surrogate pair is never split: when <paramref name="count"/> would end
    /// inside one, one character fewer is returned (or the pair, when <paramref name="count"/> is 1).
    /// </summary>
    /// <returns>False when <paramref name="data"/> does not hold that many characters yet and more may
    /// come; at the end of the file, whatever is there is returned.</returns>
    internal bool TryDecode(ReadOnlySpan<byte> data, int count, bool atEnd, out string text, out int bytesUsed)
    {
        if (count == 0 || (data.IsEmpty && atEnd))
        {
            text = string.Empty;
            bytesUsed = 0;
            return true;
        }

        char[] chars = ArrayPool<char>.Shared.Rent(Math.Max(count, 2));
        try
        {
            Decoder decoder = Encoding.GetDecoder();

            // A decoder that runs out of input in the middle of a character keeps those bytes and counts
            // them as used. When that happens right after the last wanted character, the count would be
            // too high: decode again without the trailing bytes, one at a time, until none are held.
            for (int trim = 0; trim <= data.Length; trim++)
            {
                ReadOnlySpan<byte> input = data[..^trim];
                bool flush = atEnd && trim == 0;
                decoder.Reset();
                int charsUsed;
                bool completed;
                try
                {
                    decoder.Convert(input, chars.AsSpan(0, count), flush, out bytesUsed, out charsUsed, out completed);
                }
                catch (ArgumentException) when (count == 1)
                {
                    // The first character is a surrogate pair: it needs two.
                    decoder.Reset();
                    decoder.Convert(input, chars.AsSpan(0, 2), flush, out bytesUsed, out charsUsed, out completed);
                }

                if (!completed || flush)
                {
                    // Stopped for room, with whole characters only; or at the end, where all is wanted.
                    text = new string(chars, 0, charsUsed);
                    return true;
                }

                if (charsUsed < count)
                {
                    // All the input gave too few characters.
                    break;
                }

                if (!HoldsPartialCharacter(decoder))
                {
                    text = new string(chars, 0, charsUsed);
                    return true;
                }
            }

            text = string.Empty;
            bytesUsed = 0;
            return false;
        }
        finally
        {
            ArrayPool<char>.Shared.Return(chars);
        }
    }

    private static bool HoldsPartialCharacter(Decoder decoder)
    {
        Span<char> rest = stackalloc char[4];
        decoder.Convert(ReadOnlySpan<byte>.Empty, rest, flush: true, out _, out int produced, out _);
        return produced > 0;
    }
}
