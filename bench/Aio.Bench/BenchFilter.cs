namespace Aio.Bench;

/// <summary>The measurements of a suite named on the command line (for <c>tasks</c>: spawn_await,
/// suspended_task, call_soon, timers, threadsafe_wakeups; for <c>sync</c>: queue_pingpong,
/// queue_throughput, lock_uncontended, lock_contended, semaphore_contended; for <c>db</c>:
/// pg_select_by_pk, sqlite_insert_tx100, sqlite_point_read); none named means all of them.</summary>
internal sealed class BenchFilter(IEnumerable<string> names)
{
    private readonly HashSet<string> _names = new(names, StringComparer.Ordinal);

    /// <summary>Whether no measurement was named, so that all of them run.</summary>
    public bool IsEmpty => _names.Count == 0;

    public bool Includes(string name) => _names.Count == 0 || _names.Contains(name);
}
