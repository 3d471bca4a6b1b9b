namespace Aio.Bench;

/// <summary>The measurements of a suite named on the command line (for <c>tasks</c>: spawn_await,
/// suspended_task, call_soon, timers, threadsafe_wakeups; for <c>sync</c>: queue_pingpong,
/// queue_throughput, lock_uncontended, lock_contended, semaphore_contended); none named means all of
/// them.</summary>
internal sealed class BenchFilter(IEnumerable<string> names)
{
    private readonly HashSet<string> _names = new(names, StringComparer.Ordinal);

    public bool Includes(string name) => _names.Count == 0 || _names.Contains(name);
}
