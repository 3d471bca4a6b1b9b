using System.Text;
using Aio.Files;
using Aio.Tests.Support;

namespace Aio.Tests.Files;

/// <summary>What a wrong call or a failing system call looks like: the exception .NET's own file APIs
/// throw, at the await (or at the call, for a bad argument), and a loop that keeps running.</summary>
public sealed class AsyncFileErrorTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void OpenFile_Missing_FileNotFoundAndTheLoopGoesOn()
    {
        GuardedLoop.Run(async _ =>
        {
            var error = await AioAssert.ThrowsAsync<FileNotFoundException, AsyncFile>(() => AsyncIO.OpenFile(_dir.File("missing.txt")));
            Assert.Contains("missing.txt", error.Message, StringComparison.Ordinal);
            await AioAssert.ThrowsAsync<FileNotFoundException, AsyncFile>(() => AsyncIO.OpenFile(_dir.File("missing.txt"), "r+b"));
            await AsyncIO.Sleep(0.001);
        });
        Assert.Equal(0, _dir.OpenDescriptors());
    }

    [Fact]
    public void OpenFile_MissingDirectory_DirectoryNotFound()
    {
        GuardedLoop.Run(async _ =>
            await AioAssert.ThrowsAsync<DirectoryNotFoundException, AsyncFile>(() => AsyncIO.OpenFile(_dir.File("no/such/file.txt"), "w")));
    }

    [Fact]
    public void OpenFile_Directory_UnauthorizedAccess()
    {
        GuardedLoop.Run(async _ =>
            await AioAssert.ThrowsAsync<UnauthorizedAccessException, AsyncFile>(() => AsyncIO.OpenFile(_dir.Path)));
    }

    [Fact]
    public void OpenFile_ExclusiveCreateOfAnExistingFile_IOException()
    {
        string path = _dir.File("exists.txt");
        File.WriteAllText(path, "kept");
        GuardedLoop.Run(async _ =>
            await AioAssert.ThrowsAsync<IOException, AsyncFile>(() => AsyncIO.OpenFile(path, "x")));
        Assert.Equal("kept", File.ReadAllText(path));
    }

    [Theory]
    [InlineData("")]
    [InlineData("rw")]
    [InlineData("rr")]
    [InlineData("r++")]
    [InlineData("rbt")]
    [InlineData("b")]
    [InlineData("+")]
    [InlineData("q")]
    [InlineData("R")]
    public void OpenFile_InvalidMode_ArgumentExceptionAtTheCall(string mode)
    {
        GuardedLoop.Run(_ =>
        {
            var error = Assert.Throws<ArgumentException>(() => AsyncIO.OpenFile(_dir.File("f"), mode));
            Assert.Equal("mode", error.ParamName);
            return default;
        });
    }

    [Fact]
    public void OpenFile_BadArguments_RefusedAtTheCall()
    {
        GuardedLoop.Run(_ =>
        {
            Assert.Equal("encoding", Assert.Throws<ArgumentException>(() => AsyncIO.OpenFile(_dir.File("f"), "rb", Encoding.UTF8)).ParamName);
            Assert.Throws<ArgumentOutOfRangeException>(() => AsyncIO.OpenFile(_dir.File("f"), "r", bufferSize: 63));
            Assert.Throws<ArgumentException>(() => AsyncIO.OpenFile("", "r"));
            Assert.Throws<ArgumentNullException>(() => AsyncIO.OpenFile(null!, "r"));
            Assert.Throws<ArgumentException>(() => AsyncIO.OpenFile(_dir.File("f"), FileMode.Append, FileAccess.ReadWrite));
            Assert.Throws<ArgumentException>(() => AsyncIO.OpenFile(_dir.File("f"), FileMode.Truncate, FileAccess.Read));
            Assert.Throws<ArgumentOutOfRangeException>(() => AsyncIO.OpenFile(_dir.File("f"), (FileMode)42, FileAccess.Read));
            return default;
        });
    }

    [Fact]
    public void ReadingAWriteOnlyFile_InvalidOperation()
    {
        string path = _dir.File("write-only.txt");
        GuardedLoop.Run(async _ =>
        {
            await using AsyncFile file = await AsyncIO.OpenFile(path, "w");
            var error = await AioAssert.ThrowsAsync<InvalidOperationException, string?>(() => file.ReadLineAsync());
            Assert.Contains("writing only", error.Message, StringComparison.Ordinal);
            await AioAssert.ThrowsAsync<InvalidOperationException, byte[]>(() => file.ReadBytesAsync());
            await AioAssert.ThrowsAsync<InvalidOperationException, int>(() => file.ReadAsync(new byte[4]));

            // The file is still fine.
            await file.WriteAsync("still writable");
        });
        Assert.Equal("still writable", File.ReadAllText(path));
    }

    [Fact]
    public void WritingAReadOnlyFile_InvalidOperation()
    {
        string path = _dir.File("read-only.txt");
        File.WriteAllText(path, "x");
        GuardedLoop.Run(async _ =>
        {
            await using AsyncFile file = await AsyncIO.OpenFile(path);
            await AioAssert.ThrowsAsync<InvalidOperationException>(() => file.WriteAsync("y"));
            await AioAssert.ThrowsAsync<InvalidOperationException>(() => file.WriteAsync("y"u8.ToArray()));
            Assert.Equal("x", await file.ReadAsync());
        });
    }

    [Fact]
    public void TextMethodsOnABinaryFile_InvalidOperationNamingTheMode()
    {
        string path = _dir.File("binary.bin");
        File.WriteAllText(path, "line\n");
        GuardedLoop.Run(async _ =>
        {
            await using AsyncFile file = await AsyncIO.OpenFile(path, "r+b");
            var error = await AioAssert.ThrowsAsync<InvalidOperationException, string?>(() => file.ReadLineAsync());
            Assert.Contains("binary mode 'r+b'", error.Message, StringComparison.Ordinal);
            await AioAssert.ThrowsAsync<InvalidOperationException, string>(() => file.ReadAsync());
            await AioAssert.ThrowsAsync<InvalidOperationException>(() => file.WriteAsync("text"));
            await Assert.ThrowsAsync<InvalidOperationException>(async () =>
            {
                await foreach (string line in file)
                {
                }
            });
            Assert.Equal("line\n"u8.ToArray(), await file.ReadBytesAsync());
        });
    }

    [Fact]
    public void AfterClose_EveryOperation_ObjectDisposed()
    {
        string path = _dir.File("closed.txt");
        File.WriteAllText(path, "x\n");
        GuardedLoop.Run(async _ =>
        {
            AsyncFile file = await AsyncIO.OpenFile(path, "r+");
            await file.DisposeAsync();
            Assert.True(file.IsClosed);
            await AioAssert.ThrowsAsync<ObjectDisposedException, string?>(() => file.ReadLineAsync());
            await AioAssert.ThrowsAsync<ObjectDisposedException, byte[]>(() => file.ReadBytesAsync());
            await AioAssert.ThrowsAsync<ObjectDisposedException>(() => file.WriteAsync("y"));
            await AioAssert.ThrowsAsync<ObjectDisposedException>(() => file.FlushAsync());
            await AioAssert.ThrowsAsync<ObjectDisposedException, long>(() => file.SeekAsync(0));
            Assert.Throws<ObjectDisposedException>(() => file.Position);

            // Closing again does nothing.
            await file.DisposeAsync();
            await file.CloseAsync();
        });
    }

    [Fact]
    public void OperationsQueuedBeforeClose_RunFirst_LaterOnesRefused()
    {
        string first100 = new('1', 100);
        string path = _dir.File("queued.txt");
        GuardedLoop.Run(async _ =>
        {
            // A tiny buffer: the first write waits for a trip while holding its turn, the second queues.
            AsyncFile file = await AsyncIO.OpenFile(path, "w", bufferSize: 64);
            AioTask first = AsyncIO.CreateTask(file.WriteAsync(first100));
            AioTask second = AsyncIO.CreateTask(file.WriteAsync("second"));
            await AsyncIO.Sleep(0);
            Assert.False(first.IsDone);
            Assert.False(second.IsDone);
            Task closing = file.DisposeAsync().AsTask();
            await AioAssert.ThrowsAsync<ObjectDisposedException>(() => file.WriteAsync("too late"));
            await AsyncIO.Gather(first, second);
            await closing;
        });
        Assert.Equal(first100 + "second", File.ReadAllText(path));
    }

    [Fact]
    public void Fifo_SeekAndPosition_NotSupported()
    {
        string fifo = _dir.Fifo("pipe");
        using var writer = new FifoWriter(fifo);
        GuardedLoop.Run(async _ =>
        {
            await using AsyncFile file = await AsyncIO.OpenFile(fifo, "rb");
            Assert.False(file.CanSeek);
            Assert.Throws<NotSupportedException>(() => file.Position);
            await AioAssert.ThrowsAsync<NotSupportedException, long>(() => file.SeekAsync(0));
            writer.Close();
            Assert.Empty(await file.ReadBytesAsync());
        });
    }

    [Fact]
    public void OneShots_MissingFile_FileNotFound()
    {
        GuardedLoop.Run(async _ =>
        {
            await AioAssert.ThrowsAsync<FileNotFoundException, string>(() => AsyncIO.ReadAllTextAsync(_dir.File("none")));
            await AioAssert.ThrowsAsync<FileNotFoundException, byte[]>(() => AsyncIO.ReadAllBytesAsync(_dir.File("none")));
            await AioAssert.ThrowsAsync<DirectoryNotFoundException>(() => AsyncIO.WriteAllTextAsync(_dir.File("no/f"), "x"));
            await AioAssert.ThrowsAsync<DirectoryNotFoundException>(() => AsyncIO.WriteAllBytesAsync(_dir.File("no/f"), new byte[1]));
        });
    }
}
