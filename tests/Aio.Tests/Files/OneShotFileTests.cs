using System.Text;
using Aio.Tests.Support;

namespace Aio.Tests.Files;

/// <summary><c>AsyncIO.ReadAllTextAsync</c> and its siblings: a whole file in one call, off the loop.</summary>
public sealed class OneShotFileTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void WriteAllTextThenReadAllText_RoundTripsWithoutAByteOrderMark()
    {
        string path = _dir.File("text.txt");
        string read = GuardedLoop.Run(async _ =>
        {
            await AsyncIO.WriteAllTextAsync(path, "héllo\r\nwörld 😀");
            return await AsyncIO.ReadAllTextAsync(path);
        });
        Assert.Equal("héllo\r\nwörld 😀", read);
        Assert.Equal(Encoding.UTF8.GetBytes("héllo\r\nwörld 😀"), File.ReadAllBytes(path));
    }

    [Fact]
    public void ReadAllTextAsync_ByteOrderMarkOfTheEncoding_Skipped()
    {
        string utf8 = _dir.File("utf8.txt");
        string utf16 = _dir.File("utf16.txt");
        File.WriteAllText(utf8, "with mark", new UTF8Encoding(encoderShouldEmitUTF8Identifier: true));
        File.WriteAllText(utf16, "wide", Encoding.Unicode);
        GuardedLoop.Run(async _ =>
        {
            Assert.Equal("with mark", await AsyncIO.ReadAllTextAsync(utf8));
            Assert.Equal("wide", await AsyncIO.ReadAllTextAsync(utf16, Encoding.Unicode));
        });
    }

    [Fact]
    public void WriteAllTextAsync_AnotherEncoding_WrittenInIt()
    {
        string path = _dir.File("latin1.txt");
        GuardedLoop.Run(async _ => await AsyncIO.WriteAllTextAsync(path, "café", Encoding.Latin1));
        Assert.Equal([(byte)'c', (byte)'a', (byte)'f', 0xE9], File.ReadAllBytes(path));
    }

    [Fact]
    public void WriteAllBytesThenReadAllBytes_LargerThanOneBuffer_RoundTrip()
    {
        string path = _dir.File("bytes.bin");
        byte[] data = Enumerable.Range(0, (3 * 1024 * 1024) + 7).Select(i => (byte)(i * 7)).ToArray();
        byte[] read = GuardedLoop.Run(async _ =>
        {
            await AsyncIO.WriteAllBytesAsync(path, data);
            return await AsyncIO.ReadAllBytesAsync(path);
        });
        Assert.Equal(data, read);
    }

    [Fact]
    public void WriteAllBytesAsync_Empty_CreatesAnEmptyFile()
    {
        string path = _dir.File("empty.bin");
        File.WriteAllText(path, "old");
        GuardedLoop.Run(async _ => await AsyncIO.WriteAllBytesAsync(path, ReadOnlyMemory<byte>.Empty));
        Assert.Empty(File.ReadAllBytes(path));
    }

    [Fact]
    public void OneShots_BadArguments_RefusedAtTheCall()
    {
        GuardedLoop.Run(_ =>
        {
            Assert.Throws<ArgumentException>(() => AsyncIO.ReadAllTextAsync(""));
            Assert.Throws<ArgumentException>(() => AsyncIO.ReadAllBytesAsync(""));
            Assert.Throws<ArgumentNullException>(() => AsyncIO.WriteAllTextAsync(_dir.File("f"), null!));
            Assert.Throws<ArgumentException>(() => AsyncIO.WriteAllBytesAsync("", new byte[1]));
            return default;
        });
    }
}
