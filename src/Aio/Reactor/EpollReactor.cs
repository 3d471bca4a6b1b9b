using System.ComponentModel;
using System.Runtime.InteropServices;

namespace Aio.Reactor;

/// <summary>The Linux reactor: one epoll instance and one eventfd that wakes it from other threads.</summary>
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

    public EpollReactor()
    {
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

    public int Poll(long timeoutNanoseconds, IReadinessSink sink)
    {
        int n = Wait(timeoutNanoseconds);
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
        int previous = Libc.prctl(Libc.PR_GET_TIMERSLACK, 0, 0, 0, 0);
        if (previous > 0)
        {
            Libc.prctl(Libc.PR_SET_TIMERSLACK, 1000, 0, 0, 0);
        }

        return previous;
    }

    public void LeaveLoopThread(long state)
    {
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
        NativeMemory.Free(_events);
    }
}
