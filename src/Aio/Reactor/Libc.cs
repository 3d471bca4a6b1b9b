using System.Runtime.InteropServices;

namespace Aio.Reactor;

/// <summary>The few libc calls the reactor needs, declared once.</summary>
/// <remarks>
/// Every call sets errno; read it with <see cref="Marshal.GetLastPInvokeError"/> right after the call.
/// The declarations use <c>LibraryImport</c> so marshalling code is generated at build time and no
/// stub is created at run time.
/// </remarks>
internal static unsafe partial class Libc
{
    private const string Library = "libc";

    internal const int EPOLL_CLOEXEC = 0x80000;
    internal const int EPOLL_CTL_ADD = 1;
    internal const int EPOLL_CTL_DEL = 2;
    internal const int EPOLL_CTL_MOD = 3;

    internal const uint EPOLLIN = 0x001;
    internal const uint EPOLLPRI = 0x002;
    internal const uint EPOLLOUT = 0x004;
    internal const uint EPOLLERR = 0x008;
    internal const uint EPOLLHUP = 0x010;
    internal const uint EPOLLRDHUP = 0x2000;
    internal const uint EPOLLET = 0x80000000;

    internal const int EFD_CLOEXEC = 0x80000;
    internal const int EFD_NONBLOCK = 0x800;

    internal const int EINTR = 4;
    internal const int EBADF = 9;
    internal const int EAGAIN = 11;
    internal const int EEXIST = 17;
    internal const int ENOENT = 2;
    internal const int ENOSYS = 38;
    internal const int EPERM = 1;
    internal const int EBUSY = 16;
    internal const int ETIME = 62;
    internal const int ECANCELED = 125;

    internal const int PROT_READ = 1;
    internal const int PROT_WRITE = 2;
    internal const int MAP_SHARED = 1;
    internal const int MAP_POPULATE = 0x8000;
    internal static readonly void* MAP_FAILED = (void*)-1;

    [LibraryImport(Library)]
    internal static partial void* mmap(void* address, nuint length, int protection, int flags, int fd, long offset);

    [LibraryImport(Library)]
    internal static partial int munmap(void* address, nuint length);

    [LibraryImport(Library, SetLastError = true)]
    internal static partial int epoll_create1(int flags);

    [LibraryImport(Library, SetLastError = true)]
    internal static partial int epoll_ctl(int epfd, int op, int fd, byte* ev);

    [LibraryImport(Library, SetLastError = true)]
    internal static partial int epoll_wait(int epfd, byte* events, int maxevents, int timeout);

    [LibraryImport(Library, SetLastError = true)]
    internal static partial int epoll_pwait2(int epfd, byte* events, int maxevents, Timespec* timeout, nint sigmask);

    [LibraryImport(Library, SetLastError = true)]
    internal static partial int eventfd(uint initval, int flags);

    [LibraryImport(Library, SetLastError = true)]
    internal static partial nint read(int fd, void* buf, nint count);

    [LibraryImport(Library, SetLastError = true)]
    internal static partial nint write(int fd, void* buf, nint count);

    [LibraryImport(Library, SetLastError = true)]
    internal static partial int close(int fd);

    [LibraryImport(Library, SetLastError = true)]
    internal static partial int kill(int pid, int sig);

    internal const int SOCK_NONBLOCK = 0x800;
    internal const int SOCK_CLOEXEC = 0x80000;
    internal const int MSG_NOSIGNAL = 0x4000;

    [LibraryImport(Library, SetLastError = true)]
    internal static partial int accept4(int fd, byte* address, int* addressLength, int flags);

    // No SetLastError: see Libc.Direct.cs.
    [LibraryImport(Library)]
    internal static partial nint recvfrom(int fd, byte* buffer, nint length, int flags, byte* address, int* addressLength);

    // No SetLastError: see Libc.Direct.cs.
    [LibraryImport(Library)]
    internal static partial nint recvmsg(int fd, MessageHeader* message, int flags);

    [LibraryImport(Library, SetLastError = true)]
    internal static partial int setsockopt(int fd, int level, int name, void* value, int length);

    internal const int SOL_TCP = 6;

    /// <summary>Asks TCP to attach, to every <c>recvmsg</c>, how many bytes it still holds (Linux 4.18).</summary>
    internal const int TCP_INQ = 36;

    /// <summary>The control message <see cref="TCP_INQ"/> attaches; its data is an <c>int</c>.</summary>
    internal const int TCP_CM_INQ = TCP_INQ;

    /// <summary><c>struct iovec</c>.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct IoVector
    {
        internal void* Base;
        internal nuint Length;
    }

    /// <summary><c>struct msghdr</c> (64-bit Linux).</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct MessageHeader
    {
        internal void* Name;
        internal uint NameLength;
        internal IoVector* Vectors;
        internal nuint VectorCount;
        internal void* Control;
        internal nuint ControlLength;
        internal int Flags;
    }

    /// <summary><c>struct cmsghdr</c> followed by one <c>int</c> of data: what <c>CMSG_SPACE(sizeof(int))</c>
    /// reserves on 64-bit Linux.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct IntControlMessage
    {
        internal nuint Length;
        internal int Level;
        internal int Type;
        internal int Value;
        private int _padding;
    }

    // No SetLastError: see Libc.Direct.cs.
    [LibraryImport(Library)]
    internal static partial nint sendto(int fd, byte* buffer, nint length, int flags, byte* address, int addressLength);

    [LibraryImport(Library, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int stat(string path, byte* buffer);

    internal const int PR_SET_TIMERSLACK = 29;
    internal const int PR_GET_TIMERSLACK = 30;

    [LibraryImport(Library, SetLastError = true)]
    internal static partial int prctl(int option, nuint arg2, nuint arg3, nuint arg4, nuint arg5);

    /// <summary>The size of a <c>cpu_set_t</c>: 1,024 CPUs.</summary>
    internal const int CpuSetBytes = 128;

    /// <summary>Pid 0 is the calling thread, so a loop group pins each of its threads from the thread itself.</summary>
    [LibraryImport(Library, SetLastError = true)]
    internal static partial int sched_setaffinity(int pid, nuint cpuSetSize, ulong* mask);

    [LibraryImport(Library, SetLastError = true)]
    internal static partial int sched_getaffinity(int pid, nuint cpuSetSize, ulong* mask);

    /// <summary><c>struct timespec</c> on 64-bit Linux.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct Timespec
    {
        public long Seconds;
        public long Nanoseconds;
    }
}
