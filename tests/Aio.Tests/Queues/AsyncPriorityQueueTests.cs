using Aio.Queues;
using Aio.Tests.Support;

namespace Aio.Tests.Queues;

/// <summary>asyncio's <c>PriorityQueueTests</c> (test_queues.py, 3.13), plus the stability asyncio does
/// not promise and the queue's comparer.</summary>
public sealed class AsyncPriorityQueueTests
{
    [Fact]
    public void Items_ComeOutSmallestFirst()
    {
        // asyncio: PriorityQueueTests.test_order.
        GuardedLoop.Run(async _ =>
        {
            var q = new AsyncPriorityQueue<int>();
            foreach (int i in new[] { 1, 3, 2 })
            {
                await q.PutAsync(i);
            }

            int[] items = [await q.GetAsync(), await q.GetAsync(), await q.GetAsync()];
            Assert.Equal([1, 2, 3], items);
        });
    }

    [Fact]
    public void EqualPriorities_ComeOutInTheOrderTheyWerePut()
    {
        GuardedLoop.Run(async _ =>
        {
            var q = new AsyncPriorityQueue<(int Priority, string Name)>(
                comparer: Comparer<(int Priority, string Name)>.Create((a, b) => a.Priority.CompareTo(b.Priority)));
            (int, string)[] items =
            [
                (2, "a"), (1, "b"), (2, "c"), (0, "d"), (1, "e"), (2, "f"), (0, "g"), (1, "h"), (2, "i"), (1, "j"),
            ];
            foreach (var item in items)
            {
                await q.PutAsync(item);
            }

            var names = new List<string>();
            while (q.TryGet(out var item))
            {
                names.Add(item.Name);
            }

            Assert.Equal(["d", "g", "b", "e", "h", "j", "a", "c", "f", "i"], names);
        });
    }

    [Fact]
    public void ManyItems_InterleavedPutsAndGets_MatchAStableSort()
    {
        // A seeded random mix against a stable sort: the heap's order and its tie-break over many
        // sift-ups and sift-downs.
        GuardedLoop.Run(async _ =>
        {
            var random = new Random(12345);
            var q = new AsyncPriorityQueue<(int Key, int Seq)>(
                comparer: Comparer<(int Key, int Seq)>.Create((a, b) => a.Key.CompareTo(b.Key)));
            var model = new List<(int Key, int Seq)>();
            int seq = 0;
            for (int step = 0; step < 5000; step++)
            {
                if (model.Count == 0 || random.Next(3) != 0)
                {
                    var item = (random.Next(20), seq++);
                    q.PutNowait(item);
                    model.Add(item);
                }
                else
                {
                    // The model's next item: the smallest key, earliest put among equals.
                    var expected = model.OrderBy(x => x.Key).ThenBy(x => x.Seq).First();
                    model.Remove(expected);
                    Assert.Equal(expected, q.GetNowait());
                }
            }

            foreach (var expected in model.OrderBy(x => x.Key).ThenBy(x => x.Seq))
            {
                Assert.Equal(expected, await q.GetAsync());
            }

            Assert.True(q.IsEmpty);
        });
    }

    [Fact]
    public void Comparer_DecidesTheOrder()
    {
        GuardedLoop.Run(async _ =>
        {
            var q = new AsyncPriorityQueue<int>(comparer: Comparer<int>.Create((a, b) => b.CompareTo(a)));
            foreach (int i in new[] { 1, 3, 2 })
            {
                q.PutNowait(i);
            }

            Assert.Equal([3, 2, 1], [q.GetNowait(), q.GetNowait(), q.GetNowait()]);
            Assert.Same(Comparer<string>.Default, new AsyncPriorityQueue<string>().Comparer);
            await AsyncIO.Sleep(0);
        });
    }

    [Fact]
    public void WokenGetter_TakesTheBestItemWhenItRuns()
    {
        // As in asyncio, a woken getter takes the smallest item when it resumes, not the one that woke it.
        GuardedLoop.Run(async _ =>
        {
            var q = new AsyncPriorityQueue<int>();
            AioTask<int> getter = AsyncIO.CreateTask(Get(q));
            await AsyncIO.Sleep(0);

            q.PutNowait(5);
            q.PutNowait(1);
            Assert.Equal(1, await getter);
            Assert.Equal(5, q.GetNowait());
        });
    }

    private static async Coroutine<T> Get<T>(AsyncQueueBase<T> q) => await q.GetAsync();
}
