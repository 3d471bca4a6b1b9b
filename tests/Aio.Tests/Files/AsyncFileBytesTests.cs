using Aio.Files;
using Aio.Tests.Support;

namespace Aio.Tests.Files;

/// <summary>The byte methods of <see cref="AsyncFile"/>, positions, seeking and append mode.</summary>
public sealed class AsyncFileBytesTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void WriteThenRead_Bytes_RoundTrip()
    {
        string path = _dir.File("data.bin");
        byte[] data = Pattern(1000);
        GuardedLoop.Run(async _ =>
        {
            await using (AsyncFile file = await AsyncIO.OpenFile(path, "wb"))
            {
                Assert.Null(file.Encoding);
                await file.WriteAsync(data.AsMemory(0, 10));
                await file.WriteAsync(data.AsMemory(10));
            }

            await using (AsyncFile file = await AsyncIO.OpenFile(path, "rb"))
            {
                Assert.Equal(data[..3], await file.ReadBytesAsync(3));
                Assert.Equal(data[3..], await file.ReadBytesAsync());
                Assert.Empty(await file.ReadBytesAsync());
                Assert.Empty(await file.ReadBytesAsync(5));
            }
        });
        Assert.Equal(data, File.ReadAllBytes(path));
    }

    [Fact]
    public void ReadAsync_LargeFileInChunks_StreamsEveryByteInOrder()
    {
        string path = _dir.File("large.bin");
        byte[] data = Pattern((8 * 1024 * 1024) + 123);
        File.WriteAllBytes(path, data);
        GuardedLoop.Run(async _ =>
        {
            await using AsyncFile file = await AsyncIO.OpenFile(path, "rb");
            byte[] chunk = new byte[64 * 1024];
            long total = 0;
            int trips = 0;
            while (await file.ReadAsync(chunk) is int read and > 0)
            {
                Assert.True(chunk.AsSpan(0, read).SequenceEqual(data.AsSpan((int)total, read)), $"bytes differ after {total}");
                total += read;
                trips++;
            }

            Assert.Equal(data.Length, total);
            Assert.Equal(data.Length, file.Position);
            Assert.True(trips >= data.Length / chunk.Length, "reads never exceed the file's buffer");
        });
    }

    [Fact]
    public void ReadBytesAsync_CountsLargerThanTheBuffer_ExactChunksThenTheRest()
    {
        string path = _dir.File("chunks.bin");
        byte[] data = Pattern(3_000_000);
        File.WriteAllBytes(path, data);
        GuardedLoop.Run(async _ =>
        {
            await using AsyncFile file = await AsyncIO.OpenFile(path, "rb", bufferSize: 4096);
            var read = new List<byte>();
            while (await file.ReadBytesAsync(1_000_000) is { Length: > 0 } chunk)
            {
                Assert.True(chunk.Length == 1_000_000 || read.Count + chunk.Length == data.Length);
                read.AddRange(chunk);
            }

            Assert.Equal(data, read);
        });
    }

    [Fact]
    public void ReadBytesAsync_All_IsTheWholeFile()
    {
        string path = _dir.File("all.bin");
        byte[] data = Pattern(200_000);
        File.WriteAllBytes(path, data);
        GuardedLoop.Run(async _ =>
        {
            await using AsyncFile file = await AsyncIO.OpenFile(path, "rb");
            Assert.Equal(data[0], (await file.ReadBytesAsync(1))[0]);
            Assert.Equal(data[1..], await file.ReadBytesAsync());
        });
    }

    [Fact]
    public void SeekAsync_EveryOrigin_MovesThePositionAndTheNextRead()
    {
        string path = _dir.File("seek.bin");
        File.WriteAllBytes(path, Pattern(100));
        GuardedLoop.Run(async _ =>
        {
            await using AsyncFile file = await AsyncIO.OpenFile(path, "rb");
            Assert.True(file.CanSeek);
            Assert.Equal(0, file.Position);
            Assert.Equal(10, await file.SeekAsync(10));
            Assert.Equal(Pattern(100)[10], (await file.ReadBytesAsync(1))[0]);

            // Within what is buffered: the buffer is kept.
            Assert.Equal(20, await file.SeekAsync(9, SeekOrigin.Current));
            Assert.Equal(Pattern(100)[20], (await file.ReadBytesAsync(1))[0]);

            Assert.Equal(97, await file.SeekAsync(-3, SeekOrigin.End));
            Assert.Equal(Pattern(100)[97..], await file.ReadBytesAsync());
            Assert.Equal(5, await file.SeekAsync(-95, SeekOrigin.Current));
            Assert.Equal(200, await file.SeekAsync(200));
            Assert.Empty(await file.ReadBytesAsync());
            await AioAssert.ThrowsAsync<IOException, long>(() => file.SeekAsync(-1, SeekOrigin.Begin));
            Assert.Equal(200, file.Position);
        });
    }

    [Fact]
    public void SeekAsync_AfterWrites_BufferedBytesLandFirst()
    {
        string path = _dir.File("seek-write.bin");
        GuardedLoop.Run(async _ =>
        {
            await using AsyncFile file = await AsyncIO.OpenFile(path, "w+b");
            await file.WriteAsync("abcdef"u8.ToArray());
            Assert.Equal(6, file.Position);
            await file.SeekAsync(2);
            await file.WriteAsync("XY"u8.ToArray());
            await file.SeekAsync(0);
            Assert.Equal("abXYef"u8.ToArray(), await file.ReadBytesAsync());
        });
        Assert.Equal("abXYef"u8.ToArray(), File.ReadAllBytes(path));
    }

    [Fact]
    public void AppendMode_WritesGoToTheEndWhereverThePositionIs()
    {
        string path = _dir.File("append.txt");
        File.WriteAllText(path, "start\n");
        GuardedLoop.Run(async _ =>
        {
            await using (AsyncFile file = await AsyncIO.OpenFile(path, "a"))
            {
                Assert.Equal(6, file.Position);
                await file.WriteAsync("one\n");
                Assert.Equal(10, file.Position);
            }

            await using (AsyncFile file = await AsyncIO.OpenFile(path, "a+"))
            {
                await file.SeekAsync(0);
                Assert.Equal("start", await file.ReadLineAsync());
                await file.WriteAsync("two\n");
                await file.FlushAsync();
                Assert.Equal(14, file.Position);
                await file.SeekAsync(0);
                Assert.Equal("start\none\ntwo\n", await file.ReadAsync());
            }
        });
        Assert.Equal("start\none\ntwo\n", File.ReadAllText(path));
    }

    [Fact]
    public void FileModeOverload_AppendAndReadWrite_AsFileStreamTakesThem()
    {
        string path = _dir.File("filemode.txt");
        GuardedLoop.Run(async _ =>
        {
            await using (AsyncFile file = await AsyncIO.OpenFile(path, FileMode.CreateNew, FileAccess.Write))
            {
                Assert.Equal("FileMode.CreateNew, FileAccess.Write", file.Mode);
                await file.WriteAsync("a");
            }

            await using (AsyncFile file = await AsyncIO.OpenFile(path, FileMode.Append, FileAccess.Write))
            {
                await file.WriteAsync("b"u8.ToArray());
            }

            await using (AsyncFile file = await AsyncIO.OpenFile(path, FileMode.Open, FileAccess.ReadWrite))
            {
                Assert.Equal("ab", await file.ReadLineAsync());
                await file.WriteAsync("c");
            }
        });
        Assert.Equal("abc", File.ReadAllText(path));
    }

    [Fact]
    public void ExclusiveCreate_NewFile_CreatedAndWritable()
    {
        string path = _dir.File("new.txt");
        GuardedLoop.Run(async _ =>
        {
            await using AsyncFile file = await AsyncIO.OpenFile(path, "x");
            Assert.False(file.CanRead);
            Assert.True(file.CanWrite);
            await file.WriteAsync("made");
        });
        Assert.Equal("made", File.ReadAllText(path));
    }

    [Fact]
    public void FlushAsync_BufferedWrites_VisibleToOtherReadersBeforeClose()
    {
        string path = _dir.File("flush.txt");
        GuardedLoop.Run(async _ =>
        {
            await using AsyncFile file = await AsyncIO.OpenFile(path, "w");
            await file.WriteAsync("buffered");
            Assert.Equal("", await AsyncIO.ReadAllTextAsync(path));
            await file.FlushAsync();
            Assert.Equal("buffered", await AsyncIO.ReadAllTextAsync(path));
        });
    }

    /// <summary>Bytes that differ from one position to the next, so a misplaced chunk shows.</summary>
    private static byte[] Pattern(int length)
    {
        byte[] data = new byte[length];
        for (int i = 0; i < length; i++)
        {
            data[i] = (byte)((i * 31) ^ (i >> 8));
        }

        return data;
    }
}
