namespace Aio;

/// <summary>Whatever waits for a future to finish: a suspended coroutine, a gather, a task group, a
/// done callback. One interface, so a future stores any of them in a single field.</summary>
internal interface IFutureWaiter
{
    /// <summary>
    /// Called on the loop thread when <paramref name="future"/> is done — from the ready queue (as asyncio
    /// schedules done callbacks with <c>call_soon</c>), or synchronously for coroutines awaited inline.
    /// <paramref name="future"/> is null when a non-future wait (a sleep, a yield) wakes the waiter.
    /// </summary>
    void OnCompleted(Future? future);
}
