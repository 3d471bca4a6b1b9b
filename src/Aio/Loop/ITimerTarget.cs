namespace Aio;

/// <summary>Something the timer heap can hold: a timer handle, a sleeping task, a timeout scope.</summary>
internal interface ITimerTarget
{
    /// <summary>Position in the heap, maintained by <see cref="TimerQueue"/>; -1 when not scheduled.</summary>
    int TimerIndex { get; set; }

    /// <summary>Called by the loop when the deadline has passed, on the loop thread, after removal from
    /// the heap. Implementations schedule work on the ready queue rather than running user code here, so
    /// that due timers run in deadline order after the callbacks that were already ready.</summary>
    void OnTimer(EventLoop loop);
}
