namespace Aio.Diagnostics;

/// <summary>
/// Every live task of one event loop at one moment, and who awaits whom: what Python 3.14's
/// <c>python -m asyncio ps</c> and <c>pstree</c> show. Take one with <see cref="EventLoop.CaptureTaskTree()"/>.
/// </summary>
/// <remarks>
/// <para>The tree's edges run from a task to the tasks it awaits — directly, through <c>gather</c>,
/// <c>wait</c> or <c>shield</c>, or as the parent of a task group. A task awaited by several tasks
/// appears under each.</para>
/// <para>Immutable; safe to read and render from any thread.</para>
/// </remarks>
public sealed class TaskTreeSnapshot
{
    private readonly Dictionary<int, TaskSnapshot> _byId;
    private readonly Dictionary<int, List<TaskSnapshot>> _children;

    internal TaskTreeSnapshot(int loopId, DateTimeOffset capturedAt, bool isConsistent, List<TaskSnapshot> tasks)
    {
        tasks.Sort(static (a, b) => a.Id.CompareTo(b.Id));
        LoopId = loopId;
        CapturedAt = capturedAt;
        IsConsistent = isConsistent;
        Tasks = tasks;
        _byId = tasks.ToDictionary(static task => task.Id);
        _children = new Dictionary<int, List<TaskSnapshot>>();
        var roots = new List<TaskSnapshot>();
        foreach (TaskSnapshot task in tasks)
        {
            bool awaited = false;
            foreach (int awaiter in task.AwaitedBy)
            {
                if (_byId.ContainsKey(awaiter))
                {
                    awaited = true;
                    if (!_children.TryGetValue(awaiter, out List<TaskSnapshot>? children))
                    {
                        _children[awaiter] = children = [];
                    }

                    children.Add(task);
                }
            }

            if (!awaited)
            {
                roots.Add(task);
            }
        }

        Roots = roots;
    }

    /// <summary>The <see cref="EventLoop.Id"/> of the loop.</summary>
    public int LoopId { get; }

    /// <summary>When the snapshot was taken.</summary>
    public DateTimeOffset CapturedAt { get; }

    /// <summary>True when the loop took the snapshot itself, between two callbacks. False when it did not
    /// answer in time (a callback was blocking it) and the snapshot was read from another thread while the
    /// loop ran: it then names the blocking task as running, and may be slightly inconsistent.</summary>
    public bool IsConsistent { get; }

    /// <summary>Every live task, in id order.</summary>
    public IReadOnlyList<TaskSnapshot> Tasks { get; }

    /// <summary>The tasks no live task awaits: the roots of the tree, in id order.</summary>
    public IReadOnlyList<TaskSnapshot> Roots { get; }

    /// <summary>The task with id <paramref name="id"/>, or null.</summary>
    /// <param name="id">A <see cref="TaskSnapshot.Id"/>.</param>
    /// <returns>The task, or null when it is not in the snapshot.</returns>
    public TaskSnapshot? Find(int id) => _byId.GetValueOrDefault(id);

    /// <summary>The tasks <paramref name="task"/> awaits: its children in the tree, in id order.</summary>
    /// <param name="task">A task of this snapshot.</param>
    /// <returns>The children; empty for a leaf.</returns>
    public IReadOnlyList<TaskSnapshot> ChildrenOf(TaskSnapshot task)
    {
        ArgumentNullException.ThrowIfNull(task);
        return _children.TryGetValue(task.Id, out List<TaskSnapshot>? children) ? children : [];
    }

    /// <summary>The tree as text, like <c>python -m asyncio pstree</c>: each task (marked <c>(T)</c>), its
    /// coroutine chain nested below it, what the innermost coroutine awaits, and under that the tasks it
    /// awaits.</summary>
    /// <returns>The text, one line per node, ending with a newline.</returns>
    public string Render() => TaskTreeText.Tree(this);

    /// <summary>The tasks as a table, like <c>python -m asyncio ps</c>: one row per task and awaiter, with
    /// the coroutine stacks innermost first.</summary>
    /// <returns>The text, ending with a newline.</returns>
    public string RenderTable() => TaskTreeText.Table(this);

    /// <summary>The same as <see cref="Render"/>.</summary>
    /// <returns>The tree as text.</returns>
    public override string ToString() => Render();
}
