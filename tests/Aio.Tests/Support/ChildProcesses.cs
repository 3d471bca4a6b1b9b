using System.Globalization;

namespace Aio.Tests.Support;

/// <summary>This process's children as /proc sees them, to check that a test left no process and no
/// zombie behind.</summary>
public static class ChildProcesses
{
    /// <summary>Whether process <paramref name="pid"/> exists at all (a zombie does; a reaped one does not).</summary>
    public static bool Exists(int pid) => Directory.Exists($"/proc/{pid}");

    /// <summary>This process's children: running ones and zombies, with their state letter.</summary>
    public static List<(int Pid, char State)> Current()
    {
        var children = new List<(int, char)>();
        int self = Environment.ProcessId;
        foreach (string directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), NumberStyles.None, CultureInfo.InvariantCulture, out int pid))
            {
                continue;
            }

            string stat;
            try
            {
                stat = File.ReadAllText(Path.Combine(directory, "stat"));
            }
            catch (IOException)
            {
                continue; // gone meanwhile
            }

            // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so parse after the last ')'.
            string[] fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            if (int.Parse(fields[1], CultureInfo.InvariantCulture) == self)
            {
                children.Add((pid, fields[0][0]));
            }
        }

        return children;
    }
}
