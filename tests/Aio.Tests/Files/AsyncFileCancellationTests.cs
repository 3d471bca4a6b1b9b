using Aio.Files;
using Aio.Tests.Support;

namespace Aio.Tests.Files;

/// <summary>
/// Cancelling a task that waits on a file, and several tasks using one file: operations take turns in
/// the order they were awaited; a cancelled read consumes nothing; a cancelled write wrote a prefix; the
/// file is never corrupted and always closes.
/// </summary>
public sealed class AsyncFileCancellationTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void ReadLineAsync_CancelledWhileBlockedOnAPipe_NothingConsumedAndTheFileStillWorks()
    {
        string fifo = _dir.Fifo("pipe");
        using var writer = new FifoWriter(fifo);
        GuardedLoop.Run(async _ =>
        {
            await using AsyncFile file = await AsyncIO.OpenFile(fifo);
            AioTask<string?> reader = AsyncIO.CreateTask(file.ReadLineAsync());
            await AsyncIO.Sleep(0.05);
            Assert.False(reader.IsDone);

            reader.Cancel();
            await AioAssert.ThrowsAsync<CancelledException>(reader);

            // The cancelled read's worker is still blocked; what it receives stays buffered for the next read.
            writer.Write("hello\nworld\n");
            Assert.Equal("hello", await file.ReadLineAsync());
            Assert.Equal("world", await file.ReadLineAsync());
            writer.Close();
            Assert.Null(await file.ReadLineAsync());
        });
    }

    [Fact]
    public void ReadAsyncIntoABuffer_Cancelled_TheBufferIsNeverWritten()
    {
        string fifo = _dir.Fifo("pipe");
        using var writer = new FifoWriter(fifo);
        byte[] mine = Enumerable.Repeat((byte)0xAA, 16).ToArray();
        GuardedLoop.Run(async _ =>
        {
            await using AsyncFile file = await AsyncIO.OpenFile(fifo, "rb");
            AioTask<int> reader = AsyncIO.CreateTask(file.ReadAsync(mine));
            await AsyncIO.Sleep(0.05);
            reader.Cancel();
            await AioAssert.ThrowsAsync<CancelledException>(reader);

            writer.Write("data");
            Assert.Equal("data"u8.ToArray(), await file.ReadBytesAsync(4));
            writer.Close();
        });
        Assert.All(mine, b => Assert.Equal(0xAA, b));
    }

    [Fact]
    public void QueuedRead_CancelledBeforeItsTurn_NeverRuns()
    {
        string fifo = _dir.Fifo("pipe");
        using var writer = new FifoWriter(fifo);
        GuardedLoop.Run(async _ =>
        {
            await using AsyncFile file = await AsyncIO.OpenFile(fifo);
            AioTask<string?> first = AsyncIO.CreateTask(file.ReadLineAsync());
            AioTask<string?> second = AsyncIO.CreateTask(file.ReadLineAsync());
            await AsyncIO.Sleep(0.02);
            second.Cancel();
            await AioAssert.ThrowsAsync<CancelledException>(second);

            writer.Write("one\ntwo\n");
            Assert.Equal("one", await first);
            Assert.Equal("two", await file.ReadLineAsync());
            writer.Close();
        });
    }

    [Fact]
    public void WaitFor_ReadLineTimesOut_TheFileStillWorks()
    {
        string fifo = _dir.Fifo("pipe");
        using var writer = new FifoWriter(fifo);
        GuardedLoop.Run(async _ =>
        {
            await using AsyncFile file = await AsyncIO.OpenFile(fifo);
            await AioAssert.ThrowsAsync<TimeoutException, string?>(() => AsyncIO.WaitFor(file.ReadLineAsync(), timeout: 0.05));
            writer.Write("late\n");
            Assert.Equal("late", await file.ReadLineAsync());
            writer.Close();
        });
    }

    [Fact]
    public void WriteAsync_CancelledWhileAPipeIsFull_APrefixWasWrittenAndTheFileStillWorks()
    {
        string fifo = _dir.Fifo("pipe");
        byte[] data = Enumerable.Range(0, 1024 * 1024).Select(i => (byte)(i % 251)).ToArray();
        using var drained = new ManualResetEventSlim();
        using var reader = new MemoryStream();
        Task<FileStream> readerOpen = Task.Run(() => new FileStream(fifo, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, bufferSize: 0));
        GuardedLoop.Run(async _ =>
        {
            await using AsyncFile file = await AsyncIO.OpenFile(fifo, "wb", bufferSize: 4096);
            AioTask writing = AsyncIO.CreateTask(file.WriteAsync(data));

            // Nobody reads: the pipe fills and a worker blocks writing the buffer out.
            await AsyncIO.Sleep(0.2);
            Assert.False(writing.IsDone);
            writing.Cancel();
            await AioAssert.ThrowsAsync<CancelledException>(writing);

            Task draining = Task.Run(async () =>
            {
                using FileStream stream = await readerOpen;
                await stream.CopyToAsync(reader);
            });

            // Waits for the blocked trip to finish, then goes on.
            await file.WriteAsync("tail"u8.ToArray());
            await file.CloseAsync();
            await AsyncIO.WrapTask(draining);
        });

        byte[] received = reader.ToArray();
        int prefix = received.Length - 4;
        Assert.True(prefix > 0 && prefix < data.Length && prefix % 4096 == 0, $"prefix of {prefix} bytes");
        Assert.True(received.AsSpan(0, prefix).SequenceEqual(data.AsSpan(0, prefix)));
        Assert.Equal("tail"u8.ToArray(), received[prefix..]);
    }

    [Fact]
    public void ConcurrentWriters_OneFile_EachWriteWholeAndInTheOrderAwaited()
    {
        string path = _dir.File("shared.txt");
        GuardedLoop.Run(async _ =>
        {
            await using AsyncFile file = await AsyncIO.OpenFile(path, "w", bufferSize: 64);
            await AsyncIO.Gather(Writer(file, "A"), Writer(file, "B"), Writer(file, "C"));
        });

        string[] lines = File.ReadAllLines(path);
        Assert.Equal(1500, lines.Length);
        foreach (string name in new[] { "A", "B", "C" })
        {
            // Every line whole, each writer's lines in its own order.
            Assert.Equal(
                Enumerable.Range(0, 500).Select(i => Line(name, i)),
                lines.Where(l => l.StartsWith(name, StringComparison.Ordinal)));
        }

        // And the writers really did take turns.
        Assert.NotEqual(lines.Order(StringComparer.Ordinal), lines);

        static async Coroutine Writer(AsyncFile file, string name)
        {
            for (int i = 0; i < 500; i++)
            {
                await file.WriteAsync(Line(name, i) + "\n");
                if (i % 7 == 0)
                {
                    await AsyncIO.Yield();
                }
            }
        }

        static string Line(string name, int i) => $"{name}{i:D4}:{new string((char)('a' + (i % 26)), i % 90)}";
    }

    [Fact]
    public void ConcurrentReaders_OneFile_EveryLineToExactlyOneReader()
    {
        string path = _dir.File("lines.txt");
        string[] written = Enumerable.Range(0, 3000).Select(i => $"line {i:D5}").ToArray();
        File.WriteAllLines(path, written);
        List<string>[] read = GuardedLoop.Run(async _ =>
        {
            await using AsyncFile file = await AsyncIO.OpenFile(path, bufferSize: 64);
            return await AsyncIO.Gather(Reader(file), Reader(file), Reader(file));
        });

        Assert.Equal(written, read.SelectMany(lines => lines).Order(StringComparer.Ordinal));
        Assert.All(read, lines => Assert.Equal(lines.Order(StringComparer.Ordinal), lines));
        Assert.All(read, lines => Assert.NotEmpty(lines));

        static async Coroutine<List<string>> Reader(AsyncFile file)
        {
            var lines = new List<string>();
            while (await file.ReadLineAsync() is { } line)
            {
                lines.Add(line);
            }

            return lines;
        }
    }

    [Fact]
    public void OpenFile_CancelledWhileAPipeBlocksTheOpen_ClosedOnceTheOpenFinishes()
    {
        string fifo = _dir.Fifo("pipe");
        GuardedLoop.Run(async loop =>
        {
            AioTask<AsyncFile> opening = AsyncIO.CreateTask(AsyncIO.OpenFile(fifo));
            await AsyncIO.Sleep(0.05);
            Assert.False(opening.IsDone);
            opening.Cancel();
            await AioAssert.ThrowsAsync<CancelledException>(opening);

            // A writer lets the open finish on its worker; the file it opened is closed at once.
            using var writer = new FifoWriter(fifo);
            writer.Close();
            await AioAssert.WaitUntil(() => writer.Finished.IsSet && loop.GetResources().ExecutorCalls == 0);
            Assert.Equal(0, loop.GetResources().OpenResources);
            Assert.Equal(0, _dir.OpenDescriptors());
        });
    }

    [Fact]
    public void DisposeAsync_CancelledWhileWaitingForItsTurn_TheFileClosesAnyway()
    {
        string fifo = _dir.Fifo("pipe");
        using var writer = new FifoWriter(fifo);
        GuardedLoop.Run(async loop =>
        {
            AsyncFile file = await AsyncIO.OpenFile(fifo);
            AioTask<string?> reading = AsyncIO.CreateTask(file.ReadLineAsync());
            AioTask closing = AsyncIO.CreateTask(Close(file));
            await AsyncIO.Sleep(0.02);
            Assert.True(file.IsClosed);
            closing.Cancel();
            await AioAssert.ThrowsAsync<CancelledException>(closing);

            // The read queued before the close still runs; then the file closes by itself.
            writer.Write("last\n");
            Assert.Equal("last", await reading);
            await AioAssert.WaitUntil(() => loop.GetResources() is { OpenResources: 0, ExecutorCalls: 0 });
            writer.Close();
            await AioAssert.WaitUntil(() => writer.Finished.IsSet);
            Assert.Equal(0, _dir.OpenDescriptors());

            static async Coroutine Close(AsyncFile file) => await file.DisposeAsync();
        });
    }
}
