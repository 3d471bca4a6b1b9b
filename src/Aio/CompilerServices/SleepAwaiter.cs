using System.ComponentModel;
using System.Runtime.CompilerServices;

namespace Aio.CompilerServices;

/// <summary>What <see cref="AsyncIO.Sleep(double)"/> returns: a sleep that starts when awaited.</summary>
/// <remarks>Await it once. The deadline is computed when the <c>await</c> suspends, as asyncio computes it
/// when the sleep coroutine starts.</remarks>
public readonly struct SleepAwaitable
{
    private readonly long _delay;

    internal SleepAwaitable(long delayNanoseconds)
    {
        _delay = delayNanoseconds;
    }

    /// <summary>Prepares the sleep on the running loop.</summary>
    /// <returns>The awaiter.</returns>
    /// <exception cref="InvalidOperationException">No event loop is running on this thread.</exception>
    public SleepAwaiter GetAwaiter() => SleepAwaiter.Create(_delay);
}

/// <summary>What <see cref="AsyncIO.Sleep{T}(double, T)"/> returns: a sleep that then yields a value.</summary>
/// <typeparam name="T">The type of the value.</typeparam>
public readonly struct SleepAwaitable<T>
{
    private readonly long _delay;
    private readonly T _result;

    internal SleepAwaitable(long delayNanoseconds, T result)
    {
        _delay = delayNanoseconds;
        _result = result;
    }

    /// <summary>Prepares the sleep on the running loop.</summary>
    /// <returns>The awaiter.</returns>
    /// <exception cref="InvalidOperationException">No event loop is running on this thread.</exception>
    public SleepAwaiter<T> GetAwaiter() => new(SleepAwaiter.Create(_delay), _result);
}

/// <summary>Awaits a sleep, or a bare yield for a delay of zero. Used by the compiler.</summary>
/// <remarks>The timer starts when the awaiter is created — the moment of the <c>await</c> — so the awaiter
/// only holds its slot and a suspended coroutine stays small.</remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public readonly struct SleepAwaiter : ICriticalNotifyCompletion, ILoopAwaiter
{
    private readonly ISleepSlot? _slot;

    private SleepAwaiter(ISleepSlot slot)
    {
        _slot = slot;
    }

    internal static SleepAwaiter Create(long delay)
    {
        EventLoop loop = EventLoop.RequireCurrent();
        if (delay <= 0)
        {
            return default;
        }

        // A task sleeps in the slot built into it; anything else borrows a pooled slot.
        TaskCore? core = loop.CurrentTaskCore;
        ISleepSlot slot = core is not null && core.TryReserveSleep() ? core : loop.RentSleepOperation();
        slot.Arm(loop, loop.Clock.Now + delay, core);
        return new SleepAwaiter(slot);
    }

    /// <summary>Always false: even a zero delay yields to the other ready callbacks once.</summary>
    public bool IsCompleted => false;

    /// <summary>Waits for the sleep, flowing the execution context to the continuation.</summary>
    /// <param name="continuation">The continuation.</param>
    public void OnCompleted(Action continuation) => UnsafeOnCompleted(Continuations.FlowContext(continuation));

    /// <summary>Waits for the sleep.</summary>
    /// <param name="continuation">The continuation.</param>
    public void UnsafeOnCompleted(Action continuation)
    {
        EventLoop loop = EventLoop.RequireCurrent();
        TaskCore? owner = loop.CurrentTaskCore;
        Start(loop, owner?.RentContinuationWaiter(continuation) ?? new ContinuationWaiter(continuation, owner), owner);
    }

    void ILoopAwaiter.RegisterBox(AioTask box) => RegisterBoxCore(box);

    internal void RegisterBoxCore(AioTask box) => Start(box._loop!, box, box._core);

    private void Start(EventLoop loop, IFutureWaiter waker, TaskCore? owner)
    {
        if (_slot is null)
        {
            // sleep(0): a bare yield. The waker goes to the back of the ready queue.
            loop.Ready.Enqueue(SleepState.s_wake, waker, null);
            owner?.BeginWait(YieldWait.Instance);
        }
        else
        {
            _slot.SetWaker(waker);
        }
    }

    /// <summary>Ends the sleep; throws <see cref="CancelledException"/> if the task was cancelled meanwhile.</summary>
    public void GetResult()
    {
        if (_slot is null)
        {
            EventLoop.CurrentOrNull?.CurrentTaskCore?.EndWait(YieldWait.Instance);
        }
        else
        {
            _slot.Finish();
        }
    }
}

/// <summary>Awaits a sleep that yields a value. Used by the compiler.</summary>
/// <typeparam name="T">The type of the value.</typeparam>
[EditorBrowsable(EditorBrowsableState.Never)]
public readonly struct SleepAwaiter<T> : ICriticalNotifyCompletion, ILoopAwaiter
{
    private readonly SleepAwaiter _inner;
    private readonly T _result;

    internal SleepAwaiter(SleepAwaiter inner, T result)
    {
        _inner = inner;
        _result = result;
    }

    /// <summary>Always false.</summary>
    public bool IsCompleted => false;

    /// <summary>Starts the sleep, flowing the execution context to the continuation.</summary>
    /// <param name="continuation">The continuation.</param>
    public void OnCompleted(Action continuation) => _inner.OnCompleted(continuation);

    /// <summary>Starts the sleep.</summary>
    /// <param name="continuation">The continuation.</param>
    public void UnsafeOnCompleted(Action continuation) => _inner.UnsafeOnCompleted(continuation);

    void ILoopAwaiter.RegisterBox(AioTask box) => _inner.RegisterBoxCore(box);

    /// <summary>Ends the sleep and returns the value.</summary>
    /// <returns>The value given to <see cref="AsyncIO.Sleep{T}(double, T)"/>.</returns>
    public T GetResult()
    {
        _inner.GetResult();
        return _result;
    }
}
