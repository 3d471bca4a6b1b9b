using System.Runtime.CompilerServices;

namespace Aio.Tests.Tasks;

/// <summary>
/// asyncio's "Task exception was never retrieved". Every task under test is created and inspected in
/// non-inlined helpers and held through <see cref="Holder"/>: a debug build keeps every local of an async
/// method alive in its state machine, which would keep the task reachable and hide the report.
/// </summary>
public sealed class NeverRetrievedTests
{
    public enum Retrieval
    {
        Await,
        Result,
        Exception,
    }

    [Fact]
    public void FailedTask_DroppedWithoutRetrieval_ReportedOnceWithNameAndCreationSite()
    {
        var reports = new List<LoopExceptionContext>();
        var holder = new Holder();
        Guarded.Run(
            async loop =>
            {
                loop.SetExceptionHandler((_, context) => reports.Add(context));
                SpawnFailing(holder, "doomed");
                await AsyncIO.Sleep(0);
                AssertFailedAndDrop(holder);
                await AsyncIO.Sleep(0);

                Gc.CollectAll();
                Assert.False(holder.Weak!.IsAlive);
                await AsyncIO.Sleep(0);
                Assert.Single(reports);

                Gc.CollectAll();
                await AsyncIO.Sleep(0);
            },
            allowHandlerReports: true);

        // Checked after the loop closed: the close-time sweep must not report it a second time.
        LoopExceptionContext report = Assert.Single(reports);
        Assert.Equal("Task exception was never retrieved", report.Message);
        Assert.Equal("boom doomed", Assert.IsType<InvalidOperationException>(report.Exception).Message);
        AioTask task = Assert.IsAssignableFrom<AioTask>(report.Future);
        Assert.Equal("doomed", task.Name);
        Assert.Equal($"{nameof(NeverRetrievedTests)}.cs:{holder.Line}", task.CreatedAt);
        Assert.Contains("doomed", report.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(Retrieval.Await)]
    [InlineData(Retrieval.Result)]
    [InlineData(Retrieval.Exception)]
    public void FailedTask_ExceptionRetrievedThenDropped_NeverReported(Retrieval how)
    {
        var reports = new List<LoopExceptionContext>();
        var holder = new Holder();
        Guarded.Run(async loop =>
        {
            loop.SetExceptionHandler((_, context) => reports.Add(context));
            SpawnFailing(holder, "retrieved");
            await AsyncIO.Sleep(0);
            switch (how)
            {
                case Retrieval.Await:
                    await RetrieveByAwait(holder);
                    break;
                case Retrieval.Result:
                    RetrieveByResult(holder);
                    break;
                default:
                    RetrieveByException(holder);
                    break;
            }

            await AsyncIO.Sleep(0);
            Gc.CollectAll();

            // Collected for sure, so a missing report means the retrieval was recorded.
            Assert.False(holder.Weak!.IsAlive);
            await AsyncIO.Sleep(0);
        });
        Assert.Empty(reports);
    }

    [Fact]
    public void FailedTask_UnreachableWhenLoopCloses_ReportedAtTheLatestByClose()
    {
        var reports = new List<LoopExceptionContext>();
        var holder = new Holder();
        Guarded.Run(
            async loop =>
            {
                loop.SetExceptionHandler((_, context) => reports.Add(context));
                SpawnFailing(holder, "late");
                await AsyncIO.Sleep(0);
                AssertFailedAndDrop(holder);
                await AsyncIO.Sleep(0);
            },
            allowHandlerReports: true);

        LoopExceptionContext report = Assert.Single(reports);
        Assert.Equal("Task exception was never retrieved", report.Message);
        Assert.Equal("late", Assert.IsAssignableFrom<AioTask>(report.Future).Name);
    }

    [Fact]
    public void CancelledTask_DroppedWithoutRetrieval_NeverReported()
    {
        var reports = new List<LoopExceptionContext>();
        var holder = new Holder();
        Guarded.Run(async loop =>
        {
            loop.SetExceptionHandler((_, context) => reports.Add(context));
            SpawnCancelled(holder);
            await AsyncIO.Sleep(0);
            await AsyncIO.Sleep(0);
            AssertCancelledAndDrop(holder);
            await AsyncIO.Sleep(0);

            Gc.CollectAll();
            Assert.False(holder.Weak!.IsAlive);
            await AsyncIO.Sleep(0);
        });
        Assert.Empty(reports);
    }

    [Fact]
    public void FailedFuture_DroppedWithoutRetrieval_ReportedAsFutureException()
    {
        var reports = new List<LoopExceptionContext>();
        var holder = new Holder();
        Guarded.Run(
            async loop =>
            {
                loop.SetExceptionHandler((_, context) => reports.Add(context));
                FailFuture(loop, holder);
                await AsyncIO.Sleep(0);

                Gc.CollectAll();
                Assert.False(holder.Weak!.IsAlive);
                await AsyncIO.Sleep(0);
            },
            allowHandlerReports: true);

        LoopExceptionContext report = Assert.Single(reports);
        Assert.Equal("Future exception was never retrieved", report.Message);
        Assert.Equal("future boom", report.Exception?.Message);
        Assert.IsType<Future<int>>(report.Future);
    }

    // ---- helpers --------------------------------------------------------------------------------

    /// <summary>Where the test keeps the task between steps without a local of its own.</summary>
    private sealed class Holder
    {
        public AioTask<int>? Task;
        public WeakReference? Weak;
        public int Line;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void SpawnFailing(Holder holder, string name)
    {
        holder.Line = LineHere() + 1;
        AioTask<int> task = AsyncIO.CreateTask(FailAtOnce("boom " + name), name);
        holder.Task = task;
        holder.Weak = new WeakReference(task);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void SpawnCancelled(Holder holder)
    {
        AioTask<int> task = AsyncIO.CreateTask(SleepThenReturn(), "cancelled");
        task.Cancel();
        holder.Task = task;
        holder.Weak = new WeakReference(task);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void FailFuture(EventLoop loop, Holder holder)
    {
        Future<int> future = loop.CreateFuture<int>();
        future.SetException(new InvalidOperationException("future boom"));
        holder.Weak = new WeakReference(future);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void AssertFailedAndDrop(Holder holder)
    {
        Assert.True(holder.Task!.IsFaulted);
        holder.Task = null;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void AssertCancelledAndDrop(Holder holder)
    {
        Assert.True(holder.Task!.IsCancelled);
        holder.Task = null;
    }

    private static async Coroutine RetrieveByAwait(Holder holder)
    {
        AioTask<int> task = holder.Task!;
        holder.Task = null;
        await AwaitAssert.Throws<InvalidOperationException>(task);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void RetrieveByResult(Holder holder)
    {
        AioTask<int> task = holder.Task!;
        holder.Task = null;
        Assert.Throws<InvalidOperationException>(() => task.Result);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void RetrieveByException(Holder holder)
    {
        AioTask<int> task = holder.Task!;
        holder.Task = null;
        Assert.IsType<InvalidOperationException>(task.Exception);
    }

    private static async Coroutine<int> FailAtOnce(string message)
    {
        await default(Coroutine);
        throw new InvalidOperationException(message);
    }

    private static async Coroutine<int> SleepThenReturn()
    {
        await AsyncIO.Sleep(0);
        return 1;
    }

    private static int LineHere([CallerLineNumber] int line = 0) => line;
}
