using System.Diagnostics;

namespace Aio;

/// <summary>
/// Thread-per-core: a group of event loops, each on a thread of its own, sharing nothing. Every loop runs
/// its own copy of a main coroutine; a server started with
/// <see cref="CreateServerAsync(Func{Net.BaseProtocol}, string?, int, int)"/> listens on the same port on
/// every loop, each with its own <c>SO_REUSEPORT</c> socket, so the kernel spreads incoming connections
/// over the loops. asyncio has no equivalent: it runs one loop per process.
/// </summary>
/// <remarks>
/// <para>A group runs once: <see cref="Run"/> (or <see cref="Start"/>, then <see cref="Wait()"/>). Each
/// loop ends when its main coroutine ends, as <see cref="AsyncIO.Run(Coroutine, EventLoopOptions?)"/> does:
/// the group's servers on it are closed (their connections aborted at once, unless the group is shutting
/// down and grants its grace period), its other tasks cancelled and awaited, its default executor shut
/// down, and the loop closed. So a main coroutine that serves keeps running, typically in
/// <see cref="Net.Server.ServeForeverAsync"/>, until <see cref="Shutdown(TimeSpan)"/>.</para>
/// <para>Failures: an exception in a callback goes to its own loop's exception handler, and that loop goes
/// on, as any loop does. A main coroutine that fails is reported to its loop's exception handler and shuts
/// the whole group down gracefully, with <see cref="LoopGroupOptions.ShutdownGracePeriod"/>, as the first
/// failure in a task group cancels its other tasks; <see cref="Wait()"/> and <see cref="Run"/> then throw an
/// <see cref="AggregateException"/> holding every main coroutine's failure. A main coroutine that ends
/// cancelled has stopped, not failed.</para>
/// <para>The group leaves signals to the application: call <see cref="Shutdown(TimeSpan)"/> from a
/// <see cref="System.Runtime.InteropServices.PosixSignalRegistration"/> handler.</para>
/// <para>Thread safety: every member may be called from any thread, except that
/// <see cref="CreateServerAsync(Func{Net.BaseProtocol}, string?, int, int)"/> runs on a loop of the group,
/// and <see cref="Wait()"/>, <see cref="Run"/> and <see cref="Dispose"/>, which block until the loops
/// ended, refuse to run on one.</para>
/// </remarks>
public sealed partial class LoopGroup : IDisposable
{
    private readonly LoopGroupMember[] _members;
    private readonly Lock _lock = new();
    private readonly List<Exception> _failures = [];
    private Thread[]? _threads;
    private TimeSpan? _shutdownGrace;
    private bool _disposed;

    /// <summary>Creates a group of <paramref name="loopCount"/> loops; nothing runs until
    /// <see cref="Start"/> or <see cref="Run"/>.</summary>
    /// <param name="loopCount">How many loops, and threads; usually the number of CPUs
    /// (<see cref="Environment.ProcessorCount"/>).</param>
    /// <param name="options">The group's settings; null for the defaults.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="loopCount"/> is not positive.</exception>
    public LoopGroup(int loopCount, LoopGroupOptions? options = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(loopCount);
        Options = options ?? LoopGroupOptions.Default;
        int[] cpus = Options.PinThreads ? ThreadAffinity.AllowedCpus() : [];
        _members = new LoopGroupMember[loopCount];
        for (int i = 0; i < loopCount; i++)
        {
            _members[i] = new LoopGroupMember(this, i, cpus.Length > 0 ? cpus[i % cpus.Length] : -1);
        }
    }

    /// <summary>How many loops the group has.</summary>
    public int Count => _members.Length;

    /// <summary>Whether <see cref="Shutdown(TimeSpan)"/> was called, or a main coroutine failed.</summary>
    public bool IsShutdownRequested => RequestedGrace is not null;

    /// <summary>The group's settings.</summary>
    internal LoopGroupOptions Options { get; }

    /// <summary>The shortest grace period a shutdown asked for; null while none was requested.</summary>
    internal TimeSpan? RequestedGrace
    {
        get
        {
            lock (_lock)
            {
                return _shutdownGrace;
            }
        }
    }

    /// <summary>
    /// Starts the loops, each on a new thread, and runs <c>main(i)</c> as the main task of loop
    /// <c>i</c>; returns at once.
    /// </summary>
    /// <param name="main">Makes the main coroutine of each loop from the loop's index (0 to
    /// <see cref="Count"/> - 1); called on that loop's thread.</param>
    /// <exception cref="InvalidOperationException">The group was already started.</exception>
    /// <exception cref="ObjectDisposedException">The group was disposed.</exception>
    /// <remarks>The threads are background threads, so a process whose main thread returns does not wait
    /// for them: <see cref="Wait()"/> or <see cref="Dispose"/> before returning. They do not inherit the
    /// starting thread's <c>AsyncLocal</c> values.</remarks>
    public void Start(Func<int, Coroutine> main)
    {
        ArgumentNullException.ThrowIfNull(main);
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_threads is not null)
            {
                throw new InvalidOperationException("The loop group was already started; a group runs once.");
            }

            var threads = new Thread[_members.Length];
            foreach (LoopGroupMember member in _members)
            {
                threads[member.Index] = new Thread(() => member.Run(main))
                {
                    Name = $"aio-loop-{member.Index}",
                    IsBackground = true,
                };
            }

            _threads = threads;

            // Started under the lock, so that a concurrent Wait or Dispose never joins a thread that has not
            // started. Each loop starts from a clean execution context, as a thread of its own should.
            foreach (Thread thread in threads)
            {
                thread.UnsafeStart();
            }
        }
    }

    /// <summary>Blocks until every loop of the group ended.</summary>
    /// <exception cref="AggregateException">One or more main coroutines failed; it holds their exceptions.</exception>
    /// <exception cref="InvalidOperationException">The group was not started, or the caller is one of its
    /// loops (which would wait for itself).</exception>
    public void Wait() => Wait(Timeout.InfiniteTimeSpan);

    /// <summary>Blocks until every loop of the group ended, or <paramref name="timeout"/> passed.</summary>
    /// <param name="timeout">How long to wait; <see cref="Timeout.InfiniteTimeSpan"/> for ever.</param>
    /// <returns>Whether every loop ended.</returns>
    /// <exception cref="AggregateException">Every loop ended, and one or more main coroutines failed.</exception>
    /// <exception cref="InvalidOperationException">The group was not started, or the caller is one of its loops.</exception>
    public bool Wait(TimeSpan timeout)
    {
        Thread[] threads = StartedThreads();
        CheckNotOnOwnLoop();
        var elapsed = Stopwatch.StartNew();
        foreach (Thread thread in threads)
        {
            TimeSpan remaining = timeout == Timeout.InfiniteTimeSpan
                ? Timeout.InfiniteTimeSpan
                : TimeSpan.FromTicks(Math.Max(0, (timeout - elapsed.Elapsed).Ticks));
            if (!thread.Join(remaining))
            {
                return false;
            }
        }

        lock (_lock)
        {
            if (_failures.Count > 0)
            {
                throw new AggregateException("A main coroutine of the loop group failed.", _failures);
            }
        }

        return true;
    }

    /// <summary><see cref="Start"/>, then <see cref="Wait()"/>: runs the group until every loop ended.</summary>
    /// <param name="main">Makes the main coroutine of each loop from the loop's index.</param>
    /// <exception cref="AggregateException">One or more main coroutines failed; it holds their exceptions.</exception>
    /// <exception cref="InvalidOperationException">The group was already started, or the caller is a loop
    /// of the group.</exception>
    public void Run(Func<int, Coroutine> main)
    {
        CheckNotOnOwnLoop();
        Start(main);
        Wait();
    }

    /// <summary>Shuts the group down with <see cref="LoopGroupOptions.ShutdownGracePeriod"/>; see
    /// <see cref="Shutdown(TimeSpan)"/>.</summary>
    public void Shutdown() => Shutdown(Options.ShutdownGracePeriod);

    /// <summary>
    /// Shuts the group down gracefully; returns at once, from any thread (a signal handler, one of the
    /// group's own loops). On every loop: the group's servers stop accepting (<see cref="Net.Server.Close"/>),
    /// the connections they accepted get <paramref name="gracePeriod"/> to finish, the ones still open then
    /// are aborted (<see cref="Net.Server.AbortClients"/>), and the main task, if still running, is cancelled.
    /// Each loop then ends as after its main coroutine (see <see cref="LoopGroup"/>); <see cref="Wait()"/>
    /// returns once all have.
    /// </summary>
    /// <param name="gracePeriod">How long open connections may take to finish; zero aborts them at once,
    /// <see cref="Timeout.InfiniteTimeSpan"/> waits for as long as they take.</param>
    /// <remarks>Calling it again can only shorten the grace period (a second Ctrl+C that means "now"). Called
    /// before <see cref="Start"/>, the loops stop as soon as they start.</remarks>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="gracePeriod"/> is negative and not infinite.</exception>
    public void Shutdown(TimeSpan gracePeriod)
    {
        if (gracePeriod < TimeSpan.Zero && gracePeriod != Timeout.InfiniteTimeSpan)
        {
            throw new ArgumentOutOfRangeException(nameof(gracePeriod), gracePeriod, "The grace period must not be negative.");
        }

        lock (_lock)
        {
            if (_shutdownGrace is not { } earlier || IsShorter(gracePeriod, earlier))
            {
                _shutdownGrace = gracePeriod;
            }

            foreach (LoopGroupMember member in _members)
            {
                member.RequestShutdown(gracePeriod);
            }
        }
    }

    /// <summary>Shuts the group down without a grace period, if it runs, and waits until every loop ended.
    /// Failures of main coroutines are not thrown here: <see cref="Wait()"/> and <see cref="Run"/> throw
    /// them.</summary>
    /// <exception cref="InvalidOperationException">The caller is a loop of the group.</exception>
    public void Dispose()
    {
        Thread[]? threads;
        lock (_lock)
        {
            _disposed = true;
            threads = _threads;
        }

        if (threads is null)
        {
            return;
        }

        CheckNotOnOwnLoop();
        Shutdown(TimeSpan.Zero);
        foreach (Thread thread in threads)
        {
            thread.Join();
        }
    }

    /// <summary>Records a loop's <paramref name="loop"/> and returns the grace period of a shutdown
    /// requested before it existed (loop's thread).</summary>
    internal TimeSpan? Attach(LoopGroupMember member, EventLoop loop)
    {
        lock (_lock)
        {
            member.Loop = loop;
            return _shutdownGrace;
        }
    }

    /// <summary>Forgets a loop that is about to close, so that no shutdown request is sent to it.</summary>
    internal void Detach(LoopGroupMember member)
    {
        lock (_lock)
        {
            member.Loop = null;
        }
    }

    /// <summary>Records the failure of a loop (its main coroutine, or the loop itself) and shuts the group
    /// down.</summary>
    internal void Fail(Exception exception)
    {
        lock (_lock)
        {
            _failures.Add(exception);
        }

        Shutdown(Options.ShutdownGracePeriod);
    }

    /// <summary>The member whose loop runs on the calling thread.</summary>
    /// <exception cref="InvalidOperationException">The caller is not a loop of this group.</exception>
    internal LoopGroupMember CurrentMember(string operation)
    {
        EventLoop? current = EventLoop.Current;
        if (current is not null)
        {
            foreach (LoopGroupMember member in _members)
            {
                // Written under the lock by this very thread, so a plain read is current here.
                if (ReferenceEquals(member.Loop, current))
                {
                    return member;
                }
            }
        }

        throw new InvalidOperationException($"LoopGroup.{operation} runs on a loop of its group: call it from a main coroutine of the group.");
    }

    private static bool IsShorter(TimeSpan grace, TimeSpan than) =>
        than == Timeout.InfiniteTimeSpan ? grace != Timeout.InfiniteTimeSpan : grace != Timeout.InfiniteTimeSpan && grace < than;

    private Thread[] StartedThreads()
    {
        lock (_lock)
        {
            return _threads ?? throw new InvalidOperationException("The loop group was not started.");
        }
    }

    private void CheckNotOnOwnLoop()
    {
        EventLoop? current = EventLoop.Current;
        if (current is null)
        {
            return;
        }

        lock (_lock)
        {
            if (_members.Any(m => ReferenceEquals(m.Loop, current)))
            {
                throw new InvalidOperationException("A loop of the group cannot wait for the group: it would wait for itself.");
            }
        }
    }
}
