using System.ComponentModel;
using System.Runtime.CompilerServices;

namespace Aio.CompilerServices;

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
