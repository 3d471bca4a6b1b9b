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
    public void CancelledPutAfterGrant_AddsNothing_AndTheSlotGoesToTheNextPutter()
    {
        LoopTest.Run(async _ =>
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

        static async Coroutine Put(AsyncQueue<string> queue, string item) => await queue.PutAsync(item);
    }
}
