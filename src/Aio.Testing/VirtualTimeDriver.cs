using System.Diagnostics;

namespace Aio.Testing;

/// <summary>
/// Drives one loop on a <see cref="VirtualClock"/>: when the loop goes idle with only timers left, the
/// clock jumps to the earliest deadline instead of the loop sleeping; and, with a seed, each batch of ready
/// callbacks runs in a shuffled order. See docs/design/virtual-time.md for the rules and why.
/// </summary>
/// <remarks>Loop thread only (the loop calls it from <c>RunOnce</c>).</remarks>
internal sealed class VirtualTimeDriver : ILoopDriver
{
    /// <summary>What the current iteration decided before it polled.</summary>
    private enum IdleMode
    {
        /// <summary>Not idle, or idle in a way that leaves the clock alone.</summary>
        None,

        /// <summary>Idle with timers pending: jump to the earliest one unless something arrived.</summary>
        Jump,

        /// <summary>Idle while executor work runs on other threads: the clock follows the wall clock.</summary>
        FollowWallClock,
    }

    private readonly EventLoop _loop;
    private readonly VirtualClock _clock = new();

    /// <summary>Wall time the loop waits, idle, before jumping; negative: it never jumps by itself.</summary>
    private readonly long _threshold;
    private readonly Random? _shuffle;
    private IdleMode _idle;
    private long _idleTimeout;
    private long _idleSince;

    internal VirtualTimeDriver(EventLoop loop, long thresholdNanoseconds, int? shuffleSeed)
    {
        _loop = loop;
        _threshold = thresholdNanoseconds;
        if (shuffleSeed is int seed)
        {
            _shuffle = new Random(seed);
        }
    }

    /// <summary>The loop's clock.</summary>
    internal VirtualClock VirtualClock => _clock;

    /// <inheritdoc/>
    public LoopClock Clock => _clock;

    /// <inheritdoc/>
    public long BeforeIdlePoll(long timeout)
    {
        // A deadline "never" away (an infinite sleep) is no reason to move: asleep for ever is a hang in
        // real time too, and jumping 73 years to end it would hide the bug.
        bool timerPending = timeout > 0 && timeout < Durations.Never;
        if (_threshold < 0)
        {
            // Manual mode: only Advance moves the clock, so waiting for a timer's real duration would be
            // meaningless; wait for I/O and other threads only.
            _idle = IdleMode.None;
            return -1;
        }

        if (_loop.ExecutorCallsInFlight > 0)
        {
            // Another thread is working for the loop and its result may arrive before the next timer: a
            // jump could fire a timeout that would never fire for real. Let the clock run at wall speed
            // until the work comes back, so timeouts around slow work still fire, and on time.
            _idle = IdleMode.FollowWallClock;
            _idleTimeout = timerPending ? timeout : -1;
            _idleSince = Stopwatch.GetTimestamp();
            return _idleTimeout;
        }

        if (!timerPending)
        {
            // Nothing to jump to: block as any loop does, until I/O or another thread wakes it.
            _idle = IdleMode.None;
            return -1;
        }

        // Look at descriptors and the cross-thread queue first (for _threshold of wall time; by default
        // without blocking at all): anything that arrived makes progress possible without a jump.
        _idle = IdleMode.Jump;
        return _threshold;
    }

    /// <inheritdoc/>
    public void AfterPoll()
    {
        IdleMode idle = _idle;
        if (idle == IdleMode.None)
        {
            return;
        }

        _idle = IdleMode.None;
        if (idle == IdleMode.FollowWallClock)
        {
            long elapsed = (long)Stopwatch.GetElapsedTime(_idleSince).Ticks * 100;
            _clock.AdvanceBy(_idleTimeout >= 0 ? Math.Min(elapsed, _idleTimeout) : elapsed);
        }
        else if (_loop.Ready.Count == 0 && _loop.Timers.Count > 0)
        {
            // Every task still waits and only timers can wake one: the next deadline is the next event.
            _clock.AdvanceTo(_loop.Timers.PeekWhen);
        }
    }

    /// <inheritdoc/>
    public void BeforeBatch(ReadyQueue ready, int count)
    {
        if (_shuffle is not null)
        {
            ready.Shuffle(count, _shuffle);
        }
    }
}
