using Aio.Queues;
using Aio.Tests.Support;

namespace Aio.Tests.Queues;

/// <summary>asyncio 3.13's <c>_QueueShutdownTestMixin</c> (test_queues.py), run on every kind of queue,
/// plus what shutting down does to waits already woken.</summary>
public sealed class QueueShutdownTests
{
    [Theory]
    [MemberData(nameof(QueueKinds.All), MemberType = typeof(QueueKinds))]
    public void Shutdown_Empty_FailsWaitingGetters_AndEveryPutAndGet(string kind)
    {
        // asyncio: test_shutdown_empty.
        GuardedLoop.Run(async _ =>
        {
            var q = QueueKinds.Create<string>(kind);
            AioTask<string> getTask = AsyncIO.CreateTask(Get(q));
            await AsyncIO.Sleep(0);

            q.Shutdown(immediate: false);
            Assert.True(q.IsShutDown);
            Assert.Equal(0, q.Count);
            await q.JoinAsync();

            await AsyncIO.Sleep(0);
            Assert.True(getTask.IsDone);
            await AioAssert.ThrowsAsync<QueueShutDownException>(getTask);

            await AioAssert.ThrowsAsync<QueueShutDownException>(() => Put(q, "data"));
            Assert.Throws<QueueShutDownException>(() => q.PutNowait("data"));
            Assert.Throws<QueueShutDownException>(() => q.TryPut("data"));
            await AioAssert.ThrowsAsync<QueueShutDownException, string>(() => Get(q));
            Assert.Throws<QueueShutDownException>(() => q.GetNowait());
            Assert.Throws<QueueShutDownException>(() => q.TryGet(out var _));
        });
    }

    [Theory]
    [MemberData(nameof(QueueKinds.All), MemberType = typeof(QueueKinds))]
    public void Shutdown_NonEmpty_FailsPutters_LetsGetsDrain_AndJoinWaitsForTaskDone(string kind)
    {
        // asyncio: test_shutdown_nonempty.
        GuardedLoop.Run(async _ =>
        {
            var q = QueueKinds.Create<string>(kind, maxSize: 1);
            q.PutNowait("data");
            AioTask joinTask = AsyncIO.CreateTask(Join(q));
            AioTask putTask = AsyncIO.CreateTask(Put(q, "data2"));
            await AsyncIO.Sleep(0);
            Assert.False(putTask.IsDone);

            q.Shutdown(immediate: false);
            Assert.Equal(1, q.Count);

            await AsyncIO.Sleep(0);
            Assert.True(putTask.IsDone);
            await AioAssert.ThrowsAsync<QueueShutDownException>(putTask);

            Assert.Equal("data", await q.GetAsync());
            await AsyncIO.Sleep(0);
            Assert.False(joinTask.IsDone);

            await AioAssert.ThrowsAsync<QueueShutDownException>(() => Put(q, "data"));
            Assert.Throws<QueueShutDownException>(() => q.PutNowait("data"));
            await AioAssert.ThrowsAsync<QueueShutDownException, string>(() => Get(q));
            Assert.Throws<QueueShutDownException>(() => q.GetNowait());

            q.TaskDone();
            await AsyncIO.Sleep(0);
            Assert.True(joinTask.IsDone);
            await joinTask;
            Assert.Throws<InvalidOperationException>(q.TaskDone);
        });
    }

    [Theory]
    [MemberData(nameof(QueueKinds.All), MemberType = typeof(QueueKinds))]
    public void ShutdownImmediate_DiscardsItems_AndReleasesJoin(string kind)
    {
        // asyncio: test_shutdown_immediate.
        GuardedLoop.Run(async _ =>
        {
            var q = QueueKinds.Create<string>(kind);
            q.PutNowait("data");
            AioTask joinTask = AsyncIO.CreateTask(Join(q));

            q.Shutdown(immediate: true);
            Assert.Equal(0, q.Count);
            Assert.Equal(0, q.UnfinishedTasks);

            await AsyncIO.Sleep(0);
            Assert.True(joinTask.IsDone);
            await joinTask;

            await AioAssert.ThrowsAsync<QueueShutDownException>(() => Put(q, "data"));
            Assert.Throws<QueueShutDownException>(() => q.PutNowait("data"));
            await AioAssert.ThrowsAsync<QueueShutDownException, string>(() => Get(q));
            Assert.Throws<QueueShutDownException>(() => q.GetNowait());
            Assert.Throws<InvalidOperationException>(q.TaskDone);
        });
    }

    [Theory]
    [MemberData(nameof(QueueKinds.All), MemberType = typeof(QueueKinds))]
    public void ShutdownImmediate_WithAnItemTakenButNotDone_JoinWaitsForIt(string kind)
    {
        // asyncio: test_shutdown_immediate_with_unfinished.
        GuardedLoop.Run(async _ =>
        {
            var q = QueueKinds.Create<string>(kind);
            q.PutNowait("data");
            q.PutNowait("data");
            AioTask joinTask = AsyncIO.CreateTask(Join(q));
            Assert.Equal("data", await q.GetAsync());

            q.Shutdown(immediate: true);
            Assert.Equal(0, q.Count);
            Assert.Equal(1, q.UnfinishedTasks);

            await AsyncIO.Sleep(0);
            Assert.False(joinTask.IsDone);

            await AioAssert.ThrowsAsync<QueueShutDownException>(() => Put(q, "data"));
            Assert.Throws<QueueShutDownException>(() => q.PutNowait("data"));
            await AioAssert.ThrowsAsync<QueueShutDownException, string>(() => Get(q));
            Assert.Throws<QueueShutDownException>(() => q.GetNowait());

            q.TaskDone();
            Assert.Throws<InvalidOperationException>(q.TaskDone);
            await AsyncIO.Sleep(0);
            Assert.True(joinTask.IsDone);
            await joinTask;
        });
    }

    [Theory]
    [MemberData(nameof(QueueKinds.All), MemberType = typeof(QueueKinds))]
    public void ShutdownImmediate_FailsEveryWaitingGetterAndPutter(string kind)
    {
        GuardedLoop.Run(async _ =>
        {
            var empty = QueueKinds.Create<int>(kind, maxSize: 1);
            AioTask<int>[] getters = Enumerable.Range(0, 3).Select(_ => AsyncIO.CreateTask(Get(empty))).ToArray();
            var full = QueueKinds.Create<int>(kind, maxSize: 1);
            full.PutNowait(0);
            AioTask[] putters = Enumerable.Range(1, 3).Select(i => AsyncIO.CreateTask(Put(full, i))).ToArray();
            await AsyncIO.Sleep(0);

            empty.Shutdown(immediate: true);
            full.Shutdown(immediate: true);
            foreach (AioTask<int> getter in getters)
            {
                await AioAssert.ThrowsAsync<QueueShutDownException>(getter);
            }

            foreach (AioTask putter in putters)
            {
                await AioAssert.ThrowsAsync<QueueShutDownException>(putter);
            }

            Assert.Equal(0, full.Count);
            Assert.Equal(0, full.UnfinishedTasks);
        });
    }

    [Theory]
    [MemberData(nameof(QueueKinds.All), MemberType = typeof(QueueKinds))]
    public void Shutdown_GetterWokenBefore_KeepsItsItem(string kind)
    {
        // A plain shutdown lets gets drain the queue: a getter already woken for an item still gets it.
        GuardedLoop.Run(async _ =>
        {
            var q = QueueKinds.Create<string>(kind);
            AioTask<string> getter = AsyncIO.CreateTask(Get(q));
            await AsyncIO.Sleep(0);

            q.PutNowait("promised");
            q.Shutdown();
            Assert.Equal("promised", await getter);
            Assert.Equal(0, q.Count);
        });
    }

    [Theory]
    [MemberData(nameof(QueueKinds.All), MemberType = typeof(QueueKinds))]
    public void ShutdownImmediate_GetterWokenBefore_FindsItsItemGone(string kind)
    {
        GuardedLoop.Run(async _ =>
        {
            var q = QueueKinds.Create<string>(kind);
            AioTask<string> getter = AsyncIO.CreateTask(Get(q));
            await AsyncIO.Sleep(0);

            q.PutNowait("discarded");
            q.Shutdown(immediate: true);
            await AioAssert.ThrowsAsync<QueueShutDownException>(getter);
            Assert.Equal(0, q.Count);
            Assert.Equal(0, q.UnfinishedTasks);
        });
    }

    [Theory]
    [MemberData(nameof(QueueKinds.All), MemberType = typeof(QueueKinds))]
    public void Shutdown_PutterWokenBefore_IsRefusedAndAddsNothing(string kind)
    {
        // asyncio too: a putter woken for a slot checks again, and a shut-down queue refuses it.
        GuardedLoop.Run(async _ =>
        {
            var q = QueueKinds.Create<string>(kind, maxSize: 1);
            q.PutNowait("first");
            AioTask putter = AsyncIO.CreateTask(Put(q, "second"));
            await AsyncIO.Sleep(0);

            Assert.Equal("first", q.GetNowait());
            q.Shutdown();
            await AioAssert.ThrowsAsync<QueueShutDownException>(putter);
            Assert.Equal(0, q.Count);
            Assert.Equal(1, q.UnfinishedTasks);
            Assert.False(q.IsFull);
        });
    }

    [Theory]
    [MemberData(nameof(QueueKinds.All), MemberType = typeof(QueueKinds))]
    public void Shutdown_ThenCancelBeforeTheGetterRuns_TheTaskEndsCancelled(string kind)
    {
        // The get already failed with QueueShutDownException when the cancel arrives; Cancel() returns true,
        // so the task must end cancelled, as asyncio's __step throws the pending CancelledError.
        GuardedLoop.Run(async _ =>
        {
            var q = QueueKinds.Create<int>(kind);
            AioTask<int> getter = AsyncIO.CreateTask(Get(q));
            await AsyncIO.Sleep(0);
            q.Shutdown();
            Assert.True(getter.Cancel());
            await AioAssert.ThrowsAsync<CancelledException>(getter);
            Assert.True(getter.IsCancelled);
        });
    }

    [Theory]
    [MemberData(nameof(QueueKinds.All), MemberType = typeof(QueueKinds))]
    public void Shutdown_ThenCancelBeforeThePutterRuns_TheTaskEndsCancelled(string kind)
    {
        GuardedLoop.Run(async _ =>
        {
            var q = QueueKinds.Create<int>(kind, maxSize: 1);
            q.PutNowait(1);
            AioTask putter = AsyncIO.CreateTask(Put(q, 2));
            await AsyncIO.Sleep(0);
            q.Shutdown(immediate: true);
            Assert.True(putter.Cancel("stop"));
            CancelledException error = await AioAssert.ThrowsAsync<CancelledException>(putter);
            Assert.Equal("stop", error.CancelMessage);
            Assert.Equal(0, q.Count);
        });
    }

    [Theory]
    [MemberData(nameof(QueueKinds.All), MemberType = typeof(QueueKinds))]
    public void Shutdown_Twice_OrImmediateAfterPlain_IsAllowed(string kind)
    {
        GuardedLoop.Run(async _ =>
        {
            var q = QueueKinds.Create<int>(kind);
            q.PutNowait(1);
            q.PutNowait(2);
            q.Shutdown();
            q.Shutdown();
            Assert.Equal(2, q.Count);
            Assert.True(q.TryGet(out var _));
            q.Shutdown(immediate: true);
            Assert.Equal(0, q.Count);
            Assert.Equal(1, q.UnfinishedTasks);
            Assert.True(q.IsShutDown);
            await AsyncIO.Sleep(0);
        });
    }

    private static async Coroutine<T> Get<T>(AsyncQueueBase<T> q) => await q.GetAsync();

    private static async Coroutine Put<T>(AsyncQueueBase<T> q, T item) => await q.PutAsync(item);

    private static async Coroutine Join<T>(AsyncQueueBase<T> q) => await q.JoinAsync();
}
