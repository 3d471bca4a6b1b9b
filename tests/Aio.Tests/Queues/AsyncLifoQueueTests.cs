using Aio.Queues;
using Aio.Tests.Support;

namespace Aio.Tests.Queues;

/// <summary>asyncio's <c>LifoQueueTests</c> (test_queues.py, 3.13), and what a woken getter takes.</summary>
public sealed class AsyncLifoQueueTests
{
    [Fact]
    public void Items_ComeOutLastInFirstOut()
    {
        // asyncio: LifoQueueTests.test_order.
        GuardedLoop.Run(async _ =>
        {
            var q = new AsyncLifoQueue<int>();
            foreach (int i in new[] { 1, 3, 2 })
            {
                await q.PutAsync(i);
            }

            int[] items = [await q.GetAsync(), await q.GetAsync(), await q.GetAsync()];
            Assert.Equal([2, 3, 1], items);
        });
    }

    [Fact]
    public void WokenGetter_TakesTheNewestItemWhenItRuns()
    {
        // As in asyncio, a woken getter takes whatever is first when it resumes, not the item that woke it.
        GuardedLoop.Run(async _ =>
        {
            var q = new AsyncLifoQueue<string>();
            AioTask<string> getter = AsyncIO.CreateTask(Get(q));
            await AsyncIO.Sleep(0);

            q.PutNowait("first");
            q.PutNowait("second");
            Assert.Equal("second", await getter);
            Assert.Equal("first", q.GetNowait());
        });
    }

    [Fact]
    public void MaxSize_AppliesAsForAnyQueue()
    {
        GuardedLoop.Run(async _ =>
        {
            var q = new AsyncLifoQueue<int>(maxSize: 2);
            q.PutNowait(1);
            q.PutNowait(2);
            Assert.True(q.IsFull);
            Assert.Throws<QueueFullException>(() => q.PutNowait(3));
            AioTask putter = AsyncIO.CreateTask(Put(q, 3));
            await AsyncIO.Sleep(0);
            Assert.Equal(2, q.GetNowait());
            await putter;
            Assert.Equal([3, 1], [q.GetNowait(), q.GetNowait()]);
        });
    }

    private static async Coroutine<T> Get<T>(AsyncQueueBase<T> q) => await q.GetAsync();

    private static async Coroutine Put<T>(AsyncQueueBase<T> q, T item) => await q.PutAsync(item);
}
