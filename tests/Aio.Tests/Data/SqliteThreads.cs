namespace Aio.Tests.Data;

/// <summary>Counts the process's SQLite worker threads by their names, as the kernel lists them.</summary>
internal static class SqliteThreads
{
    public static int Count()
    {
        int count = 0;
        foreach (string task in Directory.GetDirectories("/proc/self/task"))
        {
            try
            {
                if (File.ReadAllText(Path.Combine(task, "comm")).StartsWith("aio-sqlite", StringComparison.Ordinal))
                {
                    count++;
                }
            }
            catch (IOException)
            {
                // The thread ended while we looked.
            }
        }

        return count;
    }
}
