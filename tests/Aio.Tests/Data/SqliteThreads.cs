namespace Aio.Tests.Data;

/// <summary>Counts the process's SQLite worker threads by their names, as the kernel lists them.</summary>
internal static class SqliteThreads
{
    /// <summary>The count to compare with after a test: a worker joined by an earlier close may still be
    /// leaving the kernel's thread list (a managed join returns before the native thread has exited), so
    /// this waits a moment for the count to reach zero.</summary>
    public static int Before()
    {
        SpinWait.SpinUntil(() => Count() == 0, TimeSpan.FromSeconds(2));
        return Count();
    }

    /// <summary>Waits (up to 5 s) for the count to come back to <paramref name="before"/>, then asserts it.</summary>
    public static void AssertBackTo(int before)
    {
        SpinWait.SpinUntil(() => Count() == before, TimeSpan.FromSeconds(5));
        Assert.Equal(before, Count());
    }

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
