namespace Aio;

/// <summary>
/// Steers a loop from outside, for tests: the testing package's virtual clock and its shuffling of ready
/// batches plug in here (see docs/design/virtual-time.md). Production loops have none, and pay a null
/// check per iteration for the seam.
/// </summary>
/// <remarks>Called on the loop thread only, from <c>EventLoop.RunOnce</c>.</remarks>
internal interface ILoopDriver
{
    /// <summary>The clock the loop reads instead of the monotonic one.</summary>
    LoopClock Clock { get; }

    /// <summary>The loop has nothing ready and would wait <paramref name="timeout"/> nanoseconds of its
    /// clock for the next timer (negative: no timer). Returns how long to wait for real instead.</summary>
    /// <param name="timeout">The wait the loop computed from its timers; never zero.</param>
    /// <returns>The real wait, in nanoseconds: zero to only look, negative to wait without limit.</returns>
    long BeforeIdlePoll(long timeout);

    /// <summary>Called on every iteration after the reactor was polled (or skipped) and the cross-thread
    /// queue drained, before due timers move to the ready queue: the moment to move the clock.</summary>
    void AfterPoll();

    /// <summary>The loop is about to run the first <paramref name="count"/> ready callbacks (at least two).</summary>
    /// <param name="ready">The ready queue; the driver may reorder that batch.</param>
    /// <param name="count">How many callbacks the iteration runs.</param>
    void BeforeBatch(ReadyQueue ready, int count);
}
