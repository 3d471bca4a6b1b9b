using System.Runtime.InteropServices;

namespace Aio.Reactor;

/// <summary>The socket calls of the hot path, made through <c>syscall</c> where the numbers are known.</summary>
/// <remarks>
/// glibc's <c>sendto</c>, <c>recvfrom</c> and <c>recvmsg</c> are cancellation points: in a process with more
/// than one thread (every .NET process) each call switches asynchronous cancellation on and off around the
/// system call, which a profile of the echo server put at about 1% of its time. Aio never cancels a
/// thread, so the calls go through <c>syscall</c>, which only moves registers and sets errno. Its
/// variadic arguments are all integers, passed as fixed ones are on x86-64 and arm64 Linux, and glibc's
/// x86-64 <c>syscall</c> does not read the vector-register count a variadic call also passes. On any other
/// architecture the libc wrappers are used.
/// <para>None of these declarations asks the marshaller for the last error. With <c>SetLastError</c>, each
/// call would clear errno before and copy it after, through two more native calls and a thread-static
/// write — made at every message to learn nothing, since a call that succeeded leaves errno meaningless. The
/// callers read errno with <see cref="Marshal.GetLastSystemError"/> only after a negative result, as the
/// marshaller's own generated code reads it after the call: the runtime keeps errno across the return
/// from native code.</para>
/// </remarks>
internal static unsafe partial class Libc
{
    [LibraryImport(Library, EntryPoint = "syscall")]
    internal static partial nint syscall6(nint number, nint arg1, nint arg2, nint arg3, nint arg4, nint arg5, nint arg6);

    /// <summary><c>io_uring_setup</c>: one number on every architecture (the io_uring calls came after
    /// the tables were unified).</summary>
    internal const nint SysIoUringSetup = 425;

    /// <summary><c>io_uring_enter</c>.</summary>
    internal const nint SysIoUringEnter = 426;

    /// <summary><c>sendto</c>.</summary>
    internal static nint SendTo(int fd, byte* buffer, nint length, int flags, byte* address, int addressLength) =>
        DirectCalls.SendTo != 0
            ? syscall6(DirectCalls.SendTo, fd, (nint)buffer, length, flags, (nint)address, addressLength)
            : sendto(fd, buffer, length, flags, address, addressLength);

    /// <summary><c>recvfrom</c>; <c>recv</c> when <paramref name="address"/> is null.</summary>
    internal static nint ReceiveFrom(int fd, byte* buffer, nint length, int flags, byte* address, int* addressLength) =>
        DirectCalls.ReceiveFrom != 0
            ? syscall6(DirectCalls.ReceiveFrom, fd, (nint)buffer, length, flags, (nint)address, (nint)addressLength)
            : recvfrom(fd, buffer, length, flags, address, addressLength);

    /// <summary><c>recvmsg</c>.</summary>
    internal static nint ReceiveMessage(int fd, MessageHeader* message, int flags) =>
        DirectCalls.ReceiveMessage != 0
            ? syscall6(DirectCalls.ReceiveMessage, fd, (nint)message, flags, 0, 0, 0)
            : recvmsg(fd, message, flags);

    /// <summary>The system call numbers of this architecture, or 0 where they are not known here. Read-only
    /// statics, so the JIT folds the choice away.</summary>
    private static class DirectCalls
    {
        internal static readonly nint SendTo = Number(x64: 44, arm64: 206);
        internal static readonly nint ReceiveFrom = Number(x64: 45, arm64: 207);
        internal static readonly nint ReceiveMessage = Number(x64: 47, arm64: 212);

        private static nint Number(nint x64, nint arm64) => RuntimeInformation.ProcessArchitecture switch
        {
            Architecture.X64 => x64,
            Architecture.Arm64 => arm64,
            _ => 0,
        };
    }
}
