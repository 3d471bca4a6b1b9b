using Aio.Queues;
using Aio.Sync;
using Aio.Tests.Support;

namespace Aio.Tests.Sync;

/// <summary>How a primitive's wait resumes its awaiter: a coroutine directly, an ordinary async method
/// through its continuation — either way as the task that waited, in its execution context.</summary>
public sealed class WaitResumptionTests
{
    private static readonly AsyncLocal<string?> s_local = new();

    [Fact]
    public void CoroutineWait_ResumesAsItsTask_WithItsAsyncLocals()
    {
        LoopTest.Run(async _ =>
        {
            var queue = new AsyncQueue<int>();
            AioTask<string> consumer = AsyncIO.CreateTask(Consume(queue), "consumer");
            await AsyncIO.Sleep(0);
            s_local.Value = "producer";
            await queue.PutAsync(42);
            Assert.Equal("consumer:42:consumer", await consumer);
            Assert.Equal("producer", s_local.Value);
        });

        static async Coroutine<string> Consume(AsyncQueue<int> queue)
        {
            s_local.Value = "consumer";
            int item = await queue.GetAsync();
            return $"{AsyncIO.CurrentTask!.Name}:{item}:{s_local.Value}";
        }
    }

    [Fact]
    public void InlineCoroutineWait_ResumesTheOuterCoroutineToo()
    {
        LoopTest.Run(async _ =>
        {
            var ev = new AsyncEvent();
            AioTask<int> waiter = AsyncIO.CreateTask(Outer(ev));
            await AsyncIO.Sleep(0);
            ev.Set();
            Assert.Equal(2, await waiter);
        });

        static async Coroutine<int> Outer(AsyncEvent ev) => await Inner(ev) + 1;

        static async Coroutine<int> Inner(AsyncEvent ev)
        {
            await ev.WaitAsync();
            return 1;
        }
    }

    [Fact]
    public void TaskMethodWait_ResumesOnTheLoopAsItsTask_AndIsCancelledWithIt()
    {
        LoopTest.Run(async loop =>
        {
            var l = new AsyncLock();
            await l.AcquireAsync();
            AioTask<bool> sameTask = AsyncIO.CreateTask(async () =>
            {
                AioTask? me = AsyncIO.CurrentTask;
                await l.AcquireAsync();
                l.Release();
                return ReferenceEquals(me, AsyncIO.CurrentTask) && EventLoop.Current == loop;
            });
            AioTask cancelled = AsyncIO.CreateTask(async () => await l.AcquireAsync());
            await AsyncIO.Sleep(0);
            Assert.Equal(2, l.WaitingCount);

            cancelled.Cancel();
            l.Release();
            Assert.True(await sameTask);
            await AioAssert.ThrowsAsync<CancelledException>(cancelled);
            Assert.False(l.IsLocked);
        });
    }
}
