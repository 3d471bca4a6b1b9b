using System.Runtime.InteropServices;
using Aio.Reactor;

namespace Aio.Net;

/// <summary>The exceptions of pipe transports. A pipe's errors are <see cref="IOException"/>s whose
/// <see cref="Exception.HResult"/> is the errno, as .NET's own file and pipe streams report them on
/// Unix; asyncio raises <c>BrokenPipeError</c> and its kin.</summary>
internal static class PipeErrors
{
    /// <summary>The process at the other end closed its side of the pipe (EPIPE).</summary>
    internal static IOException BrokenPipe() => FromErrno(Libc.EPIPE);

    /// <summary>The error a failed <c>read</c> or <c>write</c> reported.</summary>
    internal static IOException FromErrno(int errno) => new(Marshal.GetPInvokeErrorMessage(errno), errno);
}
