using Aio.Queues;
using Aio.Tests.Support;

namespace Aio.Tests.Queues;

/// <summary><c>await foreach</c> over a queue: it ends at shutdown once drained, and a
/// <see cref="CancellationToken"/> ends a waiting step without losing an item.</summary>
public sealed class QueueEnumeratorTests
{
    [Theory]
    [MemberData(nameof(QueueKinds.All), MemberType = typeof(QueueKinds))]
    public void AwaitForeach_EndsAfterAPlainShutdown_OnceDrained(string kind)
    {
        GuardedLoop.Run(async _ =>
        {
            var q = QueueKinds.Create<int>(kind);
            var received = new List<int>();
            AioTask consumer = AsyncIO.CreateTask(Consume(q, received));
            await AsyncIO.Sleep(0);

            q.PutNowait(1);
            await AsyncIO.Sleep(0);
            q.PutNowait(2);
            q.PutNowait(3);
            q.Shutdown();
            await consumer;

            Assert.Equal(1, received[0]);
            Assert.Equal([1, 2, 3], received.Order());
            Assert.True(q.IsEmpty);
        });
    }

    [Theory]
    [MemberData(nameof(QueueKinds.All), MemberType = typeof(QueueKinds))]
    public void AwaitForeach_OverAShutDownQueue_YieldsWhatIsLeftThenEnds(string kind)
    {
        GuardedLoop.Run(async _ =>
        {
            var q = QueueKinds.Create<int>(kind);
            q.PutNowait(1);
            q.PutNowait(2);
            q.Shutdown();
            var received = new List<int>();
            await Consume(q, received);
            Assert.Equal([1, 2], received.Order());
        });
    }

    [Theory]
    [MemberData(nameof(QueueKinds.All), MemberType = typeof(QueueKinds))]
    public void AwaitForeach_EndsAtOnceAfterAnImmediateShutdown(string kind)
    {
        GuardedLoop.Run(async _ =>
        {
            var q = QueueKinds.Create<int>(kind);
            var received = new List<int>();
            AioTask consumer = AsyncIO.CreateTask(Consume(q, received));
            await AsyncIO.Sleep(0);

            q.PutNowait(1);
            q.Shutdown(immediate: true);
            await consumer;
            Assert.Empty(received);
        });
    }

    [Fact]
    public void AwaitForeach_TokenCancelledWhileWaiting_ThrowsOperationCanceled_AndLosesNothing()
    {
        GuardedLoop.Run(async _ =>
        {
            var q = new AsyncQueue<int>();
            using var cts = new CancellationTokenSource();
            var received = new List<int>();
            AioTask consumer = AsyncIO.CreateTask(ConsumeWith(q, received, cts.Token));
            await AsyncIO.Sleep(0);

            q.PutNowait(1);
            await AsyncIO.Sleep(0);
            Assert.Equal([1], received);

            cts.Cancel();
            OperationCanceledException error = await AioAssert.ThrowsAsync<OperationCanceledException>(consumer);
            Assert.Equal(cts.Token, error.CancellationToken);

            // The step that was cancelled took nothing: the next item is there for the next get.
            q.PutNowait(2);
            Assert.Equal(2, q.GetNowait());
        });
    }

    [Fact]
    public void AwaitForeach_TokenCancelledFromAnotherThread_EndsTheWaitingStep()
    {
        GuardedLoop.Run(async _ =>
        {
            var q = new AsyncQueue<int>();
            using var cts = new CancellationTokenSource();
            AioTask consumer = AsyncIO.CreateTask(ConsumeWith(q, [], cts.Token));
            await AsyncIO.Sleep(0);

            await AsyncIO.ToThread(cts.Cancel);
            await AioAssert.ThrowsAsync<OperationCanceledException>(consumer);
            q.PutNowait(1);
            Assert.Equal(1, q.GetNowait());
        });
    }

    [Fact]
    public void AwaitForeach_TokenAlreadyCancelled_TakesNothing()
    {
        GuardedLoop.Run(async _ =>
        {
            var q = new AsyncQueue<int>();
            q.PutNowait(1);
            using var cts = new CancellationTokenSource();
            cts.Cancel();
            var received = new List<int>();
            await AioAssert.ThrowsAsync<OperationCanceledException>(() => ConsumeWith(q, received, cts.Token));
            Assert.Empty(received);
            Assert.Equal(1, q.Count);
        });
    }

    [Fact]
    public void AwaitForeach_TokenCancelledAfterTheStepWasHandedAnItem_DeliversIt()
    {
        // The put promises the item to the waiting step before the token is cancelled: the item is
        // delivered, and the next step throws.
        GuardedLoop.Run(async _ =>
        {
            var q = new AsyncQueue<int>();
            using var cts = new CancellationTokenSource();
            var received = new List<int>();
            AioTask consumer = AsyncIO.CreateTask(ConsumeWith(q, received, cts.Token));
            await AsyncIO.Sleep(0);

            q.PutNowait(7);
            cts.Cancel();
            await AioAssert.ThrowsAsync<OperationCanceledException>(consumer);
            Assert.Equal([7], received);
            Assert.True(q.IsEmpty);
        });
    }

    [Fact]
    public void AwaitForeach_TaskCancelled_ThrowsCancelled_AndLosesNothing()
    {
        GuardedLoop.Run(async _ =>
        {
            var q = new AsyncQueue<int>();
            var received = new List<int>();
            AioTask consumer = AsyncIO.CreateTask(Consume(q, received));
            await AsyncIO.Sleep(0);

            q.PutNowait(1);
            consumer.Cancel();
            await AioAssert.ThrowsAsync<CancelledException>(consumer);
            Assert.Empty(received);
            Assert.Equal(1, q.GetNowait());
        });
    }

    [Fact]
    public void TwoEnumerators_ShareTheItemsFairly()
    {
        GuardedLoop.Run(async _ =>
        {
            var q = new AsyncQueue<int>();
            var a = new List<int>();
            var b = new List<int>();
            AioTask ca = AsyncIO.CreateTask(Consume(q, a));
            AioTask cb = AsyncIO.CreateTask(Consume(q, b));
            await AsyncIO.Sleep(0);

            for (int i = 0; i < 10; i++)
            {
                await q.PutAsync(i);
                await AsyncIO.Sleep(0);
            }

            q.Shutdown();
            await AsyncIO.Gather(ca, cb);
            Assert.Equal([0, 2, 4, 6, 8], a);
            Assert.Equal([1, 3, 5, 7, 9], b);
        });
    }

    private static async Coroutine Consume(AsyncQueueBase<int> q, List<int> received)
    {
        await foreach (int item in q)
        {
            received.Add(item);
        }
    }

    private static async Coroutine ConsumeWith(AsyncQueueBase<int> q, List<int> received, CancellationToken token)
    {
        await foreach (int item in q.WithCancellation(token))
        {
            received.Add(item);
        }
    }
}
