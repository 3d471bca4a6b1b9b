using System.Text;
using Aio.Files;
using Aio.Tests.Support;

namespace Aio.Tests.Files;

/// <summary>The text methods of <see cref="AsyncFile"/>: Python's text-mode <c>read</c>, <c>readline</c>,
/// <c>async for</c> and <c>write</c>, with .NET's line breaks and encodings.</summary>
public sealed class AsyncFileTextTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void WriteThenRead_Text_RoundTripsInUtf8WithoutAByteOrderMark()
    {
        string path = _dir.File("hello.txt");
        GuardedLoop.Run(async _ =>
        {
            await using (AsyncFile file = await AsyncIO.OpenFile(path, "w"))
            {
                await file.WriteAsync("héllo, ");
                await file.WriteAsync("wörld 😀\n");
                Assert.Equal(Encoding.UTF8.GetByteCount("héllo, wörld 😀\n"), file.Position);
            }

            await using (AsyncFile file = await AsyncIO.OpenFile(path))
            {
                Assert.Equal("héllo, wörld 😀\n", await file.ReadAsync());
                Assert.Equal("", await file.ReadAsync());
            }
        });
        Assert.Equal(Encoding.UTF8.GetBytes("héllo, wörld 😀\n"), File.ReadAllBytes(path));
    }

    [Fact]
    public void ReadLineAsync_EveryKindOfLineBreak_LinesWithoutBreaksThenNull()
    {
        string path = _dir.File("lines.txt");
        File.WriteAllText(path, "unix\nwindows\r\nold mac\rlast without break");
        GuardedLoop.Run(async _ =>
        {
            await using AsyncFile file = await AsyncIO.OpenFile(path);
            Assert.Equal("unix", await file.ReadLineAsync());
            Assert.Equal("windows", await file.ReadLineAsync());
            Assert.Equal("old mac", await file.ReadLineAsync());
            Assert.Equal("last without break", await file.ReadLineAsync());
            Assert.Null(await file.ReadLineAsync());
            Assert.Null(await file.ReadLineAsync());
        });
    }

    [Fact]
    public void ReadLineAsync_EmptyLinesAndFinalBreak_AsTextReaderReadsThem()
    {
        string path = _dir.File("blank.txt");
        const string text = "\n\na\r\n\r\nb\r\r\n";
        File.WriteAllText(path, text);
        var expected = new List<string>();
        using (var reader = new StringReader(text))
        {
            while (reader.ReadLine() is { } line)
            {
                expected.Add(line);
            }
        }

        List<string> lines = GuardedLoop.Run(async _ =>
        {
            var read = new List<string>();
            await using AsyncFile file = await AsyncIO.OpenFile(path);
            await foreach (string line in file)
            {
                read.Add(line);
            }

            return read;
        });
        Assert.Equal(expected, lines);
    }

    [Fact]
    public void AwaitForeach_ManyLinesThroughATinyBuffer_EveryLineOnceInOrder()
    {
        // Lines longer than the buffer, and multi-byte characters cut by every fill.
        string path = _dir.File("many.txt");
        string[] written = Enumerable.Range(0, 2000).Select(i => $"{i}: {new string('é', i % 150)}😀").ToArray();
        File.WriteAllText(path, string.Join("\n", written) + "\n");
        List<string> lines = GuardedLoop.Run(async _ =>
        {
            var read = new List<string>();
            await using AsyncFile file = await AsyncIO.OpenFile(path, bufferSize: 64);
            await foreach (string line in file)
            {
                read.Add(line);
            }

            return read;
        });
        Assert.Equal(written, lines);
    }

    [Fact]
    public void ReadAsync_Count_CharactersNotBytesAndNeverHalfAPair()
    {
        string path = _dir.File("count.txt");
        File.WriteAllText(path, "aé😀b");
        GuardedLoop.Run(async _ =>
        {
            await using AsyncFile file = await AsyncIO.OpenFile(path);
            Assert.Equal("a", await file.ReadAsync(1));
            Assert.Equal(1, file.Position);

            // "é" then half of the pair: the pair stays whole for the next read.
            Assert.Equal("é", await file.ReadAsync(2));
            Assert.Equal(3, file.Position);

            // A count of 1 at a pair returns the pair.
            Assert.Equal("😀", await file.ReadAsync(1));
            Assert.Equal(7, file.Position);
            Assert.Equal("b", await file.ReadAsync(10));
            Assert.Equal("", await file.ReadAsync(10));
        });
    }

    [Fact]
    public void ReadAsync_CountLargerThanTheBuffer_ReadsOnAWorkerExactly()
    {
        string path = _dir.File("big-count.txt");
        string text = string.Concat(Enumerable.Repeat("ab€😀", 5000));
        File.WriteAllText(path, text);
        GuardedLoop.Run(async _ =>
        {
            await using AsyncFile file = await AsyncIO.OpenFile(path, bufferSize: 256);
            string first = await file.ReadAsync(10000);
            Assert.Equal(text[..10000], first);
            Assert.Equal(Encoding.UTF8.GetByteCount(first), file.Position);

            // 4999 more would end inside a surrogate pair: one character fewer comes back.
            string second = await file.ReadAsync(4999);
            Assert.Equal(text[10000..14998], second);
            Assert.Equal(text[14998..], await file.ReadAsync());
        });
    }

    [Fact]
    public void ReadLineAsync_FileStartsWithAByteOrderMark_MarkSkippedAndCountedInPosition()
    {
        string path = _dir.File("bom.txt");
        File.WriteAllBytes(path, [0xEF, 0xBB, 0xBF, (byte)'h', (byte)'i', (byte)'\n', (byte)'x']);
        GuardedLoop.Run(async _ =>
        {
            await using AsyncFile file = await AsyncIO.OpenFile(path);
            Assert.Equal("hi", await file.ReadLineAsync());
            Assert.Equal(6, file.Position);

            // Back to the start: the mark is skipped again, by every text read.
            await file.SeekAsync(0);
            Assert.Equal("hi\nx", await file.ReadAsync());
            await file.SeekAsync(0);
            Assert.Equal("h", await file.ReadAsync(1));
        });
    }

    [Fact]
    public void ReadLineAsync_Utf16WithMark_LinesFoundAtCodeUnitBoundaries()
    {
        // U+0A0D and U+0D0A hold the bytes of "\r" and "\n" at odd offsets: they are not line breaks.
        string path = _dir.File("utf16.txt");
        string text = "\u0A0D\u0D0A first\r\nsecond\nthird";
        File.WriteAllText(path, text, Encoding.Unicode);
        List<string> lines = GuardedLoop.Run(async _ =>
        {
            var read = new List<string>();
            await using AsyncFile file = await AsyncIO.OpenFile(path, "r", Encoding.Unicode, bufferSize: 64);
            await foreach (string line in file)
            {
                read.Add(line);
            }

            return read;
        });
        Assert.Equal(["\u0A0D\u0D0A first", "second", "third"], lines);
    }

    [Fact]
    public void ReadLineAsync_BigEndianUtf16_LinesFound()
    {
        string path = _dir.File("utf16be.txt");
        var encoding = new UnicodeEncoding(bigEndian: true, byteOrderMark: false);
        File.WriteAllBytes(path, encoding.GetBytes("one\ntwo\r\nthree"));
        List<string> lines = GuardedLoop.Run(async _ =>
        {
            var read = new List<string>();
            await using AsyncFile file = await AsyncIO.OpenFile(path, "r", encoding);
            await foreach (string line in file)
            {
                read.Add(line);
            }

            return read;
        });
        Assert.Equal(["one", "two", "three"], lines);
    }

    [Fact]
    public void TextAndByteReads_OneFile_ShareOneExactPosition()
    {
        string path = _dir.File("mixed.txt");
        File.WriteAllText(path, "héader\nbody bytes");
        GuardedLoop.Run(async _ =>
        {
            await using AsyncFile file = await AsyncIO.OpenFile(path);
            Assert.Equal("héader", await file.ReadLineAsync());
            Assert.Equal(8, file.Position);
            Assert.Equal("body bytes"u8.ToArray(), await file.ReadBytesAsync());
        });
    }

    [Fact]
    public void WriteAsync_TextLargerThanTheBuffer_WrittenWhole()
    {
        string path = _dir.File("large-text.txt");
        string text = string.Concat(Enumerable.Range(0, 20000).Select(i => $"line {i} ✓\n"));
        GuardedLoop.Run(async _ =>
        {
            await using AsyncFile file = await AsyncIO.OpenFile(path, "w", bufferSize: 100);
            await file.WriteAsync(text);
        });
        Assert.Equal(text, File.ReadAllText(path));
    }

    [Fact]
    public void WriteAsync_SurrogatePairSplitAcrossWrites_EncodedAsOneCharacter()
    {
        string path = _dir.File("split.txt");
        GuardedLoop.Run(async _ =>
        {
            await using AsyncFile file = await AsyncIO.OpenFile(path, "w");
            await file.WriteAsync("x\uD83D");
            await file.WriteAsync("\uDE00y");
        });
        Assert.Equal("x😀y", File.ReadAllText(path));
    }

    [Fact]
    public void WriteAsync_Latin1_EncodedWithTheFilesEncoding()
    {
        string path = _dir.File("latin1.txt");
        GuardedLoop.Run(async _ =>
        {
            await using (AsyncFile file = await AsyncIO.OpenFile(path, "w", Encoding.Latin1))
            {
                Assert.Same(Encoding.Latin1, file.Encoding);
                await file.WriteAsync("café\n");
            }

            await using (AsyncFile file = await AsyncIO.OpenFile(path, "r", Encoding.Latin1))
            {
                Assert.Equal("café", await file.ReadLineAsync());
            }
        });
        Assert.Equal([(byte)'c', (byte)'a', (byte)'f', 0xE9, (byte)'\n'], File.ReadAllBytes(path));
    }

    [Fact]
    public void ReadPlus_ReadALineThenWrite_WriteLandsAtThePosition()
    {
        string path = _dir.File("rplus.txt");
        File.WriteAllText(path, "first\nsecond\n");
        GuardedLoop.Run(async _ =>
        {
            await using AsyncFile file = await AsyncIO.OpenFile(path, "r+");
            Assert.Equal("first", await file.ReadLineAsync());
            await file.WriteAsync("SECOND");
            Assert.Equal(12, file.Position);
            Assert.Equal("", await file.ReadLineAsync());
            Assert.Null(await file.ReadLineAsync());
        });
        Assert.Equal("first\nSECOND\n", File.ReadAllText(path));
    }

    [Fact]
    public void ToString_NamesTheFileModeAndEncoding()
    {
        string path = _dir.File("repr.txt");
        GuardedLoop.Run(async _ =>
        {
            AsyncFile file = await AsyncIO.OpenFile(path, "w");
            Assert.Equal($"<AsyncFile name='{path}' mode='w' encoding='utf-8'>", file.ToString());
            await file.CloseAsync();
            Assert.EndsWith(" closed>", file.ToString(), StringComparison.Ordinal);
        });
    }
}
