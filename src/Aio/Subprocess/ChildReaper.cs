using System.ComponentModel;
using System.Runtime.InteropServices;
using Aio.Reactor;

namespace Aio.Subprocess;

/// <summary>
/// Collects a child's exit status — reaping it, so that no zombie is left — and turns it into asyncio's
/// return code: the exit code, or the negated number of the signal that killed it.
/// </summary>
/// <remarks>
/// <para>With a pidfd, <c>waitid(P_PIDFD)</c> (Linux 5.4) waits for exactly that process: even if its
/// number were reused, the call cannot reach another one. Without (Linux 5.3, or no pidfd at all),
/// <c>waitpid(pid)</c> is just as exact as long as nobody else reaps the child, since a number is not
/// reused before its process is reaped.</para>
/// <para>Somebody else may reap it: a SIGCHLD handler that calls <c>waitpid(-1)</c>. .NET's own handler
/// does that when the process started with SIGCHLD ignored, or runs as pid 1 (in a container). The wait
/// then fails with ECHILD. Linux 6.15 keeps the status for the pidfd's holder (<c>PIDFD_GET_INFO</c> with
/// <c>PIDFD_INFO_EXIT</c>), so it is still exact there; before, the status is lost and the return code is
/// 255, as asyncio's child watchers report it.</para>
/// </remarks>
internal static unsafe class ChildReaper
{
    /// <summary>What asyncio reports when a child's status was taken by someone else.</summary>
    internal const int UnknownReturnCode = 255;

    private static bool s_noWaitidPidfd;

    /// <summary>Reaps the child if it has exited.</summary>
    /// <param name="pidfd">The child's pidfd, or -1.</param>
    /// <param name="pid">The child's process id.</param>
    /// <param name="block">Whether to wait until it exits.</param>
    /// <param name="returnCode">The exit code, or the negated signal number; 255 when lost.</param>
    /// <param name="statusLost">Whether someone else reaped it and its status could not be recovered.</param>
    /// <returns>False while it runs (only when not blocking).</returns>
    internal static bool TryReap(int pidfd, int pid, bool block, out int returnCode, out bool statusLost)
    {
        returnCode = 0;
        statusLost = false;
        if (pidfd >= 0 && !s_noWaitidPidfd)
        {
            byte* info = stackalloc byte[Libc.SiginfoSize];
            int options = Libc.WEXITED | (block ? 0 : Libc.WNOHANG);
            while (true)
            {
                new Span<byte>(info, Libc.SiginfoSize).Clear();
                if (Libc.waitid(Libc.P_PIDFD, pidfd, info, options) == 0)
                {
                    // siginfo_t on 64-bit Linux: si_code at 8; si_pid at 16 (0: not exited yet), si_status at 24.
                    if (*(int*)(info + 16) == 0)
                    {
                        return false;
                    }

                    int code = *(int*)(info + 8);
                    int status = *(int*)(info + 24);
                    returnCode = code == Libc.CLD_EXITED ? status : -status;
                    return true;
                }

                int errno = Marshal.GetLastPInvokeError();
                if (errno == Libc.EINTR)
                {
                    continue;
                }

                if (errno == Libc.ECHILD)
                {
                    return Recover(pidfd, out returnCode, out statusLost);
                }

                if (errno == Libc.EINVAL)
                {
                    // Linux 5.3 has pidfd_open but not P_PIDFD: wait by number instead.
                    s_noWaitidPidfd = true;
                    break;
                }

                throw new Win32Exception(errno, $"waitid(pid {pid}) failed");
            }
        }

        int raw;
        while (true)
        {
            int reaped = Libc.waitpid(pid, &raw, block ? 0 : Libc.WNOHANG);
            if (reaped == pid)
            {
                returnCode = Decode(raw);
                return true;
            }

            if (reaped == 0)
            {
                return false;
            }

            int errno = Marshal.GetLastPInvokeError();
            if (errno == Libc.EINTR)
            {
                continue;
            }

            if (errno == Libc.ECHILD)
            {
                return Recover(pidfd, out returnCode, out statusLost);
            }

            throw new Win32Exception(errno, $"waitpid({pid}) failed");
        }
    }

    /// <summary>Someone else reaped the child: asks the pidfd for the status it kept (Linux 6.15).</summary>
    private static bool Recover(int pidfd, out int returnCode, out bool statusLost)
    {
        if (pidfd >= 0)
        {
            // struct pidfd_info, first version: mask at 0 (what to fill in, then what was), exit_code at 60.
            byte* info = stackalloc byte[64];
            new Span<byte>(info, 64).Clear();
            *(ulong*)info = Libc.PIDFD_INFO_EXIT;
            if (Libc.ioctl(pidfd, Libc.PIDFD_GET_INFO, info) == 0 && (*(ulong*)info & Libc.PIDFD_INFO_EXIT) != 0)
            {
                returnCode = Decode(*(int*)(info + 60));
                statusLost = false;
                return true;
            }
        }

        returnCode = UnknownReturnCode;
        statusLost = true;
        return true;
    }

    /// <summary>A <c>wait</c> status as asyncio's return code: <c>WEXITSTATUS</c>, or <c>-WTERMSIG</c>.</summary>
    internal static int Decode(int status) => (status & 0x7F) == 0 ? (status >> 8) & 0xFF : -(status & 0x7F);
}
