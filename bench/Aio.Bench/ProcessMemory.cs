using System.Diagnostics;
using System.Globalization;

namespace Aio.Bench;

/// <summary>Resident memory and heap readings, and the child process the memory figures are taken in.</summary>
/// <remarks>
/// A fresh process, because a process that has already spawned millions of tasks keeps heap regions,
/// grown queues and JIT-compiled code around, and the growth it shows for 100,000 more tasks would be
/// anybody's guess.
/// </remarks>
internal static class ProcessMemory
{
    private static readonly long s_pageSize = Environment.SystemPageSize;

    /// <summary>Resident set size in bytes, from /proc/self/statm (its second field, in pages).</summary>
    public static long ResidentBytes()
    {
        string statm = File.ReadAllText("/proc/self/statm");
        string resident = statm.Split(' ')[1];
        return long.Parse(resident, CultureInfo.InvariantCulture) * s_pageSize;
    }

    /// <summary>A full, blocking, compacting collection that also gives freed memory back to the system,
    /// so that resident memory reflects live objects only.</summary>
    public static void FullCollect()
    {
        GC.Collect(2, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(2, GCCollectionMode.Aggressive, blocking: true, compacting: true);
    }

    /// <summary>Live managed heap bytes, read right after <see cref="FullCollect"/>.</summary>
    public static long HeapBytes() => GC.GetTotalMemory(forceFullCollection: false);

    /// <summary>Prints a child's answer: resident and heap growth per task, on one line.</summary>
    public static void WriteChildAnswer(double residentPerTask, double heapPerTask)
    {
        Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{residentPerTask:R} {heapPerTask:R}"));
        Console.Out.Flush();
    }

    /// <summary>Runs this program again with <paramref name="subcommand"/> and reads its answer.</summary>
    public static (double ResidentPerTask, double HeapPerTask) RunChild(string subcommand)
    {
        ProcessStartInfo start = SelfProcess.For([subcommand]);
        start.RedirectStandardOutput = true;
        using Process child = Process.Start(start) ?? throw new InvalidOperationException("Could not start the child process.");
        string output = child.StandardOutput.ReadToEnd();
        child.WaitForExit();
        if (child.ExitCode != 0)
        {
            throw new InvalidOperationException($"The '{subcommand}' child process exited with code {child.ExitCode}.");
        }

        string[] parts = output.Trim().Split(' ');
        return (double.Parse(parts[0], CultureInfo.InvariantCulture), double.Parse(parts[1], CultureInfo.InvariantCulture));
    }
}
