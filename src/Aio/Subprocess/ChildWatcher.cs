using System.Runtime.InteropServices;

namespace Aio.Subprocess;

/// <summary>
/// A loop's running children: what to kill and reap when the loop closes, and — where pidfds are not
/// available — the fallback that notices their exits: a SIGCHLD handler that has the loop poll each such
/// child with <c>waitpid(pid, WNOHANG)</c>, asyncio's old <c>SafeChildWatcher</c>.
/// </summary>
/// <remarks>
/// Loop thread only, but for the signal handler, which only posts to the loop. The fallback waits for
/// its own children by number, never <c>waitpid(-1)</c>, so it takes no other code's children (those of
/// <c>System.Diagnostics.Process</c>, say), and it needs no thread of its own: .NET's signal thread runs
/// the handler for every signal the process gets.
/// </remarks>
internal sealed class ChildWatcher
{
    private static readonly Action<object?, object?> s_pollAll = static (w, _) => ((ChildWatcher)w!).PollAll();

    private readonly EventLoop _loop;
    private readonly HashSet<ChildProcess> _live = [];
    private readonly List<ChildProcess> _polled = [];
    private PosixSignalRegistration? _sigchld;

    internal ChildWatcher(EventLoop loop) => _loop = loop;

    /// <summary>Makes children behave as on a kernel without pidfds, so tests can exercise the fallback.
    /// Read when a child starts.</summary>
    internal static bool PidfdDisabled { get; set; }

    /// <summary>How many children run (or wait to be reaped).</summary>
    internal int Count => _live.Count;

    /// <summary>How many of them the SIGCHLD fallback polls.</summary>
    internal int PolledCount => _polled.Count;

    /// <summary>A child started.</summary>
    internal void Add(ChildProcess child)
    {
        _live.Add(child);
        if (child.IsPolled)
        {
            _polled.Add(child);
            if (_sigchld is null && !OperatingSystem.IsWindows())
            {
                _sigchld = PosixSignalRegistration.Create(PosixSignal.SIGCHLD, OnChildSignal);
            }
        }
    }

    /// <summary>A child was reaped.</summary>
    internal void Remove(ChildProcess child)
    {
        _live.Remove(child);
        if (child.IsPolled && _polled.Remove(child) && _polled.Count == 0)
        {
            _sigchld?.Dispose();
            _sigchld = null;
        }
    }

    private void OnChildSignal(PosixSignalContext context) => _loop.EnqueueFromAnyThread(s_pollAll, this, null);

    private void PollAll()
    {
        // Reaping removes from the list: walk it backwards.
        for (int i = _polled.Count - 1; i >= 0; i--)
        {
            if (i < _polled.Count)
            {
                _polled[i].Poll();
            }
        }
    }

    /// <summary>The loop closes: kill every child still running and reap it off the loop.</summary>
    internal void Close()
    {
        _sigchld?.Dispose();
        _sigchld = null;
        foreach (ChildProcess child in _live)
        {
            child.AbandonOnLoopClose();
        }

        _live.Clear();
        _polled.Clear();
    }
}
