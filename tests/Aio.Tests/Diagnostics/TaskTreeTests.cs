using System.Text.RegularExpressions;
using Aio.Diagnostics;
using Aio.Queues;
using Aio.Sync;
using Aio.Tests.Support;

namespace Aio.Tests.Diagnostics;

/// <summary>The task tree, Python 3.14's <c>asyncio ps</c> / <c>pstree</c>: who awaits whom, what each
/// task awaits, taken on the loop or from another thread.</summary>
public sealed partial class TaskTreeTests
{
    [Fact]
    public void CaptureTaskTree_TaskGroupAndGather_ChildrenHangUnderTheirAwaiters()
    {
        TaskTreeSnapshot snapshot = CaptureWhileBuilt(OnTheLoop);

        TaskSnapshot main = Single(snapshot, "test-main");
        TaskSnapshot root = Single(snapshot, "root");
        TaskSnapshot sleeper = Single(snapshot, "sleeper");
        TaskSnapshot gatherer = Single(snapshot, "gatherer");
        TaskSnapshot awaiter = Single(snapshot, "awaiter");
        Assert.Equal([main, awaiter], snapshot.Roots);
        Assert.Equal(TaskSnapshotState.Running, main.State);

        // The group's parent awaits its children; gather's caller awaits the gathered tasks.
        Assert.Equal([sleeper, gatherer], snapshot.ChildrenOf(root));
        Assert.Equal(["g1", "g2"], snapshot.ChildrenOf(gatherer).Select(t => t.Name));
        Assert.Equal([root.Id], sleeper.AwaitedBy);
        Assert.Equal([gatherer.Id], Single(snapshot, "g1").AwaitedBy);

        Assert.Equal(["TaskTreeTests.Root()", "AsyncIO.TaskGroup()", "TaskGroup.ExitAsync()"], root.Coroutines.Select(f => f.Method));
        Assert.Equal($"TaskTreeTests.cs:{SourceLines.Of("// root awaits the group")}", root.Coroutines[0].Location);
        Assert.Equal(["TaskTreeTests.Sleeper()", "TaskTreeTests.Nap()"], sleeper.Coroutines.Select(f => f.Method));
        Assert.Equal($"TaskTreeTests.cs:{SourceLines.Of("// nap sleeps")}", sleeper.Coroutines[1].Location);
        Assert.Matches(@"^sleep, due in \d+\.\d{3} s$", Assert.Single(sleeper.Awaiting));
        Assert.Equal(["gather of 2"], gatherer.Awaiting);
        Assert.Equal(["Task 'root' #2"], awaiter.Awaiting);
        Assert.Equal([awaiter.Id], root.AwaitedBy);
    }

    [Fact]
    public void Render_TaskGroupAndGather_DrawsThePstreeTree()
    {
        TaskTreeSnapshot snapshot = CaptureWhileBuilt(OnTheLoop);

        Assert.Equal(
            """
            Event loop N: 7 tasks
            ├── (T) test-main #1 [running]
            │   └── LoopTest.Run.<lambda>()
            └── (T) awaiter #3
                └── TaskTreeTests.AwaitRoot() TaskTreeTests.cs:N
                    ├── awaiting Task 'root' #2
                    └── (T) root #2
                        └── TaskTreeTests.Root() TaskTreeTests.cs:N
                            └── AsyncIO.TaskGroup() AsyncIO.Structured.cs:N
                                └── TaskGroup.ExitAsync() TaskGroup.cs:N
                                    ├── awaiting Future
                                    ├── (T) sleeper #4
                                    │   └── TaskTreeTests.Sleeper() TaskTreeTests.cs:N
                                    │       └── TaskTreeTests.Nap() TaskTreeTests.cs:N
                                    │           └── awaiting sleep, due in X s
                                    └── (T) gatherer #5
                                        └── TaskTreeTests.Gatherer() TaskTreeTests.cs:N
                                            ├── awaiting gather of 2
                                            ├── (T) g1 #6
                                            │   └── TaskTreeTests.Nap() TaskTreeTests.cs:N
                                            │       └── awaiting sleep, due in X s
                                            └── (T) g2 #7
                                                └── TaskTreeTests.Nap() TaskTreeTests.cs:N
                                                    └── awaiting sleep, due in X s

            """,
            Normalize(snapshot.Render()));
    }

    [Fact]
    public void RenderTable_TaskGroupAndGather_OneRowPerTaskAndAwaiter()
    {
        TaskTreeSnapshot snapshot = CaptureWhileBuilt(OnTheLoop);

        string[] lines = snapshot.RenderTable().TrimEnd('\n').Split('\n');
        Assert.Matches(@"^id +task name +state +coroutine stack +awaiting +awaiter chain +awaiter name +awaiter id$", lines[1]);
        Assert.Matches(@"^[- ]+$", lines[2]);
        Assert.Equal(7, lines.Length - 3);
        Assert.Matches(@"^4 +sleeper +suspended +TaskTreeTests\.Nap\(\) -> TaskTreeTests\.Sleeper\(\) +sleep, due in \S+ s +TaskGroup\.ExitAsync\(\) -> AsyncIO\.TaskGroup\(\) -> TaskTreeTests\.Root\(\) +root +2$", lines[6]);
    }

    [Fact]
    public void CaptureTaskTree_TasksWaitingOnALockAndAQueue_NameThePrimitiveAndTheCoroutine()
    {
        TaskTreeSnapshot? snapshot = null;
        LoopTest.WithinSeconds(20, () => LoopTest.Run(async loop =>
        {
            var gate = new AsyncLock();
            var queue = new AsyncQueue<int>();
            AioTask locker;
            AioTask getter;
            using (await gate.LockAsync())
            {
                locker = AsyncIO.CreateTask(TakeLock(gate), "locker");
                getter = AsyncIO.CreateTask(GetOne(queue), "getter");
                for (int i = 0; i < 3; i++)
                {
                    await AsyncIO.Sleep(0);
                }

                snapshot = loop.CaptureTaskTree();
                queue.PutNowait(1);
            }

            await locker;
            await getter;
        }));

        TaskSnapshot locker = Single(snapshot!, "locker");
        Assert.Equal(["AsyncLock"], locker.Awaiting);
        Assert.Equal($"TaskTreeTests.TakeLock() TaskTreeTests.cs:{SourceLines.Of("// waits for the lock")}", Assert.Single(locker.Coroutines).ToString());
        TaskSnapshot getter = Single(snapshot!, "getter");
        Assert.Equal(["AsyncQueue get"], getter.Awaiting);
        Assert.Equal("TaskTreeTests.GetOne()", Assert.Single(getter.Coroutines).Method);
    }

    [Fact]
    public void CaptureTaskTree_FromAnotherThread_TheLoopTakesItBetweenCallbacks()
    {
        // The main task waits for the other thread without blocking the loop, which serves the request.
        TaskTreeSnapshot snapshot = CaptureWhileBuilt(static loop => AsyncIO.WrapTask(Task.Run(loop.CaptureTaskTree)));

        Assert.True(snapshot.IsConsistent);
        Assert.Equal(7, snapshot.Tasks.Count);
        Assert.DoesNotContain(snapshot.Tasks, t => t.State == TaskSnapshotState.Running);
        Assert.Equal(["sleeper", "gatherer"], snapshot.ChildrenOf(Single(snapshot, "root")).Select(t => t.Name));
    }

    [Fact]
    public void CaptureTaskTree_LoopBlockedPastTheTimeout_ReadFromTheCallerAndMarkedInconsistent()
    {
        TaskTreeSnapshot? snapshot = null;
        LoopTest.WithinSeconds(20, () => LoopTest.Run(async loop =>
        {
            await AsyncIO.CreateTask(BlockUntilCaptured(loop, s => snapshot = s), "blocker");
        }));

        Assert.NotNull(snapshot);
        Assert.False(snapshot.IsConsistent);
        Assert.Equal(TaskSnapshotState.Running, Single(snapshot, "blocker").State);
        Assert.Contains("may be inconsistent", snapshot.Render(), StringComparison.Ordinal);
    }

    [Fact]
    public void CaptureTaskTree_StoppedLoop_TakenAtOnce()
    {
        using var loop = new EventLoop();
        AioTask task = loop.CreateTask(Nap(), "never-ran");

        TaskTreeSnapshot snapshot = loop.CaptureTaskTree();

        TaskSnapshot only = Assert.Single(snapshot.Tasks);
        Assert.Equal(TaskSnapshotState.Scheduled, only.State);
        Assert.Equal("TaskTreeTests.Nap()", Assert.Single(only.Coroutines).Method);
        task.Cancel();
        loop.RunUntilComplete(loop.CreateTask(SleepBriefly()));
    }

    /// <summary>
    /// Builds, inside the test's main task: <c>root</c> running a task group of <c>sleeper</c> and
    /// <c>gatherer</c> (which gathers <c>g1</c> and <c>g2</c>), and <c>awaiter</c> awaiting <c>root</c>; lets
    /// them all suspend, takes a snapshot with <paramref name="capture"/>, then tears everything down.
    /// </summary>
    private static TaskTreeSnapshot CaptureWhileBuilt(Func<EventLoop, Future<TaskTreeSnapshot>> capture)
    {
        TaskTreeSnapshot? snapshot = null;
        LoopTest.WithinSeconds(20, () => LoopTest.Run(async loop =>
        {
            AioTask root = AsyncIO.CreateTask(Root(), "root");
            AioTask awaiter = AsyncIO.CreateTask(AwaitRoot(root), "awaiter");
            for (int i = 0; i < 5; i++)
            {
                await AsyncIO.Sleep(0);
            }

            snapshot = await capture(loop);
            root.Cancel();
            await AioAssert.ThrowsAsync<CancelledException>(async () => await awaiter);
        }));
        return snapshot!;
    }

    private static async Coroutine Root()
    {
        await AsyncIO.TaskGroup(async group => // root awaits the group
        {
            group.StartSoon(Sleeper(), "sleeper");
            group.StartSoon(Gatherer(), "gatherer");
            await AsyncIO.Sleep(0);
        });
    }

    private static Future<TaskTreeSnapshot> OnTheLoop(EventLoop loop)
    {
        Future<TaskTreeSnapshot> taken = loop.CreateFuture<TaskTreeSnapshot>();
        taken.SetResult(loop.CaptureTaskTree());
        return taken;
    }

    private static async Coroutine AwaitRoot(AioTask root) => await root;

    private static async Coroutine Sleeper() => await Nap();

    private static async Coroutine Gatherer()
    {
        EventLoop loop = AsyncIO.GetRunningLoop();
        await AsyncIO.Gather(loop.CreateTask(Nap(), "g1"), loop.CreateTask(Nap(), "g2"));
    }

    private static async Coroutine Nap()
    {
        await AsyncIO.Sleep(60); // nap sleeps
    }

    private static async Coroutine TakeLock(AsyncLock gate)
    {
        using (await gate.LockAsync()) // waits for the lock
        {
        }
    }

    private static async Coroutine GetOne(AsyncQueue<int> queue) => await queue.GetAsync();

    private static async Coroutine SleepBriefly() => await AsyncIO.Sleep(0.001);

    private static async Coroutine BlockUntilCaptured(EventLoop loop, Action<TaskTreeSnapshot> keep)
    {
        await AsyncIO.Sleep(0);
        using var captured = new ManualResetEventSlim();
        var thread = new Thread(() =>
        {
            keep(loop.CaptureTaskTree(TimeSpan.FromMilliseconds(50)));
            captured.Set();
        })
        { IsBackground = true };
        thread.Start();

        // Hold the loop, as a blocking call would, until the other thread has given up waiting for it.
        Assert.True(captured.Wait(TimeSpan.FromSeconds(10)));
        thread.Join();
    }

    private static TaskSnapshot Single(TaskTreeSnapshot snapshot, string name) => Assert.Single(snapshot.Tasks, t => t.Name == name);

    /// <summary>Hides what moves: line numbers, durations, the loop's id.</summary>
    private static string Normalize(string text) =>
        Durations().Replace(Lines().Replace(LoopId().Replace(text, "Event loop N:"), ".cs:N"), "due in X s");

    [GeneratedRegex(@"\.cs:\d+")]
    private static partial Regex Lines();

    [GeneratedRegex(@"due in \d+\.\d{3} s")]
    private static partial Regex Durations();

    [GeneratedRegex(@"^Event loop \d+:")]
    private static partial Regex LoopId();
}
