namespace Aio;

/// <summary>
/// A deadline around a block of code: asyncio's <c>Timeout</c>, as created by
/// <see cref="AsyncIO.Timeout(double?, Func{TimeoutScope, Coroutine})"/>. When the deadline passes, the
/// task running the block is cancelled; the scope turns that cancellation into a
/// <see cref="TimeoutException"/> as it leaves the block.
/// </summary>
/// <remarks>
/// <para>Scopes nest: the inner or the outer deadline may come first, and a scope only reports a
/// timeout when the cancellation is its own — an outer deadline, or a cancel from outside, travels on as
/// a cancellation through the inner scope. This works by counting requests (<see cref="AioTask.Cancelling"/>
/// on entry, <see cref="AioTask.Uncancel"/> on exit), exactly as asyncio does.</para>
/// <para>Loop thread only.</para>
/// </remarks>
public sealed class TimeoutScope
{
    private static readonly Action<object?> s_onTimeout = static s => ((TimeoutScope)s!).OnTimeout();

    private readonly EventLoop _loop;
    private State _state;
    private long? _when;
    private TimerHandle _timer;
    private Handle _soon;
    private TaskCore? _task;
    private int _cancellingAtEntry;

    internal TimeoutScope(EventLoop loop, long? when)
    {
        _loop = loop;
        _when = when;
    }

    private enum State
    {
        Created,
        Entered,
        Expiring,
        Expired,
        Exited,
    }

    /// <summary>The deadline in loop seconds (see <see cref="EventLoop.Time"/>), or null for none;
    /// asyncio's <c>when()</c>.</summary>
    public double? When => _when / 1e9;

    /// <summary>Whether the deadline passed while the block ran; asyncio's <c>expired()</c>.</summary>
    public bool Expired => _state is State.Expiring or State.Expired;

    /// <summary>Moves the deadline; asyncio's <c>reschedule()</c>. A deadline in the past expires the scope
    /// on the next loop iteration.</summary>
    /// <param name="when">The new deadline in loop seconds, or null for none.</param>
    /// <exception cref="InvalidOperationException">The scope is not running its block any more.</exception>
    public void Reschedule(double? when)
    {
        _loop.CheckThread();
        if (_state != State.Entered)
        {
            throw new InvalidOperationException(_state == State.Created
                ? "The timeout has not been entered."
                : $"Cannot change the deadline of a timeout that has {(Expired ? "expired" : "finished")}.");
        }

        RescheduleCore(when is null ? null : Durations.ToNanoseconds(when.Value));
    }

    /// <summary>Moves the deadline to <paramref name="delay"/> seconds from now.</summary>
    /// <param name="delay">Seconds from now, or null for no deadline.</param>
    public void RescheduleAfter(double? delay) =>
        Reschedule(delay is null ? null : _loop.Time() + delay.Value);

    /// <summary>A description such as <c>&lt;Timeout active when=12.5&gt;</c>.</summary>
    /// <returns>The description.</returns>
    public override string ToString() =>
        $"<Timeout {_state.ToString().ToLowerInvariant()}{(_state == State.Entered && _when is { } w ? $" when={w / 1e9:0.###}" : "")}>";

    internal void Enter()
    {
        if (_state != State.Created)
        {
            throw new InvalidOperationException("The timeout has already been entered.");
        }

        _task = _loop.CurrentTaskCore ?? throw new InvalidOperationException("A timeout must be used inside a task.");
        _state = State.Entered;
        _cancellingAtEntry = _task.CancelRequests;
        RescheduleCore(_when);
    }

    /// <summary>Leaves the block normally.</summary>
    internal void ExitNormally()
    {
        CancelTimer();
        if (_state == State.Expiring)
        {
            _state = State.Expired;
            _task!.Uncancel();
        }
        else if (_state == State.Entered)
        {
            _state = State.Exited;
        }
    }

    /// <summary>Leaves the block that threw <paramref name="exception"/>.</summary>
    /// <returns>The <see cref="TimeoutException"/> to throw instead, or null to let the exception go on.</returns>
    internal TimeoutException? ExitWithException(Exception exception)
    {
        CancelTimer();
        if (_state == State.Expiring)
        {
            _state = State.Expired;
            if (_task!.Uncancel() <= _cancellingAtEntry && exception is OperationCanceledException)
            {
                // No newer request is pending: this cancellation is ours, so it is a timeout.
                return new TimeoutException("The operation timed out.", exception);
            }
        }
        else if (_state == State.Entered)
        {
            _state = State.Exited;
        }

        return null;
    }

    private void RescheduleCore(long? when)
    {
        _when = when;
        CancelTimer();
        if (when is null)
        {
            return;
        }

        if (when.Value <= _loop.Clock.Now)
        {
            _soon = _loop.CallSoon(s_onTimeout, this);
        }
        else
        {
            _timer = _loop.CallAt(when.Value / 1e9, s_onTimeout, this);
        }
    }

    private void CancelTimer()
    {
        _timer.Cancel();
        _timer = default;
        _soon.Cancel();
        _soon = default;
    }

    private void OnTimeout()
    {
        if (_state != State.Entered)
        {
            return;
        }

        _task!.Cancel(null);
        _state = State.Expiring;
        _timer = default;
        _soon = default;
    }
}
