using Aio.Queues;
using Aio.Tests.Support;

namespace Aio.Tests.Queues;

/// <summary>
/// Waiters cancelled at the moment they are woken. A put that serves a waiting getter, or a get that
/// frees a slot for a waiting putter, completes that waiter's operation on the spot; a cancellation that
/// arrives before the waiter runs comes after its get or put, at its next suspension. A waiter cancelled
/// while still waiting takes or adds nothing. Either way no item is lost or duplicated: the counts come
/// out exact.
/// </summary>
public sealed class QueueWakeCancellationTests
{
    [Theory]
    [MemberData(nameof(QueueKinds.All), MemberType = typeof(QueueKinds))]
    public void GettersCancelledAsItemsArrive_EveryItemIsTakenExactlyOnce(string kind)
    {
        GuardedLoop.Run(async _ =>
        {
            var q = QueueKinds.Create<int>(kind);
            var got = new List<int>();
            AioTask[] getters = Enumerable.Range(0, 5).Select(_ => AsyncIO.CreateTask(GetAndRecord(q, got))).ToArray();
            await AsyncIO.Sleep(0);

            // Getters 0..2 are served (handed or promised) the three items; 0 and 2 are cancelled before
            // they run, 4 while it still waits.
            for (int i = 0; i < 3; i++)
            {
                q.PutNowait(i);
            }

            getters[0].Cancel();
            getters[2].Cancel();
            getters[4].Cancel();
            await AioAssert.ThrowsAsync<CancelledException>(getters[0]);
            await AioAssert.ThrowsAsync<CancelledException>(getters[2]);
            await AioAssert.ThrowsAsync<CancelledException>(getters[4]);
            await getters[1];
            Assert.Equal([0, 1, 2], got.Order());

            q.PutNowait(3);
            await getters[3];
            Assert.Equal([0, 1, 2, 3], got.Order());
            Assert.True(q.IsEmpty);
            Assert.Equal(4, q.UnfinishedTasks);
            Assert.False(q.HasLostWakeUp);
        });
    }

    [Theory]
    [MemberData(nameof(QueueKinds.All), MemberType = typeof(QueueKinds))]
    public void OnlyGetterCancelledAsAnItemArrives_TakesItOnce_AndEndsCancelled(string kind)
    {
        GuardedLoop.Run(async _ =>
        {
            var q = QueueKinds.Create<string>(kind);
            var got = new List<string>();
            AioTask getter = AsyncIO.CreateTask(GetAndRecord(q, got));
            await AsyncIO.Sleep(0);

            q.PutNowait("item");
            getter.Cancel();
            await AioAssert.ThrowsAsync<CancelledException>(getter);
            Assert.Equal(["item"], got);
            Assert.Equal(0, q.Count);
            Assert.False(q.TryGet(out string? _));
        });
    }

    [Theory]
    [MemberData(nameof(QueueKinds.All), MemberType = typeof(QueueKinds))]
    public void PuttersCancelledAsSlotsFree_EveryItemArrivesOnceOrNotAtAll(string kind)
    {
        GuardedLoop.Run(async _ =>
        {
            var q = QueueKinds.Create<int>(kind, maxSize: 2);
            q.PutNowait(-1);
            q.PutNowait(-2);
            var putDone = new List<int>();
            AioTask[] putters = Enumerable.Range(0, 4).Select(i => AsyncIO.CreateTask(PutAndRecord(q, i, putDone))).ToArray();
            await AsyncIO.Sleep(0);

            // Two gets free two slots and move putters 0 and 1's items in; putter 0 is cancelled before it
            // runs (its put has completed), putter 3 while it still waits (its item never arrives).
            var items = new List<int> { q.GetNowait(), q.GetNowait() };
            Assert.Equal(2, q.Count);
            putters[0].Cancel();
            putters[3].Cancel();
            await AioAssert.ThrowsAsync<CancelledException>(putters[0]);
            await AioAssert.ThrowsAsync<CancelledException>(putters[3]);
            await putters[1];

            while (q.TryGet(out int item))
            {
                items.Add(item);
                await AsyncIO.Sleep(0);
            }

            await putters[2];
            Assert.Equal([-2, -1, 0, 1, 2], items.Order());
            Assert.Equal([0, 1, 2], putDone.Order());
            Assert.Equal(0, q.Count);
            Assert.Equal(5, q.UnfinishedTasks);
            Assert.False(q.HasLostWakeUp);
        });
    }

    [Theory]
    [MemberData(nameof(QueueKinds.All), MemberType = typeof(QueueKinds))]
    public void GettersAndAPutterWaitingAtOnce_TheRefillServesTheNextGetter(string kind)
    {
        // Getters and putters wait at once only while the store is full of items promised to woken
        // getters (LIFO and priority). The first getter's take moves the putter's item in, and that item
        // must go to the next getter in line, which no put will wake.
        GuardedLoop.Run(async _ =>
        {
            var q = QueueKinds.Create<string>(kind, maxSize: 1);
            var got = new List<string>();
            AioTask g1 = AsyncIO.CreateTask(GetAndRecord(q, got));
            AioTask g2 = AsyncIO.CreateTask(GetAndRecord(q, got));
            await AsyncIO.Sleep(0);

            q.PutNowait("a");
            ValueTask putB = q.PutAsync("b");
            Assert.Equal(kind == "fifo", putB.IsCompleted);
            await AsyncIO.Sleep(0);
            Assert.False(q.HasLostWakeUp);
            await putB;
            await AsyncIO.Gather(g1, g2);
            Assert.Equal(["a", "b"], got);
            Assert.True(q.IsEmpty);
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

    /// <summary>Keeps what the get returned, then suspends once: a cancellation that arrived after the get
    /// completed is delivered there.</summary>
    private static async Coroutine GetAndRecord<T>(AsyncQueueBase<T> q, List<T> got)
    {
        got.Add(await q.GetAsync());
        await AsyncIO.Sleep(0);
    }

    private static async Coroutine PutAndRecord<T>(AsyncQueueBase<T> q, T item, List<T> done)
    {
        await q.PutAsync(item);
        done.Add(item);
        await AsyncIO.Sleep(0);
    }

    private static async Coroutine Join<T>(AsyncQueueBase<T> q) => await q.JoinAsync();
}
