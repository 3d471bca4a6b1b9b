using System.ComponentModel;
using System.Runtime.InteropServices;

namespace Aio.Tests.Support;

/// <summary>The libc calls tests need to make real descriptors and send real signals.</summary>
internal static unsafe partial class Native
{
    private const string Library = "libc";

    private const int O_NONBLOCK = 0x800;
    private const int O_CLOEXEC = 0x80000;
    private const int EFD_NONBLOCK = 0x800;
    private const int EFD_CLOEXEC = 0x80000;

    /// <summary>SIGINT: only ever sent to child processes.</summary>
    public const int SIGINT = 2;

    /// <summary>SIGUSR1 on Linux (x86-64 and arm64): safe to send to ourselves while a handler is registered.</summary>
    public const int SIGUSR1 = 10;

    [LibraryImport(Library, EntryPoint = "pipe2", SetLastError = true)]
    private static partial int Pipe2(int* fds, int flags);

    [LibraryImport(Library, EntryPoint = "eventfd", SetLastError = true)]
    private static partial int EventFd(uint initval, int flags);

    [LibraryImport(Library, EntryPoint = "read", SetLastError = true)]
    private static partial nint Read(int fd, void* buf, nint count);

    [LibraryImport(Library, EntryPoint = "write", SetLastError = true)]
    private static partial nint Write(int fd, void* buf, nint count);

    [LibraryImport(Library, EntryPoint = "dup", SetLastError = true)]
    private static partial int Dup(int fd);

    [LibraryImport(Library, EntryPoint = "close", SetLastError = true)]
    private static partial int CloseFd(int fd);

    [LibraryImport(Library, EntryPoint = "mkfifo", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int MkFifo(string path, uint mode);

    [LibraryImport(Library, EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int sig);

    [LibraryImport(Library, EntryPoint = "getpid")]
    private static partial int GetPid();

    [LibraryImport(Library, EntryPoint = "waitpid", SetLastError = true)]
    private static partial int WaitPidCore(int pid, int* status, int options);

    /// <summary>Creates a non-blocking pipe.</summary>
    public static (int Read, int Write) CreatePipe()
    {
        int* fds = stackalloc int[2];
        if (Pipe2(fds, O_NONBLOCK | O_CLOEXEC) != 0)
        {
            throw new Win32Exception(Marshal.GetLastPInvokeError(), "pipe2 failed");
        }

        return (fds[0], fds[1]);
    }

    /// <summary>Creates a non-blocking eventfd with a zero counter.</summary>
    public static int CreateEventFd()
    {
        int fd = EventFd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        if (fd < 0)
        {
            throw new Win32Exception(Marshal.GetLastPInvokeError(), "eventfd failed");
        }

        return fd;
    }

    /// <summary>Adds <paramref name="value"/> to an eventfd's counter, making it readable.</summary>
    public static void SignalEventFd(int fd, ulong value = 1)
    {
        if (Write(fd, &value, sizeof(ulong)) != sizeof(ulong))
        {
            throw new Win32Exception(Marshal.GetLastPInvokeError(), "write to eventfd failed");
        }
    }

    /// <summary>Reads and resets an eventfd's counter; 0 when it was not readable.</summary>
    public static ulong DrainEventFd(int fd)
    {
        ulong value = 0;
        return Read(fd, &value, sizeof(ulong)) == sizeof(ulong) ? value : 0;
    }

    /// <summary>Writes bytes to a descriptor; returns how many were written (negative on error).</summary>
    public static int WriteBytes(int fd, ReadOnlySpan<byte> data)
    {
        fixed (byte* p = data)
        {
            return (int)Write(fd, p, data.Length);
        }
    }

    /// <summary>Reads what is available without blocking; returns the count (negative when nothing was).</summary>
    public static int ReadBytes(int fd, Span<byte> buffer)
    {
        fixed (byte* p = buffer)
        {
            return (int)Read(fd, p, buffer.Length);
        }
    }

    /// <summary>Creates a named pipe (FIFO) at <paramref name="path"/>, readable and writable by the owner.</summary>
    public static void MakeFifo(string path)
    {
        if (MkFifo(path, 0x180) != 0)
        {
            throw new Win32Exception(Marshal.GetLastPInvokeError(), "mkfifo failed");
        }
    }

    /// <summary>Waits for child <paramref name="pid"/> and reaps it, as a SIGCHLD handler calling
    /// <c>waitpid</c> would; returns its raw wait status.</summary>
    public static int WaitPid(int pid)
    {
        int status;
        if (WaitPidCore(pid, &status, 0) != pid)
        {
            throw new Win32Exception(Marshal.GetLastPInvokeError(), "waitpid failed");
        }

        return status;
    }

    /// <summary>Closes a descriptor, ignoring errors (tests close in finally blocks).</summary>
    public static void Close(int fd) => CloseFd(fd);

    /// <summary>A second descriptor for what <paramref name="fd"/> refers to (<c>dup</c>).</summary>
    public static int Duplicate(int fd)
    {
        int duplicate = Dup(fd);
        if (duplicate < 0)
        {
            throw new Win32Exception(Marshal.GetLastPInvokeError(), "dup failed");
        }

        return duplicate;
    }

    /// <summary>Sends <paramref name="signal"/> to this process.</summary>
    public static void SignalSelf(int signal) => SendSignal(GetPid(), signal);

    /// <summary>Sends <paramref name="signal"/> to process <paramref name="pid"/>.</summary>
    public static void SendSignal(int pid, int signal)
    {
        if (Kill(pid, signal) != 0)
        {
            throw new Win32Exception(Marshal.GetLastPInvokeError(), "kill failed");
        }
    }
}
