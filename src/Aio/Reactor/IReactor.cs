namespace Aio.Reactor;

/// <summary>
/// The seam between the event loop and the operating system's readiness API. The loop knows nothing of
/// epoll: another backend (io_uring, kqueue, a portable one) implements this interface and nothing else
/// changes.
/// </summary>
/// <remarks>
/// Everything but <see cref="Wake"/> is called on the loop thread only. Registrations are level-triggered:
/// a descriptor that stays readable is reported on every poll until its interest is removed, which is the
/// contract <c>add_reader</c> / <c>add_writer</c> promise.
/// </remarks>
internal interface IReactor : IDisposable
{
    /// <summary>Starts, changes or (with <see cref="IoInterest.None"/>) ends interest in <paramref name="fd"/>.</summary>
    /// <param name="fd">The file descriptor.</param>
    /// <param name="previous">The interest registered so far (None when the descriptor is new).</param>
    /// <param name="interest">The interest wanted from now on.</param>
    /// <param name="token">An opaque value reported back with each readiness of this descriptor.</param>
    void Update(int fd, IoInterest previous, IoInterest interest, ulong token);

    /// <summary>
    /// Waits until a registered descriptor is ready, <see cref="Wake"/> is called, or the timeout passes,
    /// then reports each ready descriptor to <paramref name="sink"/>.
    /// </summary>
    /// <param name="timeoutNanoseconds">0 to return at once, negative to wait without limit.</param>
    /// <param name="sink">Receives each readiness, on the loop thread, before this method returns.</param>
    /// <returns>How many readiness reports were delivered (wake-ups are not counted).</returns>
    int Poll(long timeoutNanoseconds, IReadinessSink sink);

    /// <summary>Makes a blocked or the next <see cref="Poll"/> return. The one thread-safe member.</summary>
    void Wake();

    /// <summary>Prepares the calling thread to run the loop; returns what <see cref="LeaveLoopThread"/>
    /// needs to undo it.</summary>
    long EnterLoopThread();

    /// <summary>Undoes <see cref="EnterLoopThread"/> when the loop stops running on the thread; operations
    /// still in flight end first, and their completions go to <paramref name="sink"/>.</summary>
    void LeaveLoopThread(long state, IReadinessSink sink);

    /// <summary>Whether receives can be handed to the kernel to complete (io_uring) in this run of the
    /// loop, instead of waiting for readiness.</summary>
    bool CanReceiveThroughRing { get; }

    /// <summary>How many receives are with the ring, not yet collected.</summary>
    int RingReceives { get; }

    /// <summary>Prepares a receive of up to <paramref name="length"/> bytes from <paramref name="fd"/> into
    /// <paramref name="buffer"/>, submitted at the next <see cref="Poll"/>; its result comes back through
    /// <see cref="IReadinessSink.OnCompletion"/> with <paramref name="userData"/>. Only while
    /// <see cref="CanReceiveThroughRing"/>. The buffer must stay valid until then.</summary>
    unsafe void PrepareRingReceive(int fd, byte* buffer, int length, ulong userData);

    /// <summary>Asks the kernel to cancel the operation of <paramref name="userData"/>; it still completes
    /// (with ECANCELED, or with what it got first).</summary>
    void CancelRingOperation(ulong userData);
}

/// <summary>Receives readiness reports from <see cref="IReactor.Poll"/>.</summary>
internal interface IReadinessSink
{
    /// <summary>Called once per ready descriptor and poll.</summary>
    /// <param name="token">The token given at registration.</param>
    /// <param name="ready">Which readiness occurred; errors and hang-ups report as both.</param>
    void OnReady(ulong token, IoInterest ready);

    /// <summary>An operation handed to the ring completed: <paramref name="result"/> is what its system
    /// call would have returned, or the negated errno.</summary>
    void OnCompletion(ulong userData, int result);

    /// <summary>A report still to come: start loading what handling it will touch first. Called three
    /// reports ahead with <paramref name="level"/> 0 (the object the report is for), then once per report
    /// nearer with the next level, so that each level reads only what the one before asked for.</summary>
    /// <param name="token">The token given at registration.</param>
    /// <param name="level">0 for the object itself; 1 and on for what it references, a step further each.</param>
    void Prefetch(ulong token, int level);
}
