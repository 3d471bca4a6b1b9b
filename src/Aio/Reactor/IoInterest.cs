namespace Aio.Reactor;

/// <summary>Which readiness a registration waits for, and which readiness a poll reports.</summary>
[Flags]
internal enum IoInterest
{
    None = 0,
    Read = 1,
    Write = 2,
    ReadWrite = Read | Write,

    /// <summary>Registration only: report each change of readiness once (edge-triggered) instead of on
    /// every poll while it lasts. The owner then tracks readiness itself (see <see cref="IoSource"/>).</summary>
    Edge = 4,

    /// <summary>Reports only: the peer closed its side or the descriptor hung up or failed (epoll's
    /// <c>EPOLLRDHUP</c>, <c>EPOLLHUP</c>, <c>EPOLLERR</c>). Comes with <see cref="Read"/>.</summary>
    Hangup = 8,
}
