using Aio.Queues;
using Aio.Tests.Support;

namespace Aio.Tests.Queues;

/// <summary>asyncio's <c>_QueueJoinTestMixin</c> (test_queues.py, 3.13), run on every kind of queue.</summary>
public sealed class QueueJoinTests
{
    [Theory]
    [MemberData(nameof(QueueKinds.All), MemberType = typeof(QueueKinds))]
    public void TaskDone_MoreThanPut_ThrowsInvalidOperation(string kind)
    {
        // asyncio: test_task_done_underflow (ValueError there).
        GuardedLoop.Run(async _ =>
        {
            var q = QueueKinds.Create<int>(kind);
            Assert.Contains("more times", Assert.Throws<InvalidOperationException>(q.TaskDone).Message);

            q.PutNowait(1);
            q.GetNowait();
            q.TaskDone();
            Assert.Throws<InvalidOperationException>(q.TaskDone);
            Assert.Equal(0, q.UnfinishedTasks);
            await AsyncIO.Sleep(0);
        });
    }

    [Theory]
    [MemberData(nameof(QueueKinds.All), MemberType = typeof(QueueKinds))]
    public void JoinAsync_ReturnsOnceEveryItemIsDone(string kind)
    {
        // asyncio: test_task_done.
        GuardedLoop.Run(async _ =>
        {
            var q = QueueKinds.Create<int>(kind);
            for (int i = 0; i < 100; i++)
            {
                q.PutNowait(i);
            }

            Assert.Equal(100, q.UnfinishedTasks);
            int accumulator = 0;
            bool running = true;
            await AsyncIO.TaskGroup(async tg =>
            {
                tg.StartSoon(Worker());
                tg.StartSoon(Worker());

                await q.JoinAsync();
                Assert.Equal(Enumerable.Range(0, 100).Sum(), accumulator);
                Assert.Equal(0, q.UnfinishedTasks);

                running = false;
                q.PutNowait(0);
                q.PutNowait(0);
            });

            async Coroutine Worker()
            {
                while (running)
                {
                    int item = await q.GetAsync();
                    accumulator += item;
                    q.TaskDone();
                }
            }
        });
    }

    [Theory]
    [MemberData(nameof(QueueKinds.All), MemberType = typeof(QueueKinds))]
    public void JoinAsync_EmptyQueue_ReturnsAtOnce(string kind)
    {
        // asyncio: test_join_empty_queue.
        GuardedLoop.Run(async _ =>
        {
            var q = QueueKinds.Create<int>(kind);
            ValueTask join = q.JoinAsync();
            Assert.True(join.IsCompletedSuccessfully);
            await join;
            await q.JoinAsync();
        });
    }

    [Theory]
    [MemberData(nameof(QueueKinds.All), MemberType = typeof(QueueKinds))]
    public void JoinAsync_ManyJoiners_AllReleasedByTheLastTaskDone(string kind)
    {
        GuardedLoop.Run(async _ =>
        {
            var q = QueueKinds.Create<int>(kind);
            q.PutNowait(1);
            q.PutNowait(2);
            AioTask[] joiners = Enumerable.Range(0, 3).Select(_ => AsyncIO.CreateTask(Join(q))).ToArray();
            await AsyncIO.Sleep(0);

            q.GetNowait();
            q.GetNowait();
            Assert.True(q.IsEmpty);
            q.TaskDone();
            await AsyncIO.Sleep(0);
            Assert.All(joiners, j => Assert.False(j.IsDone));

            q.TaskDone();
            await AsyncIO.Gather(joiners);
        });
    }

    [Theory]
    [MemberData(nameof(QueueKinds.All), MemberType = typeof(QueueKinds))]
    public void JoinAsync_Cancelled_LeavesAndOthersStillWait(string kind)
    {
        GuardedLoop.Run(async _ =>
        {
            var q = QueueKinds.Create<int>(kind);
            q.PutNowait(1);
            AioTask first = AsyncIO.CreateTask(Join(q));
            AioTask second = AsyncIO.CreateTask(Join(q));
            await AsyncIO.Sleep(0);

            first.Cancel();
            await AioAssert.ThrowsAsync<CancelledException>(first);
            Assert.False(second.IsDone);

            q.GetNowait();
            q.TaskDone();
            await second;
        });
    }

    private static async Coroutine Join<T>(AsyncQueueBase<T> q) => await q.JoinAsync();
}
