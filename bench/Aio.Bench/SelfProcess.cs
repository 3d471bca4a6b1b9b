using System.Diagnostics;

namespace Aio.Bench;

/// <summary>Starting this program again, in a fresh process.</summary>
internal static class SelfProcess
{
    /// <summary>
    /// The runtime waits until no new method has been compiled for a while before it starts counting
    /// calls towards the final JIT tier, and on a single core (the benchmarks run pinned to one) it
    /// stretches that wait tenfold and restarts it on every first call of a method, so hot code can stay
    /// half-compiled for several seconds of a benchmark. The wait only shapes start-up; the code a
    /// long-running process ends up with is the same without it, and that is what is measured.
    /// </summary>
    private const string TierUpDelayVariable = "DOTNET_TC_CallCountingDelayMs";

    /// <summary>Whether this process runs with the tier-up delay removed.</summary>
    public static bool HasTierUpDelayRemoved => Environment.GetEnvironmentVariable(TierUpDelayVariable) == "0";

    /// <summary>Runs this program again with the same arguments and the tier-up delay removed, its
    /// output going where this process's goes; returns its exit code.</summary>
    public static int RerunWithoutTierUpDelay(string[] args)
    {
        ProcessStartInfo start = For(args);
        start.Environment[TierUpDelayVariable] = "0";
        using Process child = Process.Start(start) ?? throw new InvalidOperationException("Could not start the benchmark process.");
        child.WaitForExit();
        return child.ExitCode;
    }

    /// <summary>A start description for this program with <paramref name="args"/>.</summary>
    public static ProcessStartInfo For(IEnumerable<string> args)
    {
        string host = Environment.ProcessPath ?? throw new InvalidOperationException("The process path is unknown.");
        var start = new ProcessStartInfo(host) { UseShellExecute = false };

        // Started as `dotnet Aio.Bench.dll`: the host needs the assembly again.
        if (Path.GetFileNameWithoutExtension(host) == "dotnet")
        {
            start.ArgumentList.Add(typeof(SelfProcess).Assembly.Location);
        }

        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        return start;
    }
}
