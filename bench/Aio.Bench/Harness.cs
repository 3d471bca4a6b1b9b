using System.Diagnostics;
using System.Globalization;
using System.Runtime;

namespace Aio.Bench;

/// <summary>How every figure of the benchmark suites (<c>tasks</c>, <c>sync</c>) is taken.</summary>
/// <remarks>
/// <para>The JIT compiles a method quickly first and recompiles the hot ones later, in the background,
/// after a delay that the runtime stretches tenfold on a single core (the loop benchmarks are pinned to one);
/// a short warm-up would then measure half-compiled code. So the suites run with that delay removed (see
/// <see cref="SelfProcess"/>), and each measurement repeats its whole run (same counts, same batch sizes)
/// for at least <see cref="WarmUp"/> and until the JIT has compiled nothing for <see cref="JitQuiet"/>
/// (at most <see cref="MaxWarmUp"/>). Then it takes <see cref="Runs"/> runs and reports the lowest
/// value: on a machine shared with other work, noise from outside only ever adds time (or lateness), so
/// the best run is the closest to the code's own cost. The Python script uses the same rule (with a plain
/// one-second warm-up: there is no JIT to wait for), so the columns stay comparable.</para>
/// <para>A full collection before each run keeps one run's garbage from being charged to the next.</para>
/// <para>Progress goes to stderr; stdout carries only the result lines, one JSON object each.</para>
/// </remarks>
internal static class Harness
{
    /// <summary>Measured runs per figure: 5, or more when the BENCH_RUNS environment variable asks for more.</summary>
    public static readonly int Runs = Math.Max(5, int.Parse(Environment.GetEnvironmentVariable("BENCH_RUNS") ?? "5", CultureInfo.InvariantCulture));
    public static readonly TimeSpan WarmUp = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan JitQuiet = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan MaxWarmUp = TimeSpan.FromSeconds(6);

    /// <summary>Takes the samples of a measurement whose run is a coroutine (it runs on the loop).</summary>
    public static async Coroutine<double[]> MeasureAsync(string name, Func<Coroutine<double[]>> run)
    {
        var warmUp = new WarmUpClock();
        do
        {
            GC.Collect();
            _ = await run();
        }
        while (warmUp.Continue());

        var samples = new List<double[]>(Runs);
        for (int i = 0; i < Runs; i++)
        {
            GC.Collect();
            samples.Add(await run());
        }

        return Reduce(name, warmUp, samples);
    }

    /// <summary>Takes the samples of a measurement whose run is plain blocking code.</summary>
    public static double[] Measure(string name, Func<double[]> run)
    {
        var warmUp = new WarmUpClock();
        do
        {
            GC.Collect();
            _ = run();
        }
        while (warmUp.Continue());

        var samples = new List<double[]>(Runs);
        for (int i = 0; i < Runs; i++)
        {
            GC.Collect();
            samples.Add(run());
        }

        return Reduce(name, warmUp, samples);
    }

    private static double[] Reduce(string name, WarmUpClock warmUp, List<double[]> samples)
    {
        int width = samples[0].Length;
        var best = new double[width];
        for (int k = 0; k < width; k++)
        {
            best[k] = samples.Min(s => s[k]);
        }

        string runs = string.Join("; ", samples.Select(s => string.Join(" ", s.Select(v => Format(v)))));
        Console.Error.WriteLine($"[{name}] warm-up: {warmUp}; runs: {runs}");
        return best;
    }

    /// <summary>Decides when a warm-up has done enough; see the remarks on <see cref="Harness"/>.</summary>
    private sealed class WarmUpClock
    {
        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private long _compiled = JitInfo.GetCompiledMethodCount();
        private TimeSpan _lastCompile;
        private TimeSpan _spent;
        private int _runs;

        /// <summary>Called after each warm-up run: whether to do another.</summary>
        public bool Continue()
        {
            _runs++;
            TimeSpan now = _clock.Elapsed;
            long compiled = JitInfo.GetCompiledMethodCount();
            if (compiled != _compiled)
            {
                _compiled = compiled;
                _lastCompile = now;
            }

            _spent = now;
            return now < MaxWarmUp && (now < WarmUp || now - _lastCompile < JitQuiet);
        }

        public override string ToString() =>
            $"{_runs} runs in {_spent.TotalSeconds:F2} s, last JIT compilation at {_lastCompile.TotalSeconds:F2} s";
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
