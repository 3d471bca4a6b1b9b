using System.Runtime.CompilerServices;

namespace Aio.Tests.Tasks;

/// <summary>
/// The asyncio "GC trap": a task nobody references must not be collected while it is pending. The tasks
/// are created in non-inlined helpers so that no local of the test (kept alive by a debug build's state
/// machine) references them; only a weak reference comes back.
/// </summary>
public sealed class TaskLifetimeTests
{
    [Fact]
    public void Task_AwaitingFutureHeldOnlyByTimerCallback_SurvivesCollectionsAndCompletes()
    {
        int result = Guarded.Run(async loop =>
        {
            Future<int> finished = loop.CreateFuture<int>();
            WeakReference weak = SpawnAwaitingTimerFuture(loop, finished);
            await AsyncIO.Sleep(0);

            Gc.CollectAll();
            Assert.True(weak.IsAlive);
            Gc.CollectAll();
            return await finished;
        });
        Assert.Equal(5, result);
    }

    [Fact]
    public void Task_OnlySleeping_SurvivesCollectionsAndCompletes()
    {
        int result = Guarded.Run(async loop =>
        {
            Future<int> finished = loop.CreateFuture<int>();
            WeakReference weak = SpawnSleeper(finished);
            await AsyncIO.Sleep(0);

            Gc.CollectAll();
            Assert.True(weak.IsAlive);
            Gc.CollectAll();
            return await finished;
        });
        Assert.Equal(6, result);
    }

    [Fact]
    public void Task_AwaitingFutureOnlyItReferences_StaysListedAndCanStillBeCancelled()
    {
        Guarded.Run(async loop =>
        {
            WeakReference weak = SpawnForgotten();
            await AsyncIO.Sleep(0);

            Gc.CollectAll();
            Assert.True(weak.IsAlive);

            // Nothing but the loop can reach the task now; asyncio's all_tasks() still finds it.
            AioTask forgotten = Assert.Single(AsyncIO.AllTasks(), t => t.Name == "forgotten");
            forgotten.Cancel();
            await AwaitAssert.Cancelled(forgotten);
        });
    }

    [Fact]
    public void Task_AwaitingDotNetTaskHeldOnlyByTimerCallback_SurvivesCollectionsAndCompletes()
    {
        int result = Guarded.Run(async loop =>
        {
            Future<int> finished = loop.CreateFuture<int>();
            WeakReference weak = SpawnAwaitingDotNetTask(loop, finished);
            await AsyncIO.Sleep(0);

            Gc.CollectAll();
            Assert.True(weak.IsAlive);
            Gc.CollectAll();
            return await finished;
        });
        Assert.Equal(7, result);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static WeakReference SpawnAwaitingTimerFuture(EventLoop loop, Future<int> finished)
    {
        Future<int> source = loop.CreateFuture<int>();
        loop.CallLater(0.02, () => source.SetResult(5));
        return new WeakReference(AsyncIO.CreateTask(Relay(source, finished)));

        static async Coroutine Relay(Future<int> source, Future<int> finished) => finished.SetResult(await source);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static WeakReference SpawnSleeper(Future<int> finished)
    {
        return new WeakReference(AsyncIO.CreateTask(Sleep(finished)));

        static async Coroutine Sleep(Future<int> finished)
        {
            await AsyncIO.Sleep(0.02);
            finished.SetResult(6);
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static WeakReference SpawnForgotten()
    {
        return new WeakReference(AsyncIO.CreateTask(WaitForever(), "forgotten"));

        static async Coroutine WaitForever()
        {
            Future<int> nobodyElseKnows = AsyncIO.GetRunningLoop().CreateFuture<int>();
            await nobodyElseKnows;
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static WeakReference SpawnAwaitingDotNetTask(EventLoop loop, Future<int> finished)
    {
        var source = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        loop.CallLater(0.02, () => source.SetResult(7));
        return new WeakReference(AsyncIO.CreateTask(Relay(source.Task, finished)));

        static async Coroutine Relay(Task<int> source, Future<int> finished) => finished.SetResult(await source);
    }
}
