using Aio.Queues;
using Aio.Tests.Support;

namespace Aio.Tests.Queues;

/// <summary>
/// A getter woken for an item, a putter woken for a slot, or a joiner woken by the last
/// <see cref="AsyncQueueBase{T}.TaskDone"/>, cancelled before it runs: no item is lost or duplicated, the
/// promise goes to the next waiter, and the counts come out exact.
/// </summary>
public sealed class QueueWakeCancellationTests
{
    [Theory]
    [MemberData(nameof(QueueKinds.All), MemberType = typeof(QueueKinds))]
    public void GettersCancelledAfterItemsArrived_EveryItemIsDeliveredExactlyOnce(string kind)
    {
        GuardedLoop.Run(async _ =>
        {
            var q = QueueKinds.Create<int>(kind);
            AioTask<int>[] getters = Enumerable.Range(0, 5).Select(_ => AsyncIO.CreateTask(Get(q))).ToArray();
            await AsyncIO.Sleep(0);

            for (int i = 0; i < 3; i++)
            {
                q.PutNowait(i);
            }

            // Getters 0..2 were promised the three items; 0 and 2 are cancelled before they run.
            getters[0].Cancel();
            getters[2].Cancel();
            await AioAssert.ThrowsAsync<CancelledException>(getters[0]);
            await AioAssert.ThrowsAsync<CancelledException>(getters[2]);

            var received = new List<int> { await getters[1], await getters[3], await getters[4] };
            Assert.Equal([0, 1, 2], received.Order());
            Assert.True(q.IsEmpty);
            Assert.Equal(3, q.UnfinishedTasks);
        });
    }

    [Theory]
    [MemberData(nameof(QueueKinds.All), MemberType = typeof(QueueKinds))]
    public void OnlyGetterCancelledAfterAnItemArrived_TheItemStaysForTheNextGet(string kind)
    {
        GuardedLoop.Run(async _ =>
        {
            var q = QueueKinds.Create<string>(kind);
            AioTask<string> getter = AsyncIO.CreateTask(Get(q));
            await AsyncIO.Sleep(0);

            q.PutNowait("kept");
            getter.Cancel();
            await AioAssert.ThrowsAsync<CancelledException>(getter);
            Assert.Equal(1, q.Count);
            Assert.True(q.TryGet(out string? item));
            Assert.Equal("kept", item);
        });
    }

    [Theory]
    [MemberData(nameof(QueueKinds.All), MemberType = typeof(QueueKinds))]
    public void PuttersCancelledAfterSlotsFreed_ExactlyTheOtherItemsArrive(string kind)
    {
        GuardedLoop.Run(async _ =>
        {
            var q = QueueKinds.Create<int>(kind, maxSize: 2);
            q.PutNowait(-1);
            q.PutNowait(-2);
            AioTask[] putters = Enumerable.Range(0, 4).Select(i => AsyncIO.CreateTask(Put(q, i))).ToArray();
            await AsyncIO.Sleep(0);

            // Two slots freed: promised to putters 0 and 1; putter 0 is cancelled before it runs, so its
            // slot goes to putter 2.
            q.GetNowait();
            q.GetNowait();
            putters[0].Cancel();
            await AioAssert.ThrowsAsync<CancelledException>(putters[0]);
            await putters[1];
            await putters[2];
            Assert.False(putters[3].IsDone);
            Assert.Equal(2, q.Count);

            var items = new List<int> { q.GetNowait(), q.GetNowait() };
            await putters[3];
            items.Add(q.GetNowait());
            Assert.Equal([1, 2, 3], items.Order());
            Assert.True(q.IsEmpty);
            Assert.Equal(5, q.UnfinishedTasks);
        });
    }

    [Theory]
    [MemberData(nameof(QueueKinds.All), MemberType = typeof(QueueKinds))]
    public void JoinerCancelledAfterTheLastTaskDone_OtherJoinersAreStillReleased(string kind)
    {
        GuardedLoop.Run(async _ =>
        {
            var q = QueueKinds.Create<int>(kind);
            q.PutNowait(1);
            AioTask j1 = AsyncIO.CreateTask(Join(q));
            AioTask j2 = AsyncIO.CreateTask(Join(q));
            await AsyncIO.Sleep(0);

            q.GetNowait();
            q.TaskDone();
            j1.Cancel();
            await AioAssert.ThrowsAsync<CancelledException>(j1);
            await j2;
            Assert.Equal(0, q.UnfinishedTasks);
        });
    }

    private static async Coroutine<T> Get<T>(AsyncQueueBase<T> q) => await q.GetAsync();

    private static async Coroutine Put<T>(AsyncQueueBase<T> q, T item) => await q.PutAsync(item);

    private static async Coroutine Join<T>(AsyncQueueBase<T> q) => await q.JoinAsync();
}
