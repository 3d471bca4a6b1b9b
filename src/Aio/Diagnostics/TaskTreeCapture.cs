using System.Globalization;

namespace Aio.Diagnostics;

/// <summary>
/// Reads a loop's live tasks into a <see cref="TaskTreeSnapshot"/>. Nothing is recorded while tasks run:
/// the tree is recovered from the links the runtime keeps anyway.
/// </summary>
/// <remarks>
/// <para>Down a task: its <see cref="TaskCore.WaitingOn"/> is the future, sleep or primitive that its
/// innermost coroutine awaits; among that wait's waiters is the innermost coroutine; each coroutine
/// awaited inline has the coroutine that awaits it among its own waiters — so the chain is climbed from
/// the inside out, up to the task's own coroutine.</para>
/// <para>Up from a task: its waiters are the coroutines of the tasks awaiting it, a task group (whose
/// parent task waits for it), or a future that passes its completion on (<c>gather</c>, <c>wait</c>,
/// <c>shield</c>), whose own waiters are followed in turn.</para>
/// <para>Normally run on the loop thread between callbacks. When the loop does not answer, it is run
/// from another thread while the loop mutates what it reads; every read then is guarded and the snapshot
/// is marked inconsistent.</para>
/// </remarks>
internal static class TaskTreeCapture
{
    /// <summary>Deeper than any real chain; a guard against a cycle read while the loop mutated it.</summary>
    private const int MaxDepth = 256;

    internal static TaskTreeSnapshot Capture(EventLoop loop, bool consistent)
    {
        var snapshots = new List<TaskSnapshot>();
        List<AioTask> tasks;
        try
        {
            tasks = loop.CollectTasks();
        }
        catch (Exception ex) when (!consistent && IsRace(ex))
        {
            tasks = [];
        }

        TaskCore? running = loop.IsRunning ? loop.CurrentTaskCore : null;
        if (running is not null && !tasks.Contains(running.Task))
        {
            tasks.Add(running.Task);
        }

        foreach (AioTask task in tasks)
        {
            if (task._core is not { } core)
            {
                continue;
            }

            try
            {
                snapshots.Add(Describe(loop, core, ReferenceEquals(core, running)));
            }
            catch (Exception ex) when (!consistent && IsRace(ex))
            {
                // Changed under our feet: keep what cannot change.
                snapshots.Add(new TaskSnapshot(core.Id, core.Name, TaskSnapshotState.Suspended, 0, core.CreatedAt, [], [], []));
            }
        }

        return new TaskTreeSnapshot(loop.Id, DateTimeOffset.Now, consistent, snapshots);
    }

    /// <summary>What a read racing the loop thread may run into.</summary>
    private static bool IsRace(Exception ex) =>
        ex is InvalidOperationException or IndexOutOfRangeException or ArgumentException or NullReferenceException or InvalidCastException;

    private static TaskSnapshot Describe(EventLoop loop, TaskCore core, bool isRunning)
    {
        var awaiting = new List<string>();
        AioTask? innermost = null;
        if (!isRunning)
        {
            innermost = DescribeWaits(loop, core, awaiting);
        }

        TaskSnapshotState state = isRunning
            ? TaskSnapshotState.Running
            : core.LiveIndex < 0 ? TaskSnapshotState.Scheduled : TaskSnapshotState.Suspended;

        var awaitedBy = new SortedSet<int>();
        CollectAwaiters(core.Task, awaitedBy, 0);
        awaitedBy.Remove(core.Id);

        return new TaskSnapshot(
            core.Id,
            core.Name,
            state,
            core.CancelRequests,
            core.CreatedAt,
            Chain(core, innermost, state),
            awaiting,
            [.. awaitedBy]);
    }

    /// <summary>Describes what the task waits on, and returns the innermost coroutine if found.</summary>
    private static AioTask? DescribeWaits(EventLoop loop, TaskCore core, List<string> awaiting)
    {
        AioTask? innermost = null;
        switch (core.WaitingOn)
        {
            case null:
                break;
            case List<ICancellableWait> waits:
                foreach (ICancellableWait wait in waits.ToArray())
                {
                    innermost ??= DescribeWait(loop, core, wait, awaiting);
                }

                break;
            case ICancellableWait wait:
                innermost = DescribeWait(loop, core, wait, awaiting);
                break;
        }

        if (innermost is null && core.ForeignBox is { } foreign)
        {
            // Suspended on an awaitable the loop does not know (a .NET task): its coroutine is known.
            innermost = foreign;
            if (awaiting.Count == 0)
            {
                awaiting.Add("a .NET awaitable");
            }
        }

        return innermost;
    }

    private static AioTask? DescribeWait(EventLoop loop, TaskCore core, ICancellableWait wait, List<string> awaiting)
    {
        switch (wait)
        {
            case TaskCore sleeping when ReferenceEquals(sleeping, core):
                awaiting.Add(DescribeSleep(loop, core, core.SleepFired));
                return core.SleepWaker as AioTask;
            case SleepOperation sleep:
                awaiting.Add(DescribeSleep(loop, sleep, fired: false));
                return sleep.Waker as AioTask;
            case YieldWait:
                awaiting.Add("yield (sleep(0))");
                return null;
            case AioTask { IsTaskRoot: true } task:
                awaiting.Add($"Task '{task._core!.Name}' #{task._core.Id.ToString(CultureInfo.InvariantCulture)}");
                return WaiterIn(task, core);
            case Future future:
                awaiting.Add(future is IDescribedWait described ? described.DescribeWait(loop) : FutureName(future));
                return WaiterIn(future, core);
            case IDescribedWait other:
                awaiting.Add(other.DescribeWait(loop));
                return other.WaitingCoroutine;
            default:
                awaiting.Add(TypeName(wait.GetType()));
                return null;
        }
    }

    private static string DescribeSleep(EventLoop loop, ITimerTarget slot, bool fired)
    {
        if (fired || loop.Timers.WhenOf(slot) is not { } when)
        {
            return "sleep (over; resuming)";
        }

        double seconds = Math.Max(0, when - loop.Clock.Now) / 1e9;
        return "sleep, due in " + seconds.ToString("0.000", CultureInfo.InvariantCulture) + " s";
    }

    /// <summary>The coroutine of <paramref name="core"/> among the waiters of <paramref name="future"/>.</summary>
    private static AioTask? WaiterIn(Future future, TaskCore core)
    {
        foreach (IFutureWaiter waiter in future.CopyWaiters())
        {
            if (waiter is AioTask box && ReferenceEquals(box._core, core))
            {
                return box;
            }
        }

        return null;
    }

    /// <summary>The chain from the task's own coroutine down to <paramref name="innermost"/>.</summary>
    private static List<CoroutineFrame> Chain(TaskCore core, AioTask? innermost, TaskSnapshotState state)
    {
        var boxes = new List<AioTask>();
        for (AioTask? box = innermost; box is not null && boxes.Count < MaxDepth; box = WaiterIn(box, core))
        {
            boxes.Add(box);
            if (ReferenceEquals(box, core.Task))
            {
                break;
            }
        }

        if (boxes.Count == 0 || !ReferenceEquals(boxes[^1], core.Task))
        {
            // The innermost coroutine is unknown (running, in a .NET async method, between waits): the
            // task's own coroutine is always known.
            boxes.Clear();
            boxes.Add(core.Task);
        }

        var frames = new List<CoroutineFrame>(boxes.Count);
        for (int i = boxes.Count - 1; i >= 0; i--)
        {
            frames.Add(Frame(boxes[i], state));
        }

        return frames;
    }

    private static CoroutineFrame Frame(AioTask box, TaskSnapshotState taskState)
    {
        if (box.StateMachineType is { } type)
        {
            // A coroutine that has not started stands at its first line; one running right now stands
            // somewhere the state machine does not record, so no line rather than a wrong one.
            string? location = taskState switch
            {
                TaskSnapshotState.Scheduled => CoroutineLocations.Describe(type, CoroutineStates.Running),
                TaskSnapshotState.Running => null,
                _ => CoroutineLocations.Describe(type, box.CoroutineState),
            };
            return new CoroutineFrame(CodeNames.OfStateMachine(type), location);
        }

        if (box.PendingDelegate is { } pending)
        {
            return new CoroutineFrame(CodeNames.OfDelegate(pending), null);
        }

        return new CoroutineFrame("<coroutine>", null);
    }

    /// <summary>Adds the ids of the tasks awaiting <paramref name="future"/>.</summary>
    private static void CollectAwaiters(Future future, SortedSet<int> ids, int depth)
    {
        if (depth > MaxDepth)
        {
            return;
        }

        foreach (IFutureWaiter waiter in future.CopyWaiters())
        {
            switch (waiter)
            {
                case AioTask { _core: { } owner }:
                    ids.Add(owner.Id);
                    break;
                case ContinuationWaiter { Owner: { } owner }:
                    ids.Add(owner.Id);
                    break;
                case TaskGroup { Parent: { } parent }:
                    ids.Add(parent.Id);
                    break;
                case Future next:
                    CollectAwaiters(next, ids, depth + 1);
                    break;
                case IForwardingWaiter forwarding:
                    CollectAwaiters(forwarding.Forwards, ids, depth + 1);
                    break;
            }
        }
    }

    private static string FutureName(Future future) =>
        future.StateName == "pending" ? TypeName(future.GetType()) : TypeName(future.GetType()) + " (" + future.StateName + ")";

    /// <summary>A type's name without arity or generic arguments: <c>Future</c> for <c>Future`1</c>.</summary>
    internal static string TypeName(Type type)
    {
        string name = type.Name;
        int tick = name.IndexOf('`', StringComparison.Ordinal);
        return tick >= 0 ? name[..tick] : name;
    }
}
