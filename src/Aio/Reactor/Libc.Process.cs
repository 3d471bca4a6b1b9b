using System.Runtime.InteropServices;

namespace Aio.Reactor;

/// <summary>The libc calls subprocesses need: pipes, <c>posix_spawn</c>, pidfds and reaping.</summary>
/// <remarks>
/// The <c>posix_spawn*</c> functions return an error number instead of setting errno. The pidfd calls go
/// through <c>syscall</c>, since glibc only wraps them from 2.36 on; their numbers are the same on every
/// architecture (they were added after the numbering was unified).
/// </remarks>
internal static unsafe partial class Libc
{
    internal const int ECHILD = 10;
    internal const int EACCES = 13;
    internal const int ESRCH = 3;
    internal const int EPIPE = 32;
    internal const int EINVAL = 22;

    internal const int O_RDONLY = 0;
    internal const int O_WRONLY = 1;
    internal const int O_NONBLOCK = 0x800;
    internal const int O_CLOEXEC = 0x80000;

    internal const int F_DUPFD_CLOEXEC = 1030;
    internal const int F_GETFL = 3;
    internal const int F_SETFL = 4;

    internal const int SIGKILL = 9;
    internal const int SIGPIPE = 13;
    internal const int SIGTERM = 15;

    internal const short POSIX_SPAWN_SETSIGDEF = 0x04;
    internal const short POSIX_SPAWN_SETSIGMASK = 0x08;

    /// <summary><c>waitid</c>'s <c>P_PIDFD</c> (Linux 5.4): wait for the process a pidfd refers to.</summary>
    internal const int P_PIDFD = 3;
    internal const int WNOHANG = 1;
    internal const int WEXITED = 4;

    /// <summary><c>siginfo_t.si_code</c> of a child that exited normally; the others were killed.</summary>
    internal const int CLD_EXITED = 1;

    internal const nint SYS_pidfd_send_signal = 424;
    internal const nint SYS_pidfd_open = 434;

    /// <summary><c>PIDFD_GET_INFO</c> (Linux 6.15): <c>_IOWR(0xFF, 11, struct pidfd_info)</c> with the
    /// 64-byte first version of the structure.</summary>
    internal const uint PIDFD_GET_INFO = 0xC040FF0B;

    /// <summary>Asks <see cref="PIDFD_GET_INFO"/> for the exit status, kept after the process was reaped.</summary>
    internal const ulong PIDFD_INFO_EXIT = 1UL << 3;

    /// <summary>Room for glibc's <c>posix_spawn_file_actions_t</c> (80 bytes on 64-bit) and
    /// <c>posix_spawnattr_t</c> (336 bytes), with margin.</summary>
    internal const int SpawnStructSize = 512;

    /// <summary><c>sigset_t</c>: 1024 bits.</summary>
    internal const int SigsetSize = 128;

    /// <summary><c>siginfo_t</c>.</summary>
    internal const int SiginfoSize = 128;

    internal const int X_OK = 1;

    [LibraryImport(Library, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int access(string path, int mode);

    [LibraryImport(Library, SetLastError = true)]
    internal static partial int pipe2(int* fds, int flags);

    [LibraryImport(Library, SetLastError = true)]
    internal static partial int fcntl(int fd, int cmd, int arg);

    [LibraryImport(Library, SetLastError = true)]
    internal static partial int waitid(int idtype, int id, byte* infop, int options);

    [LibraryImport(Library, SetLastError = true)]
    internal static partial int waitpid(int pid, int* status, int options);

    [LibraryImport(Library, SetLastError = true)]
    internal static partial int ioctl(int fd, nuint request, void* arg);

    [LibraryImport(Library, SetLastError = true)]
    internal static partial nint syscall(nint number, nint arg1, nint arg2, nint arg3, nint arg4);

    [LibraryImport(Library)]
    internal static partial int sigemptyset(byte* set);

    [LibraryImport(Library)]
    internal static partial int sigaddset(byte* set, int signal);

    [LibraryImport(Library)]
    internal static partial int posix_spawn_file_actions_init(byte* actions);

    [LibraryImport(Library)]
    internal static partial int posix_spawn_file_actions_destroy(byte* actions);

    [LibraryImport(Library)]
    internal static partial int posix_spawn_file_actions_adddup2(byte* actions, int fd, int newfd);

    [LibraryImport(Library)]
    internal static partial int posix_spawn_file_actions_addopen(byte* actions, int fd, byte* path, int flags, uint mode);

    /// <summary>glibc 2.29.</summary>
    [LibraryImport(Library)]
    internal static partial int posix_spawn_file_actions_addchdir_np(byte* actions, byte* path);

    /// <summary>glibc 2.34: closes every descriptor from <paramref name="from"/> up in the child.</summary>
    [LibraryImport(Library)]
    internal static partial int posix_spawn_file_actions_addclosefrom_np(byte* actions, int from);

    [LibraryImport(Library)]
    internal static partial int posix_spawnattr_init(byte* attributes);

    [LibraryImport(Library)]
    internal static partial int posix_spawnattr_destroy(byte* attributes);

    [LibraryImport(Library)]
    internal static partial int posix_spawnattr_setflags(byte* attributes, short flags);

    [LibraryImport(Library)]
    internal static partial int posix_spawnattr_setsigmask(byte* attributes, byte* set);

    [LibraryImport(Library)]
    internal static partial int posix_spawnattr_setsigdefault(byte* attributes, byte* set);

    [LibraryImport(Library)]
    internal static partial int posix_spawn(int* pid, byte* path, byte* actions, byte* attributes, byte** argv, byte** envp);
}
