using System.Diagnostics;
using System.Globalization;

namespace Aio.Bench;

/// <summary>How every figure of the <c>tasks</c> suites is taken.</summary>
/// <remarks>
/// <para>The JIT compiles a method quickly first and recompiles the hot ones later, in the background.
/// Pinned to one core that is shared with the benchmark itself, the recompilation takes a while, so a
/// first run measures the quick code. Each measurement therefore repeats its whole run (same counts,
/// same batch sizes) for at least <see cref="WarmUp"/> before anything counts, then takes
/// <see cref="Runs"/> runs and reports the lowest value: on a machine shared with other work, noise from
/// outside only ever adds time (or lateness), so the best run is the closest to the code's own cost.
/// The Python script uses the same rule, so the columns stay comparable.</para>
/// <para>A full collection before each run keeps one run's garbage from being charged to the next.</para>
/// <para>Progress goes to stderr; stdout carries only the result lines, one JSON object each.</para>
/// </remarks>
internal static class Harness
{
    /// <summary>Measured runs per figure: 5, or more when the BENCH_RUNS environment variable asks for more.</summary>
    public static readonly int Runs = Math.Max(5, int.Parse(Environment.GetEnvironmentVariable("BENCH_RUNS") ?? "5", CultureInfo.InvariantCulture));
    public static readonly TimeSpan WarmUp = TimeSpan.FromSeconds(1);

    /// <summary>Takes the samples of a measurement whose run is a coroutine (it runs on the loop).</summary>
    public static async Coroutine<double[]> MeasureAsync(string name, Func<Coroutine<double[]>> run)
    {
        var clock = Stopwatch.StartNew();
        int warmRuns = 0;
        do
        {
            GC.Collect();
            _ = await run();
            warmRuns++;
        }
        while (clock.Elapsed < WarmUp);

        TimeSpan warmTime = clock.Elapsed;
        var samples = new List<double[]>(Runs);
        for (int i = 0; i < Runs; i++)
        {
            GC.Collect();
            samples.Add(await run());
        }

        return Reduce(name, warmRuns, warmTime, samples);
    }

    /// <summary>Takes the samples of a measurement whose run is plain blocking code.</summary>
    public static double[] Measure(string name, Func<double[]> run)
    {
        var clock = Stopwatch.StartNew();
        int warmRuns = 0;
        do
        {
            GC.Collect();
            _ = run();
            warmRuns++;
        }
        while (clock.Elapsed < WarmUp);

        TimeSpan warmTime = clock.Elapsed;
        var samples = new List<double[]>(Runs);
        for (int i = 0; i < Runs; i++)
        {
            GC.Collect();
            samples.Add(run());
        }

        return Reduce(name, warmRuns, warmTime, samples);
    }

    private static double[] Reduce(string name, int warmRuns, TimeSpan warmTime, List<double[]> samples)
    {
        int width = samples[0].Length;
        var best = new double[width];
        for (int k = 0; k < width; k++)
        {
            best[k] = samples.Min(s => s[k]);
        }

        string runs = string.Join("; ", samples.Select(s => string.Join(" ", s.Select(v => Format(v)))));
        Console.Error.WriteLine($"[{name}] warm-up: {warmRuns} runs in {warmTime.TotalSeconds:F2} s; runs: {runs}");
        return best;
    }

    /// <summary>Prints one result line.</summary>
    public static void Report(string bench, double value, string unit)
    {
        Console.Out.WriteLine($"{{\"bench\": \"{bench}\", \"value\": {Format(value)}, \"unit\": \"{unit}\"}}");
        Console.Out.Flush();
    }

    public static string Format(double value) =>
        Math.Round(value, value >= 100 ? 1 : 3).ToString("0.###", CultureInfo.InvariantCulture);

    /// <summary>Nanoseconds per operation from two <see cref="Stopwatch"/> timestamps.</summary>
    public static double NsPerOp(long start, long end, int operations) =>
        Stopwatch.GetElapsedTime(start, end).Ticks * 100.0 / operations;
}
