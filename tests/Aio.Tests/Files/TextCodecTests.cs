using System.Text;
using Aio.Files;

namespace Aio.Tests.Files;

/// <summary>Finding lines in bytes and decoding an exact number of characters, the two things that let a
/// text file keep an exact byte position.</summary>
public sealed class TextCodecTests
{
    private static readonly TextCodec Utf8 = TextCodec.For(new UTF8Encoding(false));
    private static readonly TextCodec Utf16 = TextCodec.For(Encoding.Unicode);

    [Fact]
    public void TryFindLine_CarriageReturnLastBeforeTheEnd_WaitsForTheNextByte()
    {
        int scanned = 0;
        Assert.False(Utf8.TryFindLine("ab\r"u8, 0, atEnd: false, ref scanned, out _, out _));
        Assert.Equal(2, scanned);

        Assert.True(Utf8.TryFindLine("ab\r\ncd"u8, 0, atEnd: false, ref scanned, out int length, out int consumed));
        Assert.Equal((2, 4), (length, consumed));

        scanned = 0;
        Assert.True(Utf8.TryFindLine("ab\r"u8, 0, atEnd: true, ref scanned, out length, out consumed));
        Assert.Equal((2, 3), (length, consumed));
    }

    [Fact]
    public void TryFindLine_NoBreak_RemembersHowFarItSearched()
    {
        int scanned = 0;
        Assert.False(Utf8.TryFindLine("abcdef"u8, 0, atEnd: false, ref scanned, out _, out _));
        Assert.Equal(6, scanned);
        Assert.True(Utf8.TryFindLine("abcdefgh\n"u8, 0, atEnd: false, ref scanned, out int length, out int consumed));
        Assert.Equal((8, 9), (length, consumed));
    }

    [Fact]
    public void TryFindLine_Utf16CodeUnitCutByTheEnd_LooksAgainWhenMoreArrives()
    {
        byte[] bytes = Encoding.Unicode.GetBytes("ab\n");
        int scanned = 0;
        Assert.False(Utf16.TryFindLine(bytes.AsSpan(0, 5), 0, atEnd: false, ref scanned, out _, out _));
        Assert.True(Utf16.TryFindLine(bytes, 0, atEnd: false, ref scanned, out int length, out int consumed));
        Assert.Equal((4, 6), (length, consumed));
    }

    [Fact]
    public void TryFindLine_Utf16AtAnOddFileOffset_AlignsToTheFile()
    {
        // The data starts one byte into a code unit: the first whole unit is at offset 1.
        byte[] bytes = [0x00, .. Encoding.Unicode.GetBytes("a\nb")];
        int scanned = 0;
        Assert.True(Utf16.TryFindLine(bytes, 1, atEnd: false, ref scanned, out int length, out int consumed));
        Assert.Equal((3, 5), (length, consumed));
    }

    [Fact]
    public void TryDecode_TrailingPartialCharacter_NotCountedInTheBytesUsed()
    {
        // "ab" and the first byte of a four-byte character: two characters take two bytes, not three.
        byte[] bytes = [.. "ab"u8, 0xF0];
        Assert.True(Utf8.TryDecode(bytes, 2, atEnd: false, out string text, out int used));
        Assert.Equal(("ab", 2), (text, used));
        Assert.False(Utf8.TryDecode(bytes, 3, atEnd: false, out _, out _));
        Assert.True(Utf8.TryDecode(bytes, 3, atEnd: true, out text, out used));
        Assert.Equal(("ab\uFFFD", 3), (text, used));
    }

    [Fact]
    public void TryDecode_InvalidBytes_ReplacedAndCountedExactly()
    {
        byte[] bytes = [(byte)'a', 0xFF, (byte)'b', (byte)'c'];
        Assert.True(Utf8.TryDecode(bytes, 3, atEnd: false, out string text, out int used));
        Assert.Equal(("a\uFFFDb", 3), (text, used));
    }

    [Fact]
    public void PreambleLength_PartialMark_UndecidedUntilMoreArrives()
    {
        Assert.Equal(-1, Utf8.PreambleLength([0xEF, 0xBB], atEnd: false));
        Assert.Equal(0, Utf8.PreambleLength([0xEF, 0xBB], atEnd: true));
        Assert.Equal(3, Utf8.PreambleLength([0xEF, 0xBB, 0xBF, 0x41], atEnd: false));
        Assert.Equal(0, Utf8.PreambleLength("abc"u8, atEnd: false));
        Assert.Equal(2, Utf16.PreambleLength([0xFF, 0xFE, 0x41, 0x00], atEnd: false));
    }
}
