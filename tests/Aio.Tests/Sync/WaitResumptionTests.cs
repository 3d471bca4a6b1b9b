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

    [Fact]
    public void CoroutineAwaitingAnotherValueTaskSource_ResumesOnTheLoopAsItsTask()
    {
        // Not a loop wait: the builder's value-task registrar must leave it to the ordinary path.
        LoopTest.WithinSeconds(10, () => LoopTest.Run(async loop =>
        {
            var source = new ThreadPoolSource();
            AioTask<string> waiter = AsyncIO.CreateTask(Await(source), "waiter");
            await AsyncIO.Sleep(0);
            source.CompleteFromAnotherThread(7);
            Assert.Equal($"waiter:7:{Environment.CurrentManagedThreadId}:waiter", await waiter);
        }));

        static async Coroutine<string> Await(ThreadPoolSource source)
        {
            int value = await new ValueTask<int>(source, source.Version);
            string first = $"{AsyncIO.CurrentTask!.Name}:{value}:{Environment.CurrentManagedThreadId}";
            await new ValueTask(source, source.Version);
            return first + ":" + AsyncIO.CurrentTask!.Name;
        }
    }

    [Fact]
    public void CoroutineOfAnotherLoop_AwaitingThisLoopsWait_IsRefused()
    {
        // A wait belongs to its primitive's loop: a coroutine of another loop (possible only through a
        // ValueTask carried across) must not be registered with it, but refused.
        var queue = new AsyncQueue<int>();
        ValueTask<int> carried = default;
        LoopTest.Run(async _ =>
        {
            carried = queue.GetAsync();
            await AsyncIO.Sleep(0);
        });

        InvalidOperationException? refused = null;
        LoopTest.Run(async _ =>
        {
            try
            {
                await carried;
            }
            catch (InvalidOperationException e)
            {
                refused = e;
            }
        });
        Assert.Contains("event loop's thread", refused?.Message);
    }

    /// <summary>A value task source completed from a thread-pool thread, once as an int and once as
    /// nothing.</summary>
    private sealed class ThreadPoolSource : System.Threading.Tasks.Sources.IValueTaskSource<int>, System.Threading.Tasks.Sources.IValueTaskSource
    {
        private System.Threading.Tasks.Sources.ManualResetValueTaskSourceCore<int> _core;

        public short Version => _core.Version;

        public void CompleteFromAnotherThread(int value) => ThreadPool.QueueUserWorkItem(_ => _core.SetResult(value));

        public int GetResult(short token)
        {
            int result = _core.GetResult(token);
            _core.Reset();
            // The second await completes at once.
            _core.SetResult(0);
            return result;
        }

        void System.Threading.Tasks.Sources.IValueTaskSource.GetResult(short token) => _core.GetResult(token);

        public System.Threading.Tasks.Sources.ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

        public void OnCompleted(Action<object?> continuation, object? state, short token, System.Threading.Tasks.Sources.ValueTaskSourceOnCompletedFlags flags) =>
            _core.OnCompleted(continuation, state, token, flags);
    }
}
