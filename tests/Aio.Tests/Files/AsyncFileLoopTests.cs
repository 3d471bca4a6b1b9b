using System.Diagnostics;
using Aio.Files;
using Aio.Tests.Support;
using Microsoft.Extensions.Logging;

namespace Aio.Tests.Files;

/// <summary>How files live with the loop: their blocking calls never hold it, their results come back to
/// it as the awaiting task, many files go at once, no descriptor leaks, and debug mode reports a file
/// left open.</summary>
public sealed class AsyncFileLoopTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void SlowPipe_OpenAndReadBlockOnWorkers_TheLoopKeepsTicking()
    {
        string fifo = _dir.Fifo("slow");
        GuardedLoop.Run(async loop =>
        {
            int ticks = 0;
            AioTask ticker = AsyncIO.CreateTask(Tick());

            // Opening a FIFO blocks until a writer comes, and reading it until the writer writes.
            var open = Stopwatch.StartNew();
            using var writer = new FifoWriter(fifo, openAfter: TimeSpan.FromSeconds(0.3));
            await using AsyncFile file = await AsyncIO.OpenFile(fifo);
            Assert.True(open.Elapsed.TotalSeconds >= 0.25, "the open did not wait for the writer");
            int ticksWhileOpening = ticks;

            loop.CallLater(0.3, () => writer.Write("at last\n"));
            Assert.Equal("at last", await file.ReadLineAsync());
            int ticksWhileReading = ticks - ticksWhileOpening;

            ticker.Cancel();
            await AioAssert.ThrowsAsync<CancelledException>(ticker);
            writer.Close();
            Assert.True(ticksWhileOpening > 0, "the loop stood still while the file was opening");
            Assert.True(ticksWhileReading > 0, "the loop stood still while the line was being read");

            async Coroutine Tick()
            {
                while (true)
                {
                    await AsyncIO.Sleep(0.01);
                    ticks++;
                }
            }
        });
    }

    [Fact]
    public void Results_ResumeOnTheLoopThreadAsTheTaskThatAwaited()
    {
        string path = _dir.File("resume.txt");
        File.WriteAllText(path, "a\nb\n");
        GuardedLoop.Run(async _ =>
        {
            int loopThread = Environment.CurrentManagedThreadId;
            AioTask? task = AsyncIO.CurrentTask;
            await using AsyncFile file = await AsyncIO.OpenFile(path);
            Assert.Equal("a", await file.ReadLineAsync());
            Assert.Equal(loopThread, Environment.CurrentManagedThreadId);
            Assert.Same(task, AsyncIO.CurrentTask);

            // An ordinary async method awaiting the file comes back as the task too.
            Assert.Equal("b\n", await ReadRest(file));
            Assert.Same(task, AsyncIO.CurrentTask);

            async Task<string> ReadRest(AsyncFile f)
            {
                string rest = await f.ReadAsync();
                Assert.Same(task, AsyncIO.CurrentTask);
                Assert.Equal(loopThread, Environment.CurrentManagedThreadId);
                return rest;
            }
        });
    }

    [Fact]
    public void ManyFiles_ReadConcurrentlyByTheirOwnTasks_EachReadRight()
    {
        byte[][] contents = Enumerable.Range(0, 24).Select(i => Enumerable.Range(0, 50_000 + i).Select(j => (byte)(i ^ j)).ToArray()).ToArray();
        for (int i = 0; i < contents.Length; i++)
        {
            File.WriteAllBytes(_dir.File($"f{i}.bin"), contents[i]);
        }

        byte[][] read = GuardedLoop.Run(async _ =>
            await AsyncIO.Gather(Enumerable.Range(0, contents.Length).Select(i => ReadInChunks(_dir.File($"f{i}.bin")))));
        Assert.Equal(contents, read);

        static async Coroutine<byte[]> ReadInChunks(string path)
        {
            await using AsyncFile file = await AsyncIO.OpenFile(path, "rb", bufferSize: 4096);
            var all = new MemoryStream();
            byte[] chunk = new byte[1000];
            while (await file.ReadAsync(chunk) is int n and > 0)
            {
                all.Write(chunk, 0, n);
            }

            return all.ToArray();
        }
    }

    [Fact]
    public void OpenUseClose_ManyTimesSomeCancelled_NoDescriptorLeft()
    {
        Assert.Equal(0, _dir.OpenDescriptors());
        GuardedLoop.Run(async loop =>
        {
            var tasks = new List<AioTask>();
            for (int i = 0; i < 40; i++)
            {
                tasks.Add(AsyncIO.CreateTask(RoundTrip(_dir.File($"f{i}.txt"), i)));
            }

            // Some are cancelled wherever they are: opening, writing, reading or closing.
            await AsyncIO.Sleep(0);
            for (int i = 0; i < tasks.Count; i += 3)
            {
                tasks[i].Cancel();
            }

            await AsyncIO.Wait(tasks);
            await AioAssert.WaitUntil(() => loop.GetResources() is { OpenResources: 0, ExecutorCalls: 0 });
        });
        Assert.Equal(0, _dir.OpenDescriptors());

        async Coroutine RoundTrip(string path, int i)
        {
            await using (AsyncFile file = await AsyncIO.OpenFile(path, "w"))
            {
                await file.WriteAsync(new string('x', i * 100));
                Assert.True(_dir.OpenDescriptors() > 0);
            }

            await using (AsyncFile file = await AsyncIO.OpenFile(path, "rb"))
            {
                Assert.Equal(i * 100, (await file.ReadBytesAsync()).Length);
            }
        }
    }

    [Fact]
    public void CustomExecutor_RunsEveryBlockingCallOfTheFile()
    {
        string path = _dir.File("executor.txt");
        var executor = new CountingExecutor();
        GuardedLoop.Run(async _ =>
        {
            await using (AsyncFile file = await AsyncIO.OpenFile(path, "w", executor: executor))
            {
                await file.WriteAsync("via my executor\n");
            }

            await using (AsyncFile file = await AsyncIO.OpenFile(path, FileMode.Open, FileAccess.Read, executor: executor))
            {
                Assert.Equal("via my executor", await file.ReadLineAsync());
            }
        });

        // Open, close; open, one read, close.
        Assert.Equal(5, executor.Calls);
    }

    [Fact]
    public void DebugMode_FileLeftOpen_ReportedAtCloseWithWhereItWasOpened()
    {
        string path = _dir.File("forgotten.txt");
        var reports = new List<LoopExceptionContext>();
        AsyncFile? forgotten = null;
        var loop = new EventLoop(new EventLoopOptions { Debug = true });
        try
        {
            loop.SetExceptionHandler((_, context) => reports.Add(context));
            loop.RunUntilComplete(loop.CreateTask(OpenAndForget()));
        }
        finally
        {
            loop.Close();
        }

        LoopExceptionContext report = Assert.Single(reports);
        Assert.Equal($"Unclosed file '{path}' mode='w'", report.Message);
        Assert.Equal(LogLevel.Warning, report.Level);
        Assert.Contains(nameof(OpenAndForget), report.CreationStackTrace!.ToString(), StringComparison.Ordinal);

        // With its loop closed, disposing closes it on this thread.
        Assert.Equal(1, _dir.OpenDescriptors());
        Assert.True(forgotten!.DisposeAsync().IsCompletedSuccessfully);
        Assert.Equal(0, _dir.OpenDescriptors());

        async Coroutine OpenAndForget()
        {
            forgotten = await AsyncIO.OpenFile(path, "w");
        }
    }

    [Fact]
    public void DebugMode_FileClosed_NothingReported()
    {
        string path = _dir.File("closed.txt");
        LoopTest.Run(
            async _ =>
            {
                await using AsyncFile file = await AsyncIO.OpenFile(path, "w");
                await file.WriteAsync("x");
            },
            options: new EventLoopOptions { Debug = true });
    }

    /// <summary>Runs work on the thread pool and counts it.</summary>
    private sealed class CountingExecutor : IExecutor
    {
        private int _calls;

        public int Calls => Volatile.Read(ref _calls);

        public void Execute(IExecutorWork work)
        {
            Interlocked.Increment(ref _calls);
            ThreadPool.QueueUserWorkItem(static w => w.Run(), work, preferLocal: false);
        }
    }
}
