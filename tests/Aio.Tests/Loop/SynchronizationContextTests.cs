using Aio.Tests.Support;

namespace Aio.Tests.Loop;

public sealed class SynchronizationContextTests
{
    /// <summary>Where code is running: the loop current on its thread, the thread, and the current task.</summary>
    private readonly record struct Place(EventLoop? Loop, int Thread, AioTask? Task)
    {
        public static Place Here() => new(EventLoop.Current, Environment.CurrentManagedThreadId, AsyncIO.CurrentTask);
    }

    /// <summary>Awaits an ordinary .NET awaitable of the given kind; returns the thread Task.Run's body
    /// ran on, or -1.</summary>
    private static async Task<int> AwaitDotNet(string kind)
    {
        int worker = -1;
        switch (kind)
        {
            case "Task.Delay":
                await Task.Delay(10);
                break;
            case "Task.Run":
                await Task.Run(() => worker = Environment.CurrentManagedThreadId);
                break;
            case "Task.Yield":
                await Task.Yield();
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(kind));
        }

        return worker;
    }

    [Theory]
    [InlineData("Task.Delay")]
    [InlineData("Task.Run")]
    [InlineData("Task.Yield")]
    public void CoroutineTask_AwaitsDotNetAwaitable_ResumesOnTheLoopThreadAsTheSameTask(string kind)
    {
        Place before = default;
        Place after = default;
        AioTask? spawned = null;
        int worker = -1;
        LoopTest.WithinSeconds(10, () => LoopTest.Run(async loop =>
        {
            spawned = AsyncIO.CreateTask(Body());
            await spawned;
        }));
        Assert.NotNull(before.Loop);
        Assert.Equal(before, after);
        Assert.Same(spawned, after.Task);
        if (kind == "Task.Run")
        {
            Assert.NotEqual(before.Thread, worker);
        }

        async Coroutine Body()
        {
            before = Place.Here();
            switch (kind)
            {
                case "Task.Delay":
                    await Task.Delay(10);
                    break;
                case "Task.Run":
                    await Task.Run(() => worker = Environment.CurrentManagedThreadId);
                    break;
                default:
                    await Task.Yield();
                    break;
            }

            after = Place.Here();
        }
    }

    [Theory]
    [InlineData("Task.Delay")]
    [InlineData("Task.Run")]
    [InlineData("Task.Yield")]
    public void DelegateTask_AwaitsDotNetAwaitable_ResumesOnTheLoopThreadAsTheSameTask(string kind)
    {
        Place before = default;
        Place after = default;
        AioTask? spawned = null;
        int worker = -1;
        LoopTest.WithinSeconds(10, () => LoopTest.Run(async loop =>
        {
            spawned = AsyncIO.CreateTask(async () =>
            {
                before = Place.Here();
                worker = await AwaitDotNet(kind);
                after = Place.Here();
            });
            await spawned;
        }));
        Assert.NotNull(before.Loop);
        Assert.Equal(before, after);
        Assert.Same(spawned, after.Task);
        if (kind == "Task.Run")
        {
            Assert.NotEqual(before.Thread, worker);
        }
    }

    [Fact]
    public void CoroutineTask_SeveralDotNetAwaitsInARow_EachResumesAsTheSameTask()
    {
        var places = new List<Place>();
        AioTask? spawned = null;
        LoopTest.WithinSeconds(10, () => LoopTest.Run(async loop =>
        {
            spawned = AsyncIO.CreateTask(Body());
            await spawned;
        }));
        Assert.Equal(7, places.Count);
        Assert.All(places, p => Assert.Equal(places[0], p));
        Assert.Same(spawned, places[0].Task);

        async Coroutine Body()
        {
            places.Add(Place.Here());
            await Task.Yield();
            places.Add(Place.Here());
            await Task.Delay(5);
            places.Add(Place.Here());
            await AsyncIO.Sleep(0.001);
            places.Add(Place.Here());
            await Task.Run(() => { });
            places.Add(Place.Here());
            await AwaitDotNet("Task.Delay");
            places.Add(Place.Here());
            await Task.Yield();
            places.Add(Place.Here());
        }
    }

    [Fact]
    public void CoroutineTask_OrdinaryAsyncMethodInside_ItsContinuationsRunAsTheTask()
    {
        Place outer = default;
        Place inner = default;
        Place afterInner = default;
        AioTask? spawned = null;
        LoopTest.WithinSeconds(10, () => LoopTest.Run(async loop =>
        {
            spawned = AsyncIO.CreateTask(Body());
            await spawned;
        }));
        Assert.Equal(outer, inner);
        Assert.Equal(outer, afterInner);
        Assert.Same(spawned, inner.Task);

        async Coroutine Body()
        {
            outer = Place.Here();
            inner = await Helper();
            afterInner = Place.Here();
        }

        static async Task<Place> Helper()
        {
            await Task.Delay(5);
            await Task.Yield();
            return Place.Here();
        }
    }

    [Fact]
    public void CoroutineTask_ConfigureAwaitFalse_StillResumesOnTheLoopThread()
    {
        Place before = default;
        Place after = default;
        AioTask? spawned = null;
        LoopTest.WithinSeconds(10, () => LoopTest.Run(async loop =>
        {
            spawned = AsyncIO.CreateTask(Body());
            await spawned;
        }));
        Assert.Equal(before, after);
        Assert.Same(spawned, after.Task);

        async Coroutine Body()
        {
            before = Place.Here();
            await Task.Delay(5).ConfigureAwait(false);
            after = Place.Here();
        }
    }

    [Fact]
    public void MainTask_AwaitsTaskDelay_ResumesOnTheLoopThreadAsTheMainTask()
    {
        Place before = default;
        Place after = default;
        LoopTest.WithinSeconds(10, () => LoopTest.Run(async loop =>
        {
            before = Place.Here();
            await Task.Delay(10);
            after = Place.Here();
        }));
        Assert.NotNull(before.Task);
        Assert.Equal(before, after);
    }

    [Fact]
    public void PlainCallback_PostFromAnotherThread_RunsOnTheLoopThread()
    {
        int loopThread = -1;
        Place posted = default;
        LoopTest.WithinSeconds(10, () => LoopTest.Run(async loop =>
        {
            loopThread = Environment.CurrentManagedThreadId;
            Future<bool> done = loop.CreateFuture<bool>();
            SynchronizationContext? captured = null;
            loop.CallSoon(() => captured = SynchronizationContext.Current);
            await AsyncIO.Sleep(0);
            SynchronizationContext context = Assert.IsAssignableFrom<SynchronizationContext>(captured);
            Assert.False(context.GetType() == typeof(SynchronizationContext), "the default context would run posts on the thread pool");
            var poster = new Thread(() => context.Post(_ =>
            {
                posted = Place.Here();
                done.SetResult(true);
            }, null));
            poster.Start();
            await done;
            poster.Join();
        }));
        Assert.Equal(loopThread, posted.Thread);
        Assert.NotNull(posted.Loop);
    }

    [Fact]
    public void RunForever_Returns_RestoresTheThreadsPreviousContext()
    {
        var mine = new SynchronizationContext();
        SynchronizationContext? inside = null;
        SynchronizationContext? after = null;
        LoopTest.WithinSeconds(10, () =>
        {
            SynchronizationContext.SetSynchronizationContext(mine);
            using var loop = new EventLoop();
            loop.CallSoon(() =>
            {
                inside = SynchronizationContext.Current;
                loop.Stop();
            });
            loop.RunForever();
            after = SynchronizationContext.Current;
        });
        Assert.NotNull(inside);
        Assert.NotSame(mine, inside);
        Assert.Same(mine, after);
    }

    [Fact]
    public void LoopThreadContext_OnThisRuntime_WritesTheThreadsContextDirectly()
    {
        // The loop sets its thread's context directly at every task switch; if this fails, the runtime
        // renamed the field and the loop fell back to the public (slower) method.
        Assert.True(LoopThreadContext.Direct);
    }

    [Fact]
    public void TasksTakingTurns_EachStepSeesItsOwnContext_AndPlainCallbacksTheLoops()
    {
        var seen = new List<(string Who, SynchronizationContext? Context)>();
        SynchronizationContext? plain = null;
        LoopTest.Run(async loop =>
        {
            var queue = new Aio.Queues.AsyncQueue<int>(1);
            AioTask producer = AsyncIO.CreateTask(Produce(queue, seen), "producer");
            AioTask consumer = AsyncIO.CreateTask(Consume(queue, seen), "consumer");
            await producer;
            await consumer;
            loop.CallSoon(() => plain = SynchronizationContext.Current);
            await AsyncIO.Sleep(0);
        });

        var byTask = seen.GroupBy(s => s.Who).ToDictionary(g => g.Key, g => g.Select(s => s.Context).Distinct().ToList());
        SynchronizationContext producerContext = Assert.Single(byTask["producer"])!;
        SynchronizationContext consumerContext = Assert.Single(byTask["consumer"])!;
        Assert.NotSame(producerContext, consumerContext);
        Assert.NotNull(plain);
        Assert.NotSame(plain, producerContext);
        Assert.NotSame(plain, consumerContext);

        static async Coroutine Produce(Aio.Queues.AsyncQueue<int> queue, List<(string, SynchronizationContext?)> seen)
        {
            for (int i = 0; i < 20; i++)
            {
                await queue.PutAsync(i);
                seen.Add(("producer", SynchronizationContext.Current));
            }
        }

        static async Coroutine Consume(Aio.Queues.AsyncQueue<int> queue, List<(string, SynchronizationContext?)> seen)
        {
            for (int i = 0; i < 20; i++)
            {
                await queue.GetAsync();
                seen.Add(("consumer", SynchronizationContext.Current));
            }
        }
    }
}
