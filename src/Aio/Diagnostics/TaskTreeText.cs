using System.Globalization;
using System.Text;

namespace Aio.Diagnostics;

/// <summary>The text renderings of a <see cref="TaskTreeSnapshot"/>: the tree of
/// <c>python -m asyncio pstree</c> and the table of <c>python -m asyncio ps</c>.</summary>
internal static class TaskTreeText
{
    private const string Branch = "├── ";
    private const string LastBranch = "└── ";
    private const string Pipe = "│   ";
    private const string Blank = "    ";

    /// <summary>
    /// Each root task, its coroutine chain nested outermost first, and under the innermost coroutine what
    /// it awaits followed by the tasks it awaits — where Python's pstree puts them too.
    /// </summary>
    internal static string Tree(TaskTreeSnapshot snapshot)
    {
        var text = new StringBuilder();
        text.Append(Header(snapshot)).Append('\n');
        var rendered = new HashSet<int>();
        var path = new HashSet<int>();
        IReadOnlyList<TaskSnapshot> roots = snapshot.Roots;
        var extra = new List<TaskSnapshot>();
        for (int pass = 0; pass < 2; pass++)
        {
            IReadOnlyList<TaskSnapshot> level = pass == 0 ? roots : extra;
            for (int i = 0; i < level.Count; i++)
            {
                Node node = TaskNode(snapshot, level[i], path, rendered);
                Write(text, node, "", i == level.Count - 1);
            }

            if (pass == 0)
            {
                // Tasks that only await each other in a cycle hang from no root: show them as roots too.
                foreach (TaskSnapshot task in snapshot.Tasks)
                {
                    if (!rendered.Contains(task.Id))
                    {
                        extra.Add(task);
                        MarkSubtree(snapshot, task, rendered);
                    }
                }
            }
        }

        return text.ToString();
    }

    /// <summary>One row per task and awaiter (a task nobody awaits has one row with empty awaiter columns).</summary>
    internal static string Table(TaskTreeSnapshot snapshot)
    {
        string[] headings = ["id", "task name", "state", "coroutine stack", "awaiting", "awaiter chain", "awaiter name", "awaiter id"];
        var rows = new List<string[]>();
        foreach (TaskSnapshot task in snapshot.Tasks)
        {
            string[] own =
            [
                task.Id.ToString(CultureInfo.InvariantCulture),
                task.Name,
                StateText(task),
                Stack(task),
                string.Join("; ", task.Awaiting),
            ];
            bool any = false;
            foreach (int awaiterId in task.AwaitedBy)
            {
                if (snapshot.Find(awaiterId) is not { } awaiter)
                {
                    continue;
                }

                any = true;
                rows.Add([.. own, Stack(awaiter), awaiter.Name, awaiter.Id.ToString(CultureInfo.InvariantCulture)]);
            }

            if (!any)
            {
                rows.Add([.. own, "", "", ""]);
            }
        }

        int[] widths = new int[headings.Length];
        for (int c = 0; c < headings.Length; c++)
        {
            widths[c] = headings[c].Length;
            foreach (string[] row in rows)
            {
                widths[c] = Math.Max(widths[c], row[c].Length);
            }
        }

        var text = new StringBuilder();
        text.Append(Header(snapshot)).Append('\n');
        AppendRow(text, headings, widths);
        AppendRow(text, widths.Select(static w => new string('-', w)).ToArray(), widths);
        foreach (string[] row in rows)
        {
            AppendRow(text, row, widths);
        }

        return text.ToString();
    }

    private static string Header(TaskTreeSnapshot snapshot)
    {
        string count = snapshot.Tasks.Count == 1 ? "1 task" : snapshot.Tasks.Count.ToString(CultureInfo.InvariantCulture) + " tasks";
        string header = $"Event loop {snapshot.LoopId.ToString(CultureInfo.InvariantCulture)}: {count}";
        return snapshot.IsConsistent
            ? header
            : header + " (read while the loop was busy and did not answer: may be inconsistent)";
    }

    private static string StateText(TaskSnapshot task)
    {
        string state = task.State switch
        {
            TaskSnapshotState.Scheduled => "scheduled",
            TaskSnapshotState.Running => "running",
            _ => "suspended",
        };
        return task.CancelRequests > 0 ? state + ", cancelling" : state;
    }

    /// <summary>The coroutine stack innermost first, joined as Python's ps joins it.</summary>
    private static string Stack(TaskSnapshot task)
    {
        var names = new string[task.Coroutines.Count];
        for (int i = 0; i < names.Length; i++)
        {
            names[i] = task.Coroutines[names.Length - 1 - i].Method;
        }

        return string.Join(" -> ", names);
    }

    private static void AppendRow(StringBuilder text, string[] row, int[] widths)
    {
        var line = new StringBuilder();
        for (int c = 0; c < row.Length; c++)
        {
            line.Append(c == row.Length - 1 ? row[c] : row[c].PadRight(widths[c] + 2));
        }

        text.Append(line.ToString().TrimEnd()).Append('\n');
    }

    private static Node TaskNode(TaskTreeSnapshot snapshot, TaskSnapshot task, HashSet<int> path, HashSet<int> rendered)
    {
        rendered.Add(task.Id);
        string label = $"(T) {task.Name} #{task.Id.ToString(CultureInfo.InvariantCulture)}";
        if (task.State != TaskSnapshotState.Suspended || task.CancelRequests > 0)
        {
            label += " [" + StateText(task) + "]";
        }

        var root = new Node(label);
        if (!path.Add(task.Id))
        {
            // Awaiting itself through others: say so instead of recursing forever.
            root.Text += " (awaits itself; see above)";
            return root;
        }

        Node innermost = root;
        foreach (CoroutineFrame frame in task.Coroutines)
        {
            var child = new Node(frame.ToString());
            innermost.Children.Add(child);
            innermost = child;
        }

        foreach (string awaiting in task.Awaiting)
        {
            innermost.Children.Add(new Node("awaiting " + awaiting));
        }

        foreach (TaskSnapshot awaited in snapshot.ChildrenOf(task))
        {
            innermost.Children.Add(TaskNode(snapshot, awaited, path, rendered));
        }

        path.Remove(task.Id);
        return root;
    }

    private static void MarkSubtree(TaskTreeSnapshot snapshot, TaskSnapshot task, HashSet<int> rendered)
    {
        var pending = new Stack<TaskSnapshot>();
        pending.Push(task);
        while (pending.TryPop(out TaskSnapshot? next))
        {
            if (rendered.Add(next.Id))
            {
                foreach (TaskSnapshot child in snapshot.ChildrenOf(next))
                {
                    pending.Push(child);
                }
            }
        }
    }

    private static void Write(StringBuilder text, Node node, string indent, bool last)
    {
        text.Append(indent).Append(last ? LastBranch : Branch).Append(node.Text).Append('\n');
        string childIndent = indent + (last ? Blank : Pipe);
        for (int i = 0; i < node.Children.Count; i++)
        {
            Write(text, node.Children[i], childIndent, i == node.Children.Count - 1);
        }
    }

    private sealed class Node(string text)
    {
        public string Text { get; set; } = text;

        public List<Node> Children { get; } = [];
    }
}
