using Aio.Queues;
using Aio.Tests.Support;

namespace Aio.Tests.Queues;

public sealed class AsyncQueueTests
{
    [Fact]
    public void ProducerConsumer_MaxSizeOne_PassesEveryItemInOrder()
    {
        LoopTest.Run(async _ =>
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
}
