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
    public void GetterCancelledAfterAnItemArrived_HasTakenIt_SoTheRetryGetsTheNext()
    {
        // asyncio: test_get_cancel_drop_one_pending_reader. There the woken getter is cancelled before it
        // takes the item, and a retry gets 1. Here the put handed 1 to the waiting getter, so its get has
        // completed: it returns 1, the cancellation comes at the task's next suspension, and the retry
        // gets 2. Nothing is dropped as long as the caller keeps what GetAsync returned.
        GuardedLoop.Run(async _ =>
        {
            var q = new AsyncQueue<int>();
            var got = new List<int>();
            AioTask reader = AsyncIO.CreateTask(GetAndRecord(q, got));
            await AsyncIO.Sleep(0);

            q.PutNowait(1);
            q.PutNowait(2);
            reader.Cancel();
            await AioAssert.ThrowsAsync<CancelledException>(reader);
            Assert.Equal([1], got);

            Assert.Equal(2, await Get(q));
            Assert.True(q.IsEmpty);
        });
    }

    [Fact]
    public void OneOfManyGettersCancelledAfterItemsArrived_EachItemIsTakenOnce()
    {
        // asyncio: test_get_cancel_drop_many_pending_readers, where reader2 and reader3 share the two
        // items in an undefined order. Here the puts hand 1 to reader1 and 2 to reader2 at once: reader1's
        // cancellation comes after its get, and reader3 waits for the next item.
        GuardedLoop.Run(async _ =>
        {
            var q = new AsyncQueue<int>();
            var got = new List<int>();
            AioTask reader1 = AsyncIO.CreateTask(GetAndRecord(q, got));
            AioTask reader2 = AsyncIO.CreateTask(GetAndRecord(q, got));
            AioTask reader3 = AsyncIO.CreateTask(GetAndRecord(q, got));
            await AsyncIO.Sleep(0);

            q.PutNowait(1);
            q.PutNowait(2);
            reader1.Cancel();
            await AioAssert.ThrowsAsync<CancelledException>(reader1);
            await reader2;
            Assert.Equal([1, 2], got);
            Assert.False(reader3.IsDone);

            q.PutNowait(3);
            await reader3;
            Assert.Equal([1, 2, 3], got);
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
    public void PutterCancelledAfterASlotFreed_HasPut_SoRetryingOnlyAFailedPutAddsItOnce()
    {
        // asyncio: test_put_cancel_drop. There the woken putter is cancelled before it adds its item, and
        // the retry adds it. Here the get moved the waiting putter's item in, so its put has completed and
        // the cancellation comes after it: a caller that retries only when PutAsync itself threw adds the
        // item exactly once.
        GuardedLoop.Run(async _ =>
        {
            var q = new AsyncQueue<int>(1);
            q.PutNowait(1);
            var putDone = new List<int>();
            AioTask writer = AsyncIO.CreateTask(PutAndRecord(q, 2, putDone));
            await AsyncIO.Sleep(0);

            Assert.Equal(1, q.GetNowait());
            Assert.Equal(1, q.Count);
            writer.Cancel();
            await AioAssert.ThrowsAsync<CancelledException>(writer);
            Assert.Equal([2], putDone);

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
    public void PutterCancelledAfterAGetFreedItsSlot_EndsCancelled_WithItsItemIn()
    {
        // asyncio: test_cancelled_put_silence_value_error_exception: the task still ends cancelled. Its
        // item went in with the get that freed the slot, before the cancellation.
        GuardedLoop.Run(async _ =>
        {
            var q = new AsyncQueue<int>(1);
            q.PutNowait(1);
            AioTask putTask = AsyncIO.CreateTask(Put(q, 2));
            await AsyncIO.Sleep(0);

            q.GetNowait();
            putTask.Cancel();
            await AioAssert.ThrowsAsync<CancelledException>(putTask);
            Assert.Equal(1, q.Count);
            Assert.Equal(2, q.GetNowait());
        });
    }

    // ---- wake-ups that complete the operation ----------------------------------------------------

    [Fact]
    public void PutCancelledAfterItsItemWentIn_CompletesOnce_AndTheTaskIsCancelledAfterIt()
    {
        LoopTest.Run(async _ =>
        {
            var queue = new AsyncQueue<string>(1);
            queue.PutNowait("a");
            var after = new List<string>();
            AioTask p1 = AsyncIO.CreateTask(Put(queue, "b", after));
            AioTask p2 = AsyncIO.CreateTask(Put(queue, "c", after));
            await AsyncIO.Sleep(0);
            Assert.True(queue.IsFull);

            // The get frees the slot and takes p1's item in: p1's put has completed, so the cancellation
            // arriving now is delivered at p1's next suspension, not thrown by the put.
            Assert.Equal("a", queue.GetNowait());
            Assert.Equal(1, queue.Count);
            p1.Cancel();
            await AioAssert.ThrowsAsync<CancelledException>(p1);
            Assert.Equal(["b"], after);

            Assert.Equal("b", queue.GetNowait());
            await p2;
            Assert.Equal("c", queue.GetNowait());
            Assert.Throws<QueueEmptyException>(() => queue.GetNowait());
            Assert.Equal(["b", "c", "slept:c"], after); // p1 never got past its next suspension
        });

        static async Coroutine Put(AsyncQueue<string> queue, string item, List<string> after)
        {
            await queue.PutAsync(item);
            after.Add(item);
            await AsyncIO.Sleep(0);
            after.Add("slept:" + item);
        }
    }

    [Fact]
    public void GetCancelledWaiting_TakesNothing_AndGetCancelledAfterTheHandOff_KeepsTheItem()
    {
        LoopTest.Run(async _ =>
        {
            var queue = new AsyncQueue<int>();
            int? got = null;
            AioTask waiting = AsyncIO.CreateTask(Get(queue, v => got = v));
            AioTask handedOff = AsyncIO.CreateTask(Get(queue, v => got = v));
            await AsyncIO.Sleep(0);

            waiting.Cancel();
            await queue.PutAsync(7);
            handedOff.Cancel();
            await AioAssert.ThrowsAsync<CancelledException>(waiting);
            await AioAssert.ThrowsAsync<CancelledException>(handedOff);
            Assert.Equal(7, got);
            Assert.Equal(0, queue.Count);
        });

        static async Coroutine Get(AsyncQueue<int> queue, Action<int> got)
        {
            got(await queue.GetAsync());
            await AsyncIO.Sleep(0);
        }
    }

    [Fact]
    public void PriorityQueue_WaitingGetter_TakesTheBestItemWhenItResumes_AsAsyncio()
    {
        LoopTest.Run(async _ =>
        {
            var queue = new AsyncPriorityQueue<int>();
            var lifo = new AsyncLifoQueue<int>();
            AioTask<int> best = AsyncIO.CreateTask(Get(queue));
            AioTask<int> last = AsyncIO.CreateTask(Get(lifo));
            await AsyncIO.Sleep(0);

            // Both items arrive before the getter runs: it is promised one, and takes the best.
            queue.PutNowait(5);
            queue.PutNowait(1);
            lifo.PutNowait(5);
            lifo.PutNowait(1);
            Assert.Equal(2, queue.Count);
            Assert.Equal(1, await best);
            Assert.Equal(1, await last);
            Assert.Equal(5, queue.GetNowait());
            Assert.Equal(5, lifo.GetNowait());
        });

        static async Coroutine<int> Get(AsyncQueueBase<int> queue) => await queue.GetAsync();
    }

    [Fact]
    public void PromisedGetter_AfterAnImmediateShutdown_FailsWithShutDown()
    {
        LoopTest.Run(async _ =>
        {
            var queue = new AsyncPriorityQueue<int>();
            AioTask<int> getter = AsyncIO.CreateTask(Get(queue));
            await AsyncIO.Sleep(0);
            queue.PutNowait(3);
            queue.Shutdown(immediate: true);
            await AioAssert.ThrowsAsync<QueueShutDownException>(getter);
            Assert.Equal(0, queue.Count);
            Assert.Equal(0, queue.UnfinishedTasks);
        });

        static async Coroutine<int> Get(AsyncQueueBase<int> queue) => await queue.GetAsync();
    }

    private static async Coroutine<T> Get<T>(AsyncQueueBase<T> q) => await q.GetAsync();

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

    private static async Coroutine Put<T>(AsyncQueueBase<T> q, T item) => await q.PutAsync(item);
}
