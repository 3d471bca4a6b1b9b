namespace Aio.Diagnostics;

/// <summary>
/// One live task in a <see cref="TaskTreeSnapshot"/>: what <c>python -m asyncio ps</c> prints for a task —
/// its name and id, its coroutine chain, what it awaits, and which tasks await it.
/// </summary>
/// <remarks>Immutable; safe to read from any thread.</remarks>
public sealed class TaskSnapshot
{
    internal TaskSnapshot(
        int id,
        string name,
        TaskSnapshotState state,
        int cancelRequests,
        string? createdAt,
        IReadOnlyList<CoroutineFrame> coroutines,
        IReadOnlyList<string> awaiting,
        IReadOnlyList<int> awaitedBy)
    {
        Id = id;
        Name = name;
        State = state;
        CancelRequests = cancelRequests;
        CreatedAt = createdAt;
        Coroutines = coroutines;
        Awaiting = awaiting;
        AwaitedBy = awaitedBy;
    }

    /// <summary>The task's number on its loop: the N of its default name <c>Task-N</c>.</summary>
    public int Id { get; }

    /// <summary>The task's name.</summary>
    public string Name { get; }

    /// <summary>Whether the task was scheduled, running or suspended.</summary>
    public TaskSnapshotState State { get; }

    /// <summary>Pending cancellation requests (<see cref="AioTask.Cancelling"/>); above zero, the task is
    /// being cancelled.</summary>
    public int CancelRequests { get; }

    /// <summary>Where the task was created, as <c>file:line</c>, when known.</summary>
    public string? CreatedAt { get; }

    /// <summary>The coroutine chain, outermost first: the task's own coroutine, then each coroutine it
    /// awaits inline, down to the one that is suspended. Ordinary .NET async methods inside the task end
    /// the chain (their callers cannot be followed).</summary>
    public IReadOnlyList<CoroutineFrame> Coroutines { get; }

    /// <summary>What the innermost coroutine awaits, such as <c>sleep, due in 1.250 s</c>,
    /// <c>gather of 3</c> or <c>Task 'fetch' #4</c>; empty when unknown or not waiting.</summary>
    public IReadOnlyList<string> Awaiting { get; }

    /// <summary>The ids of the tasks awaiting this one, directly or through <c>gather</c>, <c>wait</c>,
    /// <c>shield</c> or a task group (whose parent task waits for its children), in id order.</summary>
    public IReadOnlyList<int> AwaitedBy { get; }

    /// <summary>A one-line description.</summary>
    /// <returns>The text, such as <c>Task 'fetch' #4 suspended in Crawler.Fetch() Crawler.cs:41</c>.</returns>
    public override string ToString() =>
        $"Task '{Name}' #{Id} {State.ToString().ToLowerInvariant()}" + (Coroutines.Count > 0 ? " in " + Coroutines[^1] : "");
}
