namespace Aio.Bench;

/// <summary>The measurements named on the command line (spawn_await, suspended_task, call_soon, timers,
/// threadsafe_wakeups); none named means all of them.</summary>
internal sealed class BenchFilter(IEnumerable<string> names)
{
    private readonly HashSet<string> _names = new(names, StringComparer.Ordinal);

    public bool Includes(string name) => _names.Count == 0 || _names.Contains(name);
}
