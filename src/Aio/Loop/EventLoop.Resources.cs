using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using Aio.Diagnostics;
using Microsoft.Extensions.Logging;

namespace Aio;

public sealed partial class EventLoop
{
    /// <summary>Resources of later layers (sockets, servers) that are open, with where they were opened
    /// in debug mode; see <see cref="ILoopResource"/>.</summary>
    private Dictionary<ILoopResource, StackTrace?>? _openResources;

    /// <summary>Registers an open resource, so that debug mode can report it if it is still open when the
    /// loop closes (and leak checks can see it). Loop thread only.</summary>
    internal void TrackResource(ILoopResource resource)
    {
        CheckThread();
        _openResources ??= new Dictionary<ILoopResource, StackTrace?>(ReferenceEqualityComparer.Instance);
        _openResources[resource] = _debug ? CaptureCallerStack() : null;
    }

    /// <summary>Forgets a resource that was closed; false when it was not registered.</summary>
    internal bool UntrackResource(ILoopResource resource) => _openResources?.Remove(resource) == true;

    /// <summary>How many registered resources are open.</summary>
    internal int OpenResourceCount => _openResources?.Count ?? 0;

    /// <summary>Everything still open, for debug mode's report at close: pending tasks (asyncio's "Task was
    /// destroyed but it is pending!"), watched descriptors, signal handlers, timers, executor calls, and
    /// the registered resources.</summary>
    private List<ResourceReport> ListUnclosed()
    {
        var reports = new List<ResourceReport>();
        foreach (AioTask task in CollectTasks())
        {
            reports.Add(new ResourceReport("Task was destroyed but it is pending!", task, OriginOf(task)));
        }

        foreach (KeyValuePair<int, FdWatch> pair in _fds)
        {
            AddWatch(reports, "reader", pair.Key, pair.Value.Reader);
            AddWatch(reports, "writer", pair.Key, pair.Value.Writer);
        }

        if (_signals is not null)
        {
            foreach (PosixSignal signal in _signals.Keys)
            {
                reports.Add(new ResourceReport("Unclosed signal handler for " + SignalName(signal), null, null));
            }
        }

        long now = Clock.Now;
        foreach ((long when, ITimerTarget target) in Timers.Entries())
        {
            // Sleeps belong to tasks, reported above; only call_later / call_at handles are the user's.
            if (target is CallbackNode { Callback: { } callback } node)
            {
                Delegate shown = ReferenceEquals(callback, s_invokeAction) && node.State is Delegate user ? user : callback;
                string due = ((when - now) / 1e9).ToString("0.000", CultureInfo.InvariantCulture);
                reports.Add(new ResourceReport($"Unclosed timer {CodeNames.OfDelegate(shown)} due in {due} s", null, null));
            }
        }

        if (_defaultExecutorOutstanding > 0)
        {
            reports.Add(new ResourceReport(
                $"Unclosed executor work: {_defaultExecutorOutstanding} call(s) still running in the default executor", null, null));
        }

        if (_openResources is not null)
        {
            foreach (KeyValuePair<ILoopResource, StackTrace?> pair in _openResources)
            {
                reports.Add(new ResourceReport("Unclosed " + pair.Key.Describe(), null, pair.Value));
            }
        }

        return reports;
    }

    private static void AddWatch(List<ResourceReport> reports, string kind, int fd, IoCallback? registration)
    {
        if (registration?.Callback is { } callback)
        {
            reports.Add(new ResourceReport(
                $"Unclosed {kind} of fd {fd.ToString(CultureInfo.InvariantCulture)} (callback {CodeNames.OfDelegate(callback)})", null, null));
        }
    }

    private static string SignalName(PosixSignal signal) =>
        (int)signal < 0 ? signal.ToString() : "signal " + ((int)signal).ToString(CultureInfo.InvariantCulture);

    /// <summary>One thing found open at close.</summary>
    private readonly record struct ResourceReport(string Message, AioTask? Task, StackTrace? Origin)
    {
        public LoopExceptionContext ToContext() => new(Message)
        {
            Level = LogLevel.Warning,
            Task = Task,
            CreationStackTrace = Origin,
        };
    }
}
