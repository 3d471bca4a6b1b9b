namespace Aio;

/// <summary>One pending sleep: asyncio's sleep future and its timer handle, folded into a few fields that
/// live inside the object that sleeps (a task, or a pooled <see cref="SleepOperation"/>).</summary>
/// <remarks>Mutable struct: always accessed by reference, never copied.</remarks>
internal struct SleepState
{
    internal const byte Idle = 0;
    internal const byte Reserved = 1;
    internal const byte Armed = 2;
    internal const byte Fired = 3;
    internal const byte Cancelled = 4;

    internal IFutureWaiter? Waker;
    internal int TimerIndex;
    internal byte Status;

    internal static readonly Action<object?, object?> s_wake =
        static (waker, _) => System.Runtime.CompilerServices.Unsafe.As<IFutureWaiter>(waker!).OnCompleted(null);
}

/// <summary>The operations a sleep needs from whatever holds its <see cref="SleepState"/>.</summary>
internal interface ISleepSlot : ITimerTarget, ICancellableWait
{
    /// <summary>Starts the sleep: schedules the timer and records the wait on <paramref name="owner"/>.
    /// Called when the awaiter is created, so the awaiter itself only needs a reference to the slot.</summary>
    void Arm(EventLoop loop, long deadline, TaskCore? owner);

    /// <summary>Sets what to wake; wakes it at once if the sleep already ended (cancelled on arming).</summary>
    void SetWaker(IFutureWaiter waker);

    /// <summary>Ends the sleep on resumption: frees the slot, delivers a cancellation if there was one.</summary>
    void Finish();
}

/// <summary>The shared logic of sleep slots, written once for <see cref="TaskCore"/> and
/// <see cref="SleepOperation"/>.</summary>
internal static class Sleeping
{
    internal static void Arm(ref SleepState state, ISleepSlot slot, EventLoop loop, long deadline, TaskCore? owner)
    {
        state.Status = SleepState.Armed;
        state.Waker = null;
        loop.Timers.Push(deadline, slot);
        owner?.BeginWait(slot);
    }

    internal static void SetWaker(ref SleepState state, EventLoop loop, IFutureWaiter waker)
    {
        if (state.Status == SleepState.Armed)
        {
            state.Waker = waker;
        }
        else
        {
            loop.Ready.Enqueue(SleepState.s_wake, waker, null);
        }
    }

    internal static void Fire(ref SleepState state, EventLoop loop)
    {
        state.Status = SleepState.Fired;
        Wake(ref state, loop);
    }

    /// <summary>Cancels an armed sleep; the caller remembers the message.</summary>
    internal static bool Cancel(ref SleepState state, ISleepSlot slot, EventLoop loop)
    {
        if (state.Status != SleepState.Armed)
        {
            return false;
        }

        loop.Timers.Remove(slot);
        state.Status = SleepState.Cancelled;
        Wake(ref state, loop);
        return true;
    }

    private static void Wake(ref SleepState state, EventLoop loop)
    {
        IFutureWaiter? waker = state.Waker;
        if (waker is not null)
        {
            state.Waker = null;
            loop.Ready.Enqueue(SleepState.s_wake, waker, null);
        }
    }

    /// <summary>Frees the slot and reports whether the sleep was cancelled.</summary>
    internal static bool Release(ref SleepState state)
    {
        if (state.Status != SleepState.Fired && state.Status != SleepState.Cancelled)
        {
            throw new InvalidOperationException("A sleep awaiter was used outside its await.");
        }

        bool cancelled = state.Status == SleepState.Cancelled;
        state.Status = SleepState.Idle;
        return cancelled;
    }
}
