using Aio.Queues;
using Aio.Tests.Support;

namespace Aio.Tests.Queues;

/// <summary>asyncio's <c>QueueBasicTests</c>, <c>QueueGetTests</c> and <c>QueuePutTests</c>
/// (test_queues.py, 3.13), less the repr cases and those that poke at private lists.</summary>
public sealed class AsyncQueueTests
{
    [Fact]
    public void IsEmpty_FollowsPutAndGet()
    {
        // asyncio: test_empty.
        GuardedLoop.Run(async _ =>
        {
            var q = new AsyncQueue<int>();
            Assert.True(q.IsEmpty);
            await q.PutAsync(1);
            Assert.False(q.IsEmpty);
            Assert.Equal(1, await q.GetAsync());
            Assert.True(q.IsEmpty);
        });
    }

    [Fact]
    public void IsFull_OnlyWithALimit()
    {
        // asyncio: test_full.
        GuardedLoop.Run(async _ =>
        {
            var unbounded = new AsyncQueue<int>();
            Assert.False(unbounded.IsFull);
            Assert.Equal(0, unbounded.MaxSize);
            for (int i = 0; i < 1000; i++)
            {
                unbounded.PutNowait(i);
            }

            Assert.False(unbounded.IsFull);

            var q = new AsyncQueue<int>(maxSize: 1);
            await q.PutAsync(1);
            Assert.True(q.IsFull);
        });
    }

    [Fact]
    public void MaxSizeZeroOrNegative_MeansNoLimit()
    {
        Assert.Equal(0, new AsyncQueue<int>(0).MaxSize);
        Assert.Equal(0, new AsyncQueue<int>(-3).MaxSize);
        Assert.Equal(0, new AsyncLifoQueue<int>(-1).MaxSize);
        Assert.Equal(0, new AsyncPriorityQueue<int>(-1).MaxSize);
    }

    [Fact]
    public void Items_ComeOutFirstInFirstOut()
    {
        // asyncio: test_order.
        GuardedLoop.Run(async _ =>
        {
            var q = new AsyncQueue<int>();
            foreach (int i in new[] { 1, 3, 2 })
            {
                await q.PutAsync(i);
            }

            Assert.Equal(3, q.Count);
            int[] items = [await q.GetAsync(), await q.GetAsync(), await q.GetAsync()];
            Assert.Equal([1, 3, 2], items);
        });
    }

    [Fact]
    public void PutAsync_Full_WaitsForAFreeSlot()
    {
        // asyncio: test_maxsize.
        GuardedLoop.Run(async _ =>
        {
            var q = new AsyncQueue<int>(maxSize: 2);
            Assert.Equal(2, q.MaxSize);
            var haveBeenPut = new List<int>();
            AioTask<bool> t = AsyncIO.CreateTask(Putter());
            await AsyncIO.Sleep(0);
            await AsyncIO.Sleep(0);

            // The putter is blocked after putting two items.
            Assert.Equal([0, 1], haveBeenPut);
            Assert.Equal(0, await q.GetAsync());

            // Let the putter resume and put the last item.
            await AsyncIO.Sleep(0);
            Assert.Equal([0, 1, 2], haveBeenPut);
            Assert.Equal(1, await q.GetAsync());
            Assert.Equal(2, await q.GetAsync());
            Assert.True(await t);

            async Coroutine<bool> Putter()
            {
                for (int i = 0; i < 3; i++)
                {
                    await q.PutAsync(i);
                    haveBeenPut.Add(i);
                }

                return true;
            }
        });
    }

    [Fact]
    public void ProducerConsumer_MaxSizeOne_PassesEveryItemInOrder()
    {
        GuardedLoop.Run(async _ =>
        {
            var queue = new AsyncQueue<int>(1);
            var received = new List<int>();
            AioTask consumer = AsyncIO.CreateTask(Consume(queue, received));
            for (int i = 0; i < 100; i++)
            {
                await queue.PutAsync(i);
            }

            await queue.JoinAsync();
            queue.Shutdown();
            await consumer;
            Assert.Equal(Enumerable.Range(0, 100), received);
        });

        static async Coroutine Consume(AsyncQueue<int> queue, List<int> received)
        {
            await foreach (int item in queue)
            {
                received.Add(item);
                queue.TaskDone();
            }
        }
    }

    // ---- get ------------------------------------------------------------------------------------

    [Fact]
    public void GetAsync_ItemThere_CompletesSynchronously()
    {
        // asyncio: test_blocking_get.
        GuardedLoop.Run(async _ =>
        {
            var q = new AsyncQueue<int>();
            q.PutNowait(1);
            ValueTask<int> get = q.GetAsync();
            Assert.True(get.IsCompletedSuccessfully);
            Assert.Equal(1, await get);
        });
    }

    [Fact]
    public void GetAsync_Empty_WaitsForAPut()
    {
        // asyncio: test_blocking_get_wait (call_soon in place of call_later).
        GuardedLoop.Run(async loop =>
        {
            var q = new AsyncQueue<int>();
            var started = new Aio.Sync.AsyncEvent();
            bool finished = false;
            AioTask<int> getter = AsyncIO.CreateTask(QueueGet());
            await started.WaitAsync();
            Assert.False(finished);
            loop.CallSoon(() => q.PutNowait(1));
            Assert.Equal(1, await getter);
            Assert.True(finished);

            async Coroutine<int> QueueGet()
            {
                started.Set();
                int result = await q.GetAsync();
                finished = true;
                return result;
            }
        });
    }

    [Fact]
    public void GetNowait_TakesAnItem_OrThrowsQueueEmpty()
    {
        // asyncio: test_nonblocking_get, test_nonblocking_get_exception.
        GuardedLoop.Run(async _ =>
        {
            var q = new AsyncQueue<int>();
            q.PutNowait(1);
            Assert.Equal(1, q.GetNowait());
            Assert.Throws<QueueEmptyException>(() => q.GetNowait());
            Assert.False(q.TryGet(out var _));
            await AsyncIO.Sleep(0);
        });
    }

    [Fact]
    public void GetterCancelledWhileWaiting_TheNextGetterGetsTheItem()
    {
        // asyncio: test_get_cancelled_race.
        GuardedLoop.Run(async _ =>
        {
            var q = new AsyncQueue<string>();
            AioTask<string> t1 = AsyncIO.CreateTask(Get(q));
            AioTask<string> t2 = AsyncIO.CreateTask(Get(q));
            await AsyncIO.Sleep(0);
            t1.Cancel();
            await AsyncIO.Sleep(0);
            Assert.True(t1.IsDone);
            await q.PutAsync("a");
            await AsyncIO.Sleep(0);
            Assert.Equal("a", await t2);
            Assert.True(t1.IsCancelled);
        });
    }

    [Fact]
    public void GetAsync_WithWaitingPutters_TakesTheirItemsInOrder()
    {
        // asyncio: test_get_with_waiting_putters.
        GuardedLoop.Run(async _ =>
        {
            var q = new AsyncQueue<string>(maxSize: 1);
            AioTask pa = AsyncIO.CreateTask(Put(q, "a"));
            AioTask pb = AsyncIO.CreateTask(Put(q, "b"));
            Assert.Equal("a", await q.GetAsync());
            Assert.Equal("b", await q.GetAsync());
            await AsyncIO.Gather(pa, pb);
        });
    }

    [Fact]
    public void ProducerAndConsumer_OverAOneSlotQueue_BothFinish()
    {
        // asyncio: test_why_are_getters_waiting, test_why_are_putters_waiting.
        GuardedLoop.Run(async _ =>
        {
            var q = new AsyncQueue<int>(1);
            var got = new List<int>();
            await AsyncIO.TaskGroup(async tg =>
            {
                tg.StartSoon(Producer());
                tg.StartSoon(Consumer());
                await AsyncIO.Sleep(0);
            });
            Assert.Equal([0, 1, 2, 3, 4], got);

            var q2 = new AsyncQueue<int>(2);
            await AsyncIO.TaskGroup(async tg =>
            {
                tg.StartSoon(Getter());
                for (int i = 0; i < 4; i++)
                {
                    tg.StartSoon(Put(q2, i));
                }

                await AsyncIO.Sleep(0);
            });
            Assert.Equal(2, q2.Count);

            async Coroutine Producer()
            {
                for (int i = 0; i < 5; i++)
                {
                    await q.PutAsync(i);
                }
            }

            async Coroutine Consumer()
            {
                for (int i = 0; i < 5; i++)
                {
                    got.Add(await q.GetAsync());
                }
            }

            async Coroutine Getter()
            {
                await AsyncIO.Sleep(0);
                int n = q2.Count;
                for (int i = 0; i < n; i++)
                {
                    q2.GetNowait();
                }
            }
        });
    }

    [Fact]
    public void GetAsync_TimedOut_HoldsNoItemBack()
    {
        // asyncio: test_cancelled_getters_not_being_held_in_self_getters. A getter that timed out must not
        // stay in line: the next item is there for a get that does not wait.
        GuardedLoop.Run(async _ =>
        {
            var q = new AsyncQueue<int>(maxSize: 5);
            await AioAssert.ThrowsAsync<TimeoutException, int>(() => AsyncIO.WaitFor(Get(q), 0.001));
            q.PutNowait(7);
            Assert.True(q.TryGet(out int item));
            Assert.Equal(7, item);
        });
    }

    [Fact]
    public void GetterCancelledAfterAnItemArrived_TheItemIsNotDropped()
    {
        // asyncio: test_get_cancel_drop_one_pending_reader.
        GuardedLoop.Run(async _ =>
        {
            var q = new AsyncQueue<int>();
            AioTask<int> reader = AsyncIO.CreateTask(Get(q));
            await AsyncIO.Sleep(0);

            q.PutNowait(1);
            q.PutNowait(2);
            reader.Cancel();
            await AioAssert.ThrowsAsync<CancelledException>(reader);

            // Retrying gets the first item: if it got 2, 1 was dropped.
            Assert.Equal(1, await Get(q));
            Assert.Equal(2, q.GetNowait());
        });
    }

    [Fact]
    public void OneOfManyGettersCancelledAfterItemsArrived_TheOthersGetThemInOrder()
    {
        // asyncio: test_get_cancel_drop_many_pending_readers. asyncio leaves the order between reader2
        // and reader3 undefined. Here each put hands its item to the longest-waiting reader: 1 to reader1,
        // 2 to reader2; reader1's cancellation passes its item to the reader still waiting, reader3.
        GuardedLoop.Run(async _ =>
        {
            var q = new AsyncQueue<int>();
            AioTask<int> reader1 = AsyncIO.CreateTask(Get(q));
            AioTask<int> reader2 = AsyncIO.CreateTask(Get(q));
            AioTask<int> reader3 = AsyncIO.CreateTask(Get(q));
            await AsyncIO.Sleep(0);

            q.PutNowait(1);
            q.PutNowait(2);
            reader1.Cancel();
            await AioAssert.ThrowsAsync<CancelledException>(reader1);
            Assert.Equal(2, await reader2);
            Assert.Equal(1, await reader3);
            Assert.True(q.IsEmpty);
        });
    }

    // ---- put ------------------------------------------------------------------------------------

    [Fact]
    public void PutAsync_Unbounded_NeverWaits()
    {
        // asyncio: test_blocking_put, test_nonblocking_put.
        GuardedLoop.Run(async _ =>
        {
            var q = new AsyncQueue<int>();
            ValueTask put = q.PutAsync(1);
            Assert.True(put.IsCompletedSuccessfully);
            await put;
            q.PutNowait(2);
            Assert.True(q.TryPut(3));
            Assert.Equal(1, await q.GetAsync());
            Assert.Equal(2, q.GetNowait());
            Assert.Equal(3, q.GetNowait());
        });
    }

    [Fact]
    public void PutAsync_Full_WaitsForAGet()
    {
        // asyncio: test_blocking_put_wait (call_soon in place of call_later).
        GuardedLoop.Run(async loop =>
        {
            var q = new AsyncQueue<int>(maxSize: 1);
            var started = new Aio.Sync.AsyncEvent();
            bool finished = false;
            AioTask putter = AsyncIO.CreateTask(QueuePut());
            await started.WaitAsync();
            Assert.False(finished);
            loop.CallSoon(() => q.GetNowait());
            await putter;
            Assert.True(finished);
            Assert.Equal(2, q.GetNowait());

            async Coroutine QueuePut()
            {
                started.Set();
                await q.PutAsync(1);
                await q.PutAsync(2);
                finished = true;
            }
        });
    }

    [Fact]
    public void PutterCancelledAfterASlotFreed_RetryAddsTheItemOnce()
    {
        // asyncio: test_put_cancel_drop.
        GuardedLoop.Run(async _ =>
        {
            var q = new AsyncQueue<int>(1);
            q.PutNowait(1);
            AioTask writer = AsyncIO.CreateTask(Put(q, 2));
            await AsyncIO.Sleep(0);

            Assert.Equal(1, q.GetNowait());
            writer.Cancel();
            await AioAssert.ThrowsAsync<CancelledException>(writer);
            Assert.Equal(0, q.Count);

            await Put(q, 2);
            Assert.Equal(2, q.GetNowait());
            Assert.Equal(0, q.Count);
        });
    }

    [Fact]
    public void PutNowait_Full_ThrowsQueueFull()
    {
        // asyncio: test_nonblocking_put_exception.
        GuardedLoop.Run(async _ =>
        {
            var q = new AsyncQueue<int>(maxSize: 1);
            q.PutNowait(1);
            Assert.Throws<QueueFullException>(() => q.PutNowait(2));
            Assert.False(q.TryPut(2));
            Assert.Equal(1, q.Count);
            Assert.Equal(1, q.UnfinishedTasks);
            await AsyncIO.Sleep(0);
        });
    }

    [Fact]
    public void PutAsync_InATask_CompletesWhenTheGetRuns()
    {
        // asyncio: test_put_cancelled (despite its name, nothing is cancelled).
        GuardedLoop.Run(async _ =>
        {
            var q = new AsyncQueue<int>();
            AioTask<bool> t = AsyncIO.CreateTask(QueuePut());
            Assert.Equal(1, await q.GetAsync());
            Assert.True(t.IsDone);
            Assert.True(await t);

            async Coroutine<bool> QueuePut()
            {
                await q.PutAsync(1);
                return true;
            }
        });
    }

    [Fact]
    public void PutterCancelledWhileWaiting_ItsItemNeverArrives()
    {
        // asyncio: test_put_cancelled_race.
        GuardedLoop.Run(async _ =>
        {
            var q = new AsyncQueue<string>(maxSize: 1);
            AioTask putA = AsyncIO.CreateTask(Put(q, "a"));
            AioTask putB = AsyncIO.CreateTask(Put(q, "b"));
            AioTask putC = AsyncIO.CreateTask(Put(q, "X"));
            await AsyncIO.Sleep(0);
            Assert.True(putA.IsDone);
            Assert.False(putB.IsDone);

            putC.Cancel();
            await AsyncIO.Sleep(0);
            Assert.True(putC.IsCancelled);
            Assert.Equal("a", q.GetNowait());
            await AsyncIO.Sleep(0);
            Assert.Equal("b", q.GetNowait());
            await putB;
            Assert.True(q.IsEmpty);
        });
    }

    [Fact]
    public void PutAsync_WithAWaitingGetter_HandsItTheItem()
    {
        // asyncio: test_put_with_waiting_getters.
        GuardedLoop.Run(async _ =>
        {
            var q = new AsyncQueue<string>();
            AioTask<string> t = AsyncIO.CreateTask(Get(q));
            await AsyncIO.Sleep(0);
            await q.PutAsync("a");
            Assert.Equal("a", await t);
        });
    }

    [Fact]
    public void PutterCancelledWhileWaiting_LeavesTheLine()
    {
        // asyncio: test_cancelled_puts_not_being_held_in_self_putters.
        GuardedLoop.Run(async _ =>
        {
            var q = new AsyncQueue<int>(maxSize: 1);
            q.PutNowait(1);
            AioTask putTask = AsyncIO.CreateTask(Put(q, 2));
            await AsyncIO.Sleep(0);
            putTask.Cancel();
            await AioAssert.ThrowsAsync<CancelledException>(putTask);

            // Nobody is promised the slot the get frees.
            Assert.Equal(1, q.GetNowait());
            Assert.False(q.IsFull);
            Assert.True(q.TryPut(3));
            Assert.Equal(3, q.GetNowait());
        });
    }

    [Fact]
    public void PutterCancelledAfterAGetFreedItsSlot_AddsNothing()
    {
        // asyncio: test_cancelled_put_silence_value_error_exception.
        GuardedLoop.Run(async _ =>
        {
            var q = new AsyncQueue<int>(1);
            q.PutNowait(1);
            AioTask putTask = AsyncIO.CreateTask(Put(q, 2));
            await AsyncIO.Sleep(0);

            q.GetNowait();
            putTask.Cancel();
            await AioAssert.ThrowsAsync<CancelledException>(putTask);
            Assert.Equal(0, q.Count);
            Assert.False(q.IsFull);
        });
    }

    [Fact]
    public void CancelledPutAfterGrant_AddsNothing_AndTheSlotGoesToTheNextPutter()
    {
        GuardedLoop.Run(async _ =>
        {
            var queue = new AsyncQueue<string>(1);
            queue.PutNowait("a");
            AioTask p1 = AsyncIO.CreateTask(Put(queue, "b"));
            AioTask p2 = AsyncIO.CreateTask(Put(queue, "c"));
            await AsyncIO.Sleep(0);
            Assert.True(queue.IsFull);

            Assert.Equal("a", queue.GetNowait());
            p1.Cancel();
            await AioAssert.ThrowsAsync<CancelledException>(p1);
            await p2;
            Assert.Equal(1, queue.Count);
            Assert.Equal("c", queue.GetNowait());
            Assert.Throws<QueueEmptyException>(() => queue.GetNowait());
        });
    }

    // ---- promises ---------------------------------------------------------------------------------

    [Fact]
    public void SlotPromisedToAWokenPutter_IsNotTakenByANewcomer()
    {
        // The documented difference from asyncio: between the wake-up and the resumption, IsFull is true
        // while Count < MaxSize, because the free slot is promised to the waiting putter.
        GuardedLoop.Run(async _ =>
        {
            var q = new AsyncQueue<string>(maxSize: 1);
            q.PutNowait("a");
            AioTask waiting = AsyncIO.CreateTask(Put(q, "waited"));
            await AsyncIO.Sleep(0);

            Assert.Equal("a", q.GetNowait());
            Assert.Equal(0, q.Count);
            Assert.True(q.IsFull);
            Assert.False(q.TryPut("newcomer"));
            Assert.Throws<QueueFullException>(() => q.PutNowait("newcomer"));

            await waiting;
            Assert.Equal("waited", q.GetNowait());
        });
    }

    [Fact]
    public void ItemForAWokenGetter_IsNotTakenByANewcomer()
    {
        // The other documented difference: between the wake-up and the resumption a get that does not
        // wait finds nothing. A first-in, first-out queue handed the item over (Count no longer counts
        // it); a priority queue promised it (Count still does).
        GuardedLoop.Run(async _ =>
        {
            var fifo = new AsyncQueue<string>();
            var priority = new AsyncPriorityQueue<string>();
            AioTask<string> waitingFifo = AsyncIO.CreateTask(Get(fifo));
            AioTask<string> waitingPriority = AsyncIO.CreateTask(Get(priority));
            await AsyncIO.Sleep(0);

            fifo.PutNowait("x");
            priority.PutNowait("y");
            Assert.Equal(0, fifo.Count);
            Assert.True(fifo.IsEmpty);
            Assert.False(fifo.TryGet(out var _));
            Assert.Equal(1, priority.Count);
            Assert.False(priority.IsEmpty);
            Assert.False(priority.TryGet(out var _));
            Assert.Throws<QueueEmptyException>(() => priority.GetNowait());

            Assert.Equal("x", await waitingFifo);
            Assert.Equal("y", await waitingPriority);
            Assert.True(fifo.IsEmpty);
            Assert.True(priority.IsEmpty);
        });
    }

    [Fact]
    public void PriorityAndLifoGetters_TakeTheBestItemWhenTheyResume_AsAsyncio()
    {
        GuardedLoop.Run(async _ =>
        {
            var priority = new AsyncPriorityQueue<int>();
            var lifo = new AsyncLifoQueue<int>();
            AioTask<int> best = AsyncIO.CreateTask(Get(priority));
            AioTask<int> last = AsyncIO.CreateTask(Get(lifo));
            await AsyncIO.Sleep(0);

            // Both items arrive before the getter runs: it was promised one, and takes the best.
            priority.PutNowait(5);
            priority.PutNowait(1);
            lifo.PutNowait(5);
            lifo.PutNowait(1);
            Assert.Equal(1, await best);
            Assert.Equal(1, await last);
            Assert.Equal(5, priority.GetNowait());
            Assert.Equal(5, lifo.GetNowait());
        });
    }

    [Theory]
    [InlineData("fifo")]
    [InlineData("priority")]
    public void GetterWokenBeforeAnImmediateShutdown_FailsWithShutDown_AndTheItemIsDone(string kind)
    {
        GuardedLoop.Run(async _ =>
        {
            AsyncQueueBase<int> q = kind == "fifo" ? new AsyncQueue<int>() : new AsyncPriorityQueue<int>();
            AioTask<int> getter = AsyncIO.CreateTask(Get(q));
            await AsyncIO.Sleep(0);
            q.PutNowait(3);
            q.Shutdown(immediate: true);
            await AioAssert.ThrowsAsync<QueueShutDownException>(getter);
            Assert.Equal(0, q.Count);
            Assert.Equal(0, q.UnfinishedTasks);
            await q.JoinAsync();
        });
    }

    [Fact]
    public void ItemHandedToAGetterCancelledBeforeItRan_GoesBackInFront()
    {
        GuardedLoop.Run(async _ =>
        {
            var q = new AsyncQueue<string>();
            AioTask<string> getter = AsyncIO.CreateTask(Get(q));
            await AsyncIO.Sleep(0);

            q.PutNowait("first");   // handed to the getter
            q.PutNowait("second");  // stored
            getter.Cancel();
            await AioAssert.ThrowsAsync<CancelledException>(getter);
            Assert.Equal(2, q.Count);
            Assert.Equal("first", q.GetNowait());
            Assert.Equal("second", q.GetNowait());
        });
    }

    [Fact]
    public void ItemPutBackOverTheLimit_DoesNotCostAWokenPutterItsSlot()
    {
        GuardedLoop.Run(async _ =>
        {
            var q = new AsyncQueue<int>(maxSize: 1);
            AioTask<int> getter = AsyncIO.CreateTask(Get(q));
            await AsyncIO.Sleep(0);

            // Queued in this order: the putter (parks: the queue is full), the taker (frees the slot, which
            // is promised to the putter), then the getter (cancelled after 1 was handed to it: 1 goes back
            // in front, over the limit).
            AioTask putter = AsyncIO.CreateTask(Put(q, 3));
            AioTask<int> taker = AsyncIO.CreateTask(Take(q));
            q.PutNowait(1);
            q.PutNowait(2);
            getter.Cancel();

            await AioAssert.ThrowsAsync<CancelledException>(getter);
            Assert.Equal(2, await taker);
            await putter; // 3 still goes in: its slot was kept

            var rest = new List<int>();
            while (q.TryGet(out int item))
            {
                rest.Add(item);
            }

            Assert.Equal([1, 3], rest);
        });

        static async Coroutine Put(AsyncQueue<int> q, int item) => await q.PutAsync(item);

        static async Coroutine<int> Take(AsyncQueue<int> q)
        {
            int item = q.GetNowait();
            await AsyncIO.Sleep(0);
            return item;
        }
    }

    private static async Coroutine<T> Get<T>(AsyncQueueBase<T> q) => await q.GetAsync();

    private static async Coroutine Put<T>(AsyncQueueBase<T> q, T item) => await q.PutAsync(item);
}
