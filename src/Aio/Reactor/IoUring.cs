using System.ComponentModel;
using System.Runtime.InteropServices;

namespace Aio.Reactor;

/// <summary>
/// An io_uring instance: the submission and completion rings mapped into the process, and the few
/// operations the loop uses (a receive, a multishot poll, a cancel), written straight into the shared
/// memory the kernel reads.
/// </summary>
/// <remarks>
/// <para>Created with <c>IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN</c> (Linux 6.1): the
/// kernel finishes operations only when the thread that created the ring enters it, never by
/// interrupting the thread, and only that thread may use it (see <see cref="OwnerThreadId"/>). That suits
/// a loop: it enters the ring once per iteration to submit what the iteration prepared and to collect
/// what completed.</para>
/// <para>Layouts (<c>struct io_uring_params</c>, the 64-byte submission entry, the 16-byte completion
/// entry) are those of <c>linux/io_uring.h</c>, the same on every 64-bit architecture.</para>
/// </remarks>
internal sealed unsafe class IoUring : IDisposable
{
    private const byte OpPollAdd = 6;
    private const byte OpAsyncCancel = 14;
    private const byte OpRecv = 27;

    private const uint SetupSubmitAll = 1u << 7;
    private const uint SetupSingleIssuer = 1u << 12;
    private const uint SetupDeferTaskrun = 1u << 13;
    private const uint FeatSingleMmap = 1;
    private const uint EnterGetEvents = 1;
    private const uint EnterExtArg = 8;
    private const uint PollAddMulti = 1;
    private const uint CancelAll = 1;
    private const uint CancelAny = 4;

    /// <summary>How many pieces of work deferred to the ring's thread — a woken receive, made and completed
    /// there — the kernel runs in an entry that asks for fewer completions (<c>IO_LOCAL_TW_DEFAULT_MAX</c>
    /// since Linux 6.13): an entry that brings this many completions may have left some behind.</summary>
    internal const int DeferredWorkPerEntry = 20;

    /// <summary>A completion flag: a multishot operation stays armed and will complete again.</summary>
    internal const uint CompletionMore = 2;

    private const long SqRingOffset = 0;
    private const long SqesOffset = 0x10000000;
    private const int SqeSize = 64;
    private const int CqeSize = 16;

    private readonly int _fd;
    private readonly byte* _ring;
    private readonly nuint _ringSize;
    private readonly byte* _sqes;
    private readonly nuint _sqesSize;
    private readonly uint* _sqHead;
    private readonly uint* _sqTail;
    private readonly uint _sqMask;
    private readonly uint _sqEntries;
    private readonly uint* _cqHead;
    private readonly uint* _cqTail;
    private readonly uint _cqMask;
    private readonly byte* _cqes;

    /// <summary>The tail as this side has written it; published to the kernel at <see cref="Enter"/>.</summary>
    private uint _localTail;

    /// <summary>The tail up to which the kernel has taken entries.</summary>
    private uint _submitted;

    private bool _disposed;

    [StructLayout(LayoutKind.Sequential)]
    private struct SetupParameters
    {
        public uint SqEntries, CqEntries, Flags, SqThreadCpu, SqThreadIdle, Features, WqFd, Reserved0, Reserved1, Reserved2;
        public uint SqHead, SqTail, SqRingMask, SqRingEntries, SqFlags, SqDropped, SqArray, SqReserved;
        public ulong SqUserAddress;
        public uint CqHead, CqTail, CqRingMask, CqRingEntries, CqOverflow, CqCqes, CqFlags, CqReserved;
        public ulong CqUserAddress;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct GetEventsArgument
    {
        public ulong SignalMask;
        public uint SignalMaskSize;
        public uint MinWaitMicroseconds;
        public ulong Timeout;
    }

    private IoUring(int fd, in SetupParameters p, byte* ring, nuint ringSize, byte* sqes, nuint sqesSize)
    {
        _fd = fd;
        _ring = ring;
        _ringSize = ringSize;
        _sqes = sqes;
        _sqesSize = sqesSize;
        _sqHead = (uint*)(ring + p.SqHead);
        _sqTail = (uint*)(ring + p.SqTail);
        _sqMask = *(uint*)(ring + p.SqRingMask);
        _sqEntries = *(uint*)(ring + p.SqRingEntries);
        _cqHead = (uint*)(ring + p.CqHead);
        _cqTail = (uint*)(ring + p.CqTail);
        _cqMask = *(uint*)(ring + p.CqRingMask);
        _cqes = ring + p.CqCqes;

        // Entry i of the submission array always names submission entry i: entries are used in order.
        uint* array = (uint*)(ring + p.SqArray);
        for (uint i = 0; i < _sqEntries; i++)
        {
            array[i] = i;
        }

        _localTail = _submitted = *_sqTail;
        OwnerThreadId = Environment.CurrentManagedThreadId;
    }

    /// <summary>The thread that created the ring, the only one that may enter it.</summary>
    internal int OwnerThreadId { get; }

    /// <summary>
    /// Creates a ring of <paramref name="entries"/> submission entries owned by the calling thread, or
    /// returns null when the kernel offers none: older than 6.1, io_uring switched off
    /// (<c>kernel.io_uring_disabled</c>), or refused by a seccomp filter, as container runtimes often do.
    /// </summary>
    internal static IoUring? TryCreate(uint entries)
    {
        SetupParameters p = default;
        p.Flags = SetupSingleIssuer | SetupDeferTaskrun | SetupSubmitAll;
        int fd = (int)Libc.syscall6(Libc.SysIoUringSetup, (nint)entries, (nint)(&p), 0, 0, 0, 0);
        if (fd < 0)
        {
            return null;
        }

        if ((p.Features & FeatSingleMmap) == 0)
        {
            Libc.close(fd);
            return null;
        }

        // One mapping holds both rings (IORING_FEAT_SINGLE_MMAP); the entries have their own.
        nuint ringSize = Math.Max(p.SqArray + (p.SqEntries * 4u), p.CqCqes + (p.CqEntries * (uint)CqeSize));
        nuint sqesSize = p.SqEntries * (uint)SqeSize;
        byte* ring = Map(fd, ringSize, SqRingOffset);
        byte* sqes = ring == null ? null : Map(fd, sqesSize, SqesOffset);
        if (sqes == null)
        {
            if (ring != null)
            {
                Libc.munmap(ring, ringSize);
            }

            Libc.close(fd);
            return null;
        }

        return new IoUring(fd, p, ring, ringSize, sqes, sqesSize);
    }

    private static byte* Map(int fd, nuint size, long offset)
    {
        void* address = Libc.mmap(null, size, Libc.PROT_READ | Libc.PROT_WRITE, Libc.MAP_SHARED | Libc.MAP_POPULATE, fd, offset);
        return address == Libc.MAP_FAILED ? null : (byte*)address;
    }

    /// <summary>Whether entries were prepared since the last <see cref="Enter"/>.</summary>
    internal bool HasUnsubmitted => _localTail != _submitted;

    /// <summary>Whether completions wait to be taken.</summary>
    internal bool HasCompletions => Volatile.Read(ref *_cqTail) != *_cqHead;

    /// <summary>Prepares a receive of up to <paramref name="length"/> bytes into <paramref name="buffer"/>.</summary>
    internal void PrepareReceive(int fd, byte* buffer, int length, ulong userData)
    {
        byte* sqe = NextEntry();
        sqe[0] = OpRecv;
        *(int*)(sqe + 4) = fd;
        *(ulong*)(sqe + 16) = (ulong)buffer;
        *(uint*)(sqe + 24) = (uint)length;
        *(ulong*)(sqe + 32) = userData;
    }

    /// <summary>Prepares a cancel of the operations whose user data is <paramref name="target"/>, or of
    /// every operation with <paramref name="any"/>.</summary>
    internal void PrepareCancel(ulong target, ulong userData, bool any = false)
    {
        byte* sqe = NextEntry();
        sqe[0] = OpAsyncCancel;
        *(int*)(sqe + 4) = -1;
        *(ulong*)(sqe + 16) = target;
        *(uint*)(sqe + 28) = any ? CancelAll | CancelAny : CancelAll;
        *(ulong*)(sqe + 32) = userData;
    }

    /// <summary>Prepares a multishot poll of <paramref name="fd"/>: a completion at every wake-up of the
    /// descriptor with <paramref name="events"/>, until it is cancelled or the kernel drops it.</summary>
    internal void PreparePollMultishot(int fd, uint events, ulong userData)
    {
        byte* sqe = NextEntry();
        sqe[0] = OpPollAdd;
        *(int*)(sqe + 4) = fd;
        *(uint*)(sqe + 24) = PollAddMulti;
        *(uint*)(sqe + 28) = events;
        *(ulong*)(sqe + 32) = userData;
    }

    /// <summary>A zeroed submission entry, submitting what is prepared first when the ring is full.</summary>
    private byte* NextEntry()
    {
        if (_localTail - Volatile.Read(ref *_sqHead) >= _sqEntries)
        {
            Enter(0);
        }

        byte* sqe = _sqes + ((_localTail & _sqMask) * SqeSize);
        new Span<byte>(sqe, SqeSize).Clear();
        _localTail++;
        return sqe;
    }

    /// <summary>
    /// Submits what was prepared and lets the kernel finish what it can. Unless
    /// <paramref name="timeoutNanoseconds"/> is 0 or a completion already waits, blocks until one arrives
    /// or the timeout passes (negative: no limit).
    /// </summary>
    /// <remarks>Of the receives woken since the last entry, whose completions the kernel makes on this
    /// thread when it is entered, it makes at most <see cref="DeferredWorkPerEntry"/> before it returns;
    /// the others wait for the next entry.</remarks>
    internal void Enter(long timeoutNanoseconds)
    {
        uint toSubmit = _localTail - _submitted;

        // The release store orders the entries' contents before the tail that publishes them.
        Volatile.Write(ref *_sqTail, _localTail);
        uint minComplete = timeoutNanoseconds == 0 || HasCompletions ? 0u : 1u;
        uint flags = EnterGetEvents;
        Libc.Timespec timeout;
        GetEventsArgument argument = default;
        nint argumentAddress = 0;
        nint argumentSize = 0;
        if (minComplete == 1 && timeoutNanoseconds > 0)
        {
            timeout.Seconds = timeoutNanoseconds / 1_000_000_000;
            timeout.Nanoseconds = timeoutNanoseconds % 1_000_000_000;
            argument.Timeout = (ulong)(&timeout);
            flags |= EnterExtArg;
            argumentAddress = (nint)(&argument);
            argumentSize = sizeof(GetEventsArgument);
        }

        nint result = Libc.syscall6(Libc.SysIoUringEnter, _fd, (nint)toSubmit, (nint)minComplete, (nint)flags, argumentAddress, argumentSize);
        if (result >= 0)
        {
            _submitted += (uint)result;
            return;
        }

        int errno = Marshal.GetLastSystemError();

        // ETIME: the wait timed out. EINTR: a signal. EBUSY or EAGAIN: the completion ring is full and
        // must be emptied first, which the caller does next.
        if (errno is not (Libc.EINTR or Libc.ETIME or Libc.EBUSY or Libc.EAGAIN))
        {
            throw new Win32Exception(errno, "io_uring_enter failed");
        }
    }

    /// <summary>Takes the next completion, if one waits.</summary>
    internal bool TryTakeCompletion(out ulong userData, out int result, out uint flags)
    {
        uint head = *_cqHead;

        // The acquire load orders the entry's contents after the tail that published them.
        if (head == Volatile.Read(ref *_cqTail))
        {
            userData = 0;
            result = 0;
            flags = 0;
            return false;
        }

        byte* cqe = _cqes + ((head & _cqMask) * CqeSize);
        userData = *(ulong*)cqe;
        result = *(int*)(cqe + 8);
        flags = *(uint*)(cqe + 12);
        Volatile.Write(ref *_cqHead, head + 1);
        return true;
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        Libc.munmap(_sqes, _sqesSize);
        Libc.munmap(_ring, _ringSize);
        Libc.close(_fd);
    }
}
