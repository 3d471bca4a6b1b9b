using System.ComponentModel;
using System.Runtime.InteropServices;

namespace Aio.Reactor;

/// <summary>The Linux reactor: one epoll instance and one eventfd that wakes it from other threads, and,
/// where the kernel offers it, an io_uring that stream receives are handed to (see
/// <see cref="CanReceiveThroughRing"/>). With a ring, the loop waits in the ring, and epoll is one of the
/// things the ring waits for.</summary>
/// <remarks>
/// Some facts about epoll that shape this file:
/// <list type="bullet">
/// <item>epoll watches open file descriptions, not descriptor numbers. Closing a descriptor removes it from
/// the set only when no duplicate remains, so <see cref="Update"/> tolerates both ENOENT (already gone)
/// and EEXIST (number reused) by retrying with the other operation.</item>
/// <item><c>struct epoll_event</c> is packed on x86-64 (12 bytes) and naturally aligned elsewhere
/// (16 bytes), so the event buffer is read with a stride chosen at start-up.</item>
/// <item><c>epoll_wait</c> takes milliseconds; timers would fire up to a millisecond late. Linux 5.11 added
/// <c>epoll_pwait2</c> with a nanosecond timeout, used when present.</item>
/// <item>An eventfd is cheaper than a pipe for wake-ups: one descriptor, an 8-byte counter, and many writes
/// coalesce into one readiness.</item>
/// </list>
/// </remarks>
internal sealed unsafe class EpollReactor : IReactor
{
    private const int MaxEvents = 256;

    /// <summary>Submission entries of the ring: a loop submits at most one receive per socket per
    /// iteration, and a fuller ring is submitted early, so this bounds nothing but memory.</summary>
    private const uint RingEntries = 1024;
    private const ulong WakeToken = ulong.MaxValue;

    private static readonly int s_eventSize =
        RuntimeInformation.ProcessArchitecture is Architecture.X64 or Architecture.X86 ? 12 : 16;
    private static readonly int s_dataOffset = s_eventSize == 12 ? 4 : 8;

    private readonly int _epfd;
    private readonly int _wakeFd;
    private readonly byte* _events;
    private readonly Lock _wakeLock = new();
    private bool _hasPwait2 = true;
    private bool _disposed;

    /// <summary>Creates the reactor; <paramref name="useRing"/> lets it use io_uring where the kernel
    /// offers it (see <see cref="EventLoopOptions.UseIoUring"/>).</summary>
    public EpollReactor(bool useRing = false)
    {
        _ringAllowed = useRing && RuntimeInformation.ProcessArchitecture is Architecture.X64 or Architecture.Arm64;
        _epfd = Libc.epoll_create1(Libc.EPOLL_CLOEXEC);
        if (_epfd < 0)
        {
            throw new Win32Exception(Marshal.GetLastPInvokeError(), "epoll_create1 failed");
        }

        _wakeFd = Libc.eventfd(0, Libc.EFD_CLOEXEC | Libc.EFD_NONBLOCK);
        if (_wakeFd < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            Libc.close(_epfd);
            throw new Win32Exception(errno, "eventfd failed");
        }

        _events = (byte*)NativeMemory.Alloc((nuint)(MaxEvents * s_eventSize));
        Control(Libc.EPOLL_CTL_ADD, _wakeFd, Libc.EPOLLIN, WakeToken);
    }

    public void Update(int fd, IoInterest previous, IoInterest interest, ulong token)
    {
        if (interest == IoInterest.None)
        {
            if (previous != IoInterest.None && Control(Libc.EPOLL_CTL_DEL, fd, 0, token, throwOnError: false) != 0)
            {
                // ENOENT / EBADF: the descriptor was closed while registered; epoll already forgot it.
            }

            return;
        }

        uint events = ToEpoll(interest);
        if (previous == IoInterest.None)
        {
            int error = Control(Libc.EPOLL_CTL_ADD, fd, events, token, throwOnError: false);
            if (error == Libc.EEXIST)
            {
                Control(Libc.EPOLL_CTL_MOD, fd, events, token);
            }
            else if (error != 0)
            {
                // EPERM: a regular file or directory, which epoll cannot watch; EBADF: not open.
                throw new Win32Exception(error, $"Cannot watch descriptor {fd} for readiness");
            }
        }
        else
        {
            int error = Control(Libc.EPOLL_CTL_MOD, fd, events, token, throwOnError: false);
            if (error == Libc.ENOENT)
            {
                Control(Libc.EPOLL_CTL_ADD, fd, events, token);
            }
            else if (error != 0)
            {
                throw new Win32Exception(error, $"Cannot watch descriptor {fd} for readiness");
            }
        }
    }

    /// <summary>User data of the ring's poll of the epoll descriptor.</summary>
    private const ulong EpollPollData = ulong.MaxValue;

    /// <summary>User data of cancel operations, whose own completions say nothing the loop needs.</summary>
    private const ulong CancelData = ulong.MaxValue - 1;

    /// <summary>Whether a ring may be made: asked for, on an architecture whose <c>syscall</c> is called
    /// as the calls below assume, and not refused by the kernel already.</summary>
    private bool _ringAllowed;
    private IoUring? _ring;

    /// <summary>Whether the ring is used in this run: it exists and this is its thread.</summary>
    private bool _ringActive;

    /// <summary>Receives with the ring.</summary>
    private int _ringReceives;

    /// <summary>Whether the ring's multishot poll of the epoll descriptor is armed.</summary>
    private bool _epollPolled;

    /// <summary>Whether the ring holds operations that will still complete: receives, or the poll of epoll.</summary>
    private bool RingOperationsInFlight => _ringReceives > 0 || _epollPolled;

    /// <summary>Whether the last look into epoll found descriptors ready: it may hold more (level-triggered
    /// ones stay ready), which no new wake-up of the epoll descriptor would announce.</summary>
    private bool _epollBacklog;

    /// <inheritdoc/>
    public bool CanReceiveThroughRing => _ringActive;

    /// <inheritdoc/>
    public int RingReceives => _ringReceives;

    /// <inheritdoc/>
    public unsafe void PrepareRingReceive(int fd, byte* buffer, int length, ulong userData)
    {
        _ring!.PrepareReceive(fd, buffer, length, userData);
        _ringReceives++;
    }

    /// <inheritdoc/>
    public void CancelRingOperation(ulong userData) => _ring!.PrepareCancel(userData, CancelData);

    public int Poll(long timeoutNanoseconds, IReadinessSink sink)
    {
        // The ring is waited in only while it has receives: otherwise entering it would be one more
        // system call per iteration, for an epoll-driven loop, that brings nothing.
        if (_ringActive && (_ringReceives > 0 || _ring!.HasUnsubmitted))
        {
            return PollRing(_ring!, timeoutNanoseconds, sink);
        }

        // (epoll_wait returns at once while anything is ready.) What it reported may stay ready
        // (level-triggered), which the ring's poll of epoll, should the next poll be the ring's, would not
        // hear of: that one looks into epoll first.
        int n = Wait(timeoutNanoseconds);
        _epollBacklog = n > 0;
        return PollEpoll(n, sink);
    }

    /// <summary>
    /// One poll with the ring: the wait is the ring's, and epoll is one of the things it waits for (a
    /// multishot poll of the epoll descriptor), so that receives handed to the ring and descriptors
    /// watched by epoll wake the loop alike, through one system call when only the ring has news.
    /// </summary>
    private int PollRing(IoUring ring, long timeoutNanoseconds, IReadinessSink sink)
    {
        if (!_epollPolled)
        {
            ring.PreparePollMultishot(_epfd, Libc.EPOLLIN, EpollPollData);
            _epollPolled = true;
        }

        ring.Enter(_epollBacklog ? 0 : timeoutNanoseconds);
        bool epollReady = _epollBacklog;
        int taken = TakeCompletions(ring, sink, ref epollReady);
        int reported = taken;
        while (taken >= IoUring.DeferredWorkPerEntry)
        {
            // The kernel may have stopped at its batch of woken receives. The others are made now, in this
            // iteration: left to the next entries, a batch each, they would come after every receive
            // submitted meanwhile (those complete as they are submitted), and with a thousand connections
            // some waited tens of milliseconds. An entry that does not wait is cheap.
            ring.Enter(0);
            taken = TakeCompletions(ring, sink, ref epollReady);
            reported += taken;
        }

        if (epollReady)
        {
            int n = Wait(0);
            _epollBacklog = n > 0;
            reported += PollEpoll(n, sink);
        }

        return reported;
    }

    private int TakeCompletions(IoUring ring, IReadinessSink sink, ref bool epollReady)
    {
        int reported = 0;
        while (ring.TryTakeCompletion(out ulong userData, out int result, out uint flags))
        {
            if (userData == CancelData)
            {
                continue;
            }

            if (userData == EpollPollData)
            {
                epollReady = true;
                if ((flags & IoUring.CompletionMore) == 0)
                {
                    // The kernel ended the multishot poll (it does on overflow, for one): re-armed next poll.
                    _epollPolled = false;
                }

                continue;
            }

            _ringReceives--;
            sink.OnCompletion(userData, result);
            reported++;
        }

        return reported;
    }

    /// <summary>
    /// Ends every ring operation before the loop leaves its thread: the ring can only be entered from the
    /// thread that created it, and the loop may run next on another. Receives that were still waiting
    /// complete with ECANCELED (or with the bytes that beat the cancel), and their owners go back to epoll.
    /// </summary>
    private void WithdrawRingOperations(IReadinessSink sink)
    {
        IoUring ring = _ring!;

        // First, so that a receive whose cancel completes is not handed to the ring again.
        _ringActive = false;
        ring.PrepareCancel(0, CancelData, any: true);
        bool epollReady = false;
        do
        {
            // Submits the cancel, then waits until every receive and the poll of epoll (whose last
            // completion clears _epollPolled) ended.
            ring.Enter(RingOperationsInFlight ? -1 : 0);
            TakeCompletions(ring, sink, ref epollReady);
        }
        while (RingOperationsInFlight);

        // Whatever epoll reported meanwhile is still there for the next poll to find: epoll_wait does
        // not consume readiness until it is asked.
        _epollBacklog = true;
    }

    private int PollEpoll(int n, IReadinessSink sink)
    {
        int reported = 0;
        byte* p = _events;
        for (int i = 0; i < n; i++, p += s_eventSize)
        {
            uint events = *(uint*)p;
            ulong token = *(ulong*)(p + s_dataOffset);
            if (token == WakeToken)
            {
                DrainWakeFd();
                continue;
            }

            IoInterest ready = IoInterest.None;
            if ((events & (Libc.EPOLLIN | Libc.EPOLLPRI | Libc.EPOLLRDHUP)) != 0)
            {
                ready |= IoInterest.Read;
            }

            if ((events & Libc.EPOLLOUT) != 0)
            {
                ready |= IoInterest.Write;
            }

            if ((events & (Libc.EPOLLERR | Libc.EPOLLHUP)) != 0)
            {
                // As selectors do: an error or hang-up wakes both readers and writers, so whichever is
                // waiting performs the call that reports the error.
                ready = IoInterest.ReadWrite | IoInterest.Hangup;
            }
            else if ((events & Libc.EPOLLRDHUP) != 0)
            {
                ready |= IoInterest.Hangup;
            }

            if (CacheHints.Enabled)
            {
                // Three reports ahead, the object; two ahead, what it references; the next one, a step
                // further: by the time a report is handled, all of it has had two reports' time to arrive.
                for (int ahead = Math.Min(3, n - 1 - i); ahead > 0; ahead--)
                {
                    sink.Prefetch(*(ulong*)(p + (ahead * s_eventSize) + s_dataOffset), 3 - ahead);
                }
            }

            sink.OnReady(token, ready);
            reported++;
        }

        return reported;
    }

    public void Wake()
    {
        // The lock keeps a late wake-up from another thread from writing to a descriptor number that
        // Dispose has closed and the process has already reused. The loop asks for at most one wake-up
        // per iteration, so the lock is never hot.
        lock (_wakeLock)
        {
            if (_disposed)
            {
                return;
            }

            ulong one = 1;
            // EAGAIN means the counter is saturated: the loop is already going to wake up.
            Libc.write(_wakeFd, &one, sizeof(ulong));
        }
    }

    /// <summary>
    /// Linux lets a sleeping thread wake up to 50 µs late by default ("timer slack", to batch wake-ups
    /// and save power). A loop thread's waits are its timers, so it asks for 1 µs while it runs — timers
    /// then fire within microseconds of their deadline — and puts the old value back when it stops.
    /// </summary>
    public long EnterLoopThread()
    {
        if (_ringAllowed && _ring is null)
        {
            _ring = IoUring.TryCreate(RingEntries);

            // One try: a kernel that refused once refuses again.
            _ringAllowed = false;
        }

        _ringActive = _ring is not null && _ring.OwnerThreadId == Environment.CurrentManagedThreadId;
        int previous = Libc.prctl(Libc.PR_GET_TIMERSLACK, 0, 0, 0, 0);
        if (previous > 0)
        {
            Libc.prctl(Libc.PR_SET_TIMERSLACK, 1000, 0, 0, 0);
        }

        return previous;
    }

    public void LeaveLoopThread(long state, IReadinessSink sink)
    {
        if (_ringActive)
        {
            WithdrawRingOperations(sink);
        }

        if (state > 0)
        {
            Libc.prctl(Libc.PR_SET_TIMERSLACK, (nuint)state, 0, 0, 0);
        }
    }

    private int Wait(long timeoutNanoseconds)
    {
        while (true)
        {
            int n;
            if (_hasPwait2)
            {
                Libc.Timespec ts;
                Libc.Timespec* pts = null;
                if (timeoutNanoseconds >= 0)
                {
                    ts.Seconds = timeoutNanoseconds / 1_000_000_000;
                    ts.Nanoseconds = timeoutNanoseconds % 1_000_000_000;
                    pts = &ts;
                }

                n = Libc.epoll_pwait2(_epfd, _events, MaxEvents, pts, 0);
            }
            else
            {
                int ms = timeoutNanoseconds < 0 ? -1
                    : (int)Math.Min(int.MaxValue, (timeoutNanoseconds + 999_999) / 1_000_000);
                n = Libc.epoll_wait(_epfd, _events, MaxEvents, ms);
            }

            if (n >= 0)
            {
                return n;
            }

            int errno = Marshal.GetLastPInvokeError();
            if (errno == Libc.EINTR)
            {
                return 0;
            }

            if (_hasPwait2 && (errno == Libc.ENOSYS || errno == Libc.EPERM))
            {
                // Older kernel, or a seccomp filter that does not know the call yet.
                _hasPwait2 = false;
                continue;
            }

            throw new Win32Exception(errno, "epoll wait failed");
        }
    }

    private void DrainWakeFd()
    {
        ulong value;
        Libc.read(_wakeFd, &value, sizeof(ulong));
    }

    private int Control(int op, int fd, uint events, ulong token, bool throwOnError = true)
    {
        byte* ev = stackalloc byte[16];
        *(uint*)ev = events;
        *(ulong*)(ev + s_dataOffset) = token;
        if (Libc.epoll_ctl(_epfd, op, fd, ev) == 0)
        {
            return 0;
        }

        int errno = Marshal.GetLastPInvokeError();
        if (throwOnError)
        {
            throw new Win32Exception(errno, $"epoll_ctl({op}, fd {fd}) failed");
        }

        return errno;
    }

    private static uint ToEpoll(IoInterest interest)
    {
        uint events = 0;
        if ((interest & IoInterest.Read) != 0)
        {
            events |= Libc.EPOLLIN | Libc.EPOLLRDHUP;
        }

        if ((interest & IoInterest.Write) != 0)
        {
            events |= Libc.EPOLLOUT;
        }

        if ((interest & IoInterest.Edge) != 0)
        {
            events |= Libc.EPOLLET;
        }

        return events;
    }

    public void Dispose()
    {
        lock (_wakeLock)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
        }

        Libc.close(_wakeFd);
        Libc.close(_epfd);
        _ring?.Dispose();
        NativeMemory.Free(_events);
    }
}
