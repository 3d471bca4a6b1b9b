namespace Aio.Reactor;

/// <summary>
/// A descriptor registered with the loop's reactor once, for as long as it is in use: a socket that
/// coroutines wait on, or a transport. Most sources are edge-triggered: the reactor reports each change of
/// readiness once; the source remembers it (<see cref="Readable"/>, <see cref="Writable"/>) until a system
/// call on the descriptor says "would block" and clears it. So a read or write costs no <c>epoll_ctl</c>,
/// only the call itself — where asyncio's <c>sock_recv</c> adds and removes a reader around every wait. A
/// source may ask for something else (<see cref="Interest"/>; <c>SocketWaits</c> starts level-triggered
/// for reads) and change it later (<see cref="EventLoop.UpdateSource"/>).
/// </summary>
/// <remarks>
/// <para>Loop thread only. A descriptor is either a source or watched with reader and writer callbacks
/// (<c>AddReader</c>), never both: the loop refuses the second use with a clear error, as asyncio refuses
/// <c>add_reader</c> on a transport's socket.</para>
/// <para>Readiness starts unknown (false). Registering an edge-triggered descriptor that is already
/// readable or writable makes epoll report it at the next poll, so nothing is missed, and callers try their
/// system call before waiting anyway.</para>
/// </remarks>
internal abstract class IoSource
{
    /// <summary>Creates a source for <paramref name="fd"/>; see <see cref="EventLoop.RegisterSource"/>.</summary>
    protected IoSource(EventLoop loop, int fd)
    {
        Loop = loop;
        Fd = fd;
    }

    /// <summary>The loop whose reactor watches the descriptor.</summary>
    internal EventLoop Loop { get; }

    /// <summary>The descriptor.</summary>
    internal int Fd { get; }

    /// <summary>Whether the descriptor may be read without blocking: set by the reactor, cleared by the
    /// owner when a read would block.</summary>
    internal bool Readable;

    /// <summary>Whether the descriptor may be written without blocking; see <see cref="Readable"/>.</summary>
    internal bool Writable;

    /// <summary>Whether the reactor reported that the peer closed its side (or the descriptor hung up):
    /// a read that got less than it asked for must still read on, to see the end of the stream, since
    /// no further edge will announce it.</summary>
    internal bool PeerClosed;

    /// <summary>What the reactor watches the descriptor for: reading and writing, edge-triggered, unless
    /// the source says otherwise. Read when the source is registered and when it calls
    /// <see cref="EventLoop.UpdateSource"/>.</summary>
    internal virtual IoInterest Interest => IoInterest.ReadWrite | IoInterest.Edge;

    /// <summary>Whether the source is registered with its loop's reactor.</summary>
    internal bool IsRegistered;

    /// <summary>Distinguishes this registration from an earlier one of the same descriptor number, so a
    /// readiness reported for a closed descriptor never reaches its successor.</summary>
    internal uint Generation;

    /// <summary>The loop is closing: release what the source holds for later (the loop forgets it next).</summary>
    internal virtual void OnLoopClosing()
    {
    }

    /// <summary>The reactor reported a change of readiness. The flags are already updated.</summary>
    /// <param name="ready">What became ready; an error or hang-up reports as both.</param>
    internal abstract void OnReady(IoInterest ready);

    /// <summary>A ring operation of the source completed with <paramref name="result"/>: what its system
    /// call would have returned, or the negated errno.</summary>
    internal virtual void OnCompletion(int result)
    {
    }

    /// <summary>Starts loading what <see cref="OnReady"/> touches first besides the source itself:
    /// the objects it references at <paramref name="level"/> 1, those they reference at 2. See
    /// <see cref="IReadinessSink.Prefetch"/>; each level may read what the level before asked for.</summary>
    /// <param name="level">1 or 2.</param>
    internal virtual void PrefetchParts(int level)
    {
    }
}
