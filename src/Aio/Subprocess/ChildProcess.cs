using System.ComponentModel;
using System.Runtime.InteropServices;
using Aio.Reactor;
using Microsoft.Extensions.Logging;

namespace Aio.Subprocess;

/// <summary>
/// The operating system's side of one child: its process id, the pidfd that tells the reactor when it
/// exits, reaping, and signals.
/// </summary>
/// <remarks>
/// <para>A pidfd (<c>pidfd_open</c>, Linux 5.3) becomes readable when its process exits: it is one more
/// reactor source, so an exit wakes the loop like any other readiness, and no thread waits for it. Where
/// the kernel or a seccomp filter refuses pidfds (Docker's default profile before 20.10 did), the loop's
/// <see cref="ChildWatcher"/> polls the child with <c>waitpid</c> whenever SIGCHLD arrives.</para>
/// <para>Signals go through the pidfd (<c>pidfd_send_signal</c>), so they can never reach another process
/// that took the number; after the child is reaped, nothing is sent at all.</para>
/// </remarks>
internal sealed class ChildProcess
{
    private static readonly Action<object?, object?> s_poll = static (c, _) => ((ChildProcess)c!).Poll();

    /// <summary>Set once pidfd_open failed with ENOSYS or EPERM: the process's later children go straight
    /// to the fallback.</summary>
    private static bool s_pidfdUnavailable;

    private readonly EventLoop _loop;
    private readonly Action _onExited;
    private PidfdSource? _source;
    private int _pidfd = -1;
    private bool _pollScheduled;

    internal ChildProcess(EventLoop loop, int pid, Action onExited)
    {
        _loop = loop;
        Pid = pid;
        _onExited = onExited;
    }

    /// <summary>The process id.</summary>
    internal int Pid { get; }

    /// <summary>Null until the child is reaped; then its exit code, or the negated signal number.</summary>
    internal int? ReturnCode { get; private set; }

    /// <summary>Whether the loop's watcher polls this child on SIGCHLD (no pidfd).</summary>
    internal bool IsPolled { get; private set; }

    /// <summary>Starts watching for the exit: a pidfd registered with the reactor, or the fallback.</summary>
    internal void StartWatching()
    {
        if (!s_pidfdUnavailable && !ChildWatcher.PidfdDisabled)
        {
            nint fd = Libc.syscall(Libc.SYS_pidfd_open, Pid, 0, 0, 0);
            if (fd >= 0)
            {
                _pidfd = (int)fd;
                _source = new PidfdSource(this, _pidfd);
                _loop.RegisterSource(_source);
                _loop.Children.Add(this);
                return;
            }

            int errno = Marshal.GetLastPInvokeError();
            if (errno is Libc.ENOSYS or Libc.EPERM)
            {
                s_pidfdUnavailable = true;
            }

            // Otherwise (out of descriptors, or ESRCH: somebody already reaped it) the fallback copes too.
        }

        IsPolled = true;
        _loop.Children.Add(this);

        // It may have exited before the watcher's SIGCHLD handler was in place.
        SchedulePoll();
    }

    /// <summary>Reaps the child if it exited (from the reactor's or the watcher's wake-up).</summary>
    internal void Poll()
    {
        _pollScheduled = false;
        if (ReturnCode is null && ChildReaper.TryReap(_pidfd, Pid, block: false, out int returnCode, out bool lost))
        {
            Exited(returnCode, lost);
        }
    }

    private void SchedulePoll()
    {
        if (!_pollScheduled)
        {
            _pollScheduled = true;
            _loop.Ready.Enqueue(s_poll, this, null);
        }
    }

    private void Exited(int returnCode, bool statusLost)
    {
        ReturnCode = returnCode;
        ReleasePidfd();
        _loop.Children.Remove(this);
        if (statusLost)
        {
            _loop.CallExceptionHandler(new LoopExceptionContext(
                $"Child process {Pid} was reaped by someone else (a SIGCHLD handler calling waitpid(-1)); its exit status is unknown, reporting {ChildReaper.UnknownReturnCode}.")
            {
                Level = LogLevel.Warning,
            });
        }

        _onExited();
    }

    private void ReleasePidfd()
    {
        if (_source is not null)
        {
            _loop.DeregisterSource(_source);
            _source = null;
        }

        if (_pidfd >= 0)
        {
            Libc.close(_pidfd);
            _pidfd = -1;
        }
    }

    /// <summary>Sends <paramref name="signal"/> to the child; nothing once it was reaped.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Not a signal number.</exception>
    /// <exception cref="Win32Exception">The system refused (EPERM).</exception>
    internal void SendSignal(int signal)
    {
        if (ReturnCode is not null)
        {
            // Reaped: the number may belong to another process by now.
            return;
        }

        int errno;
        if (_pidfd >= 0)
        {
            if (Libc.syscall(Libc.SYS_pidfd_send_signal, _pidfd, signal, 0, 0) == 0)
            {
                return;
            }

            errno = Marshal.GetLastPInvokeError();
            if (errno != Libc.ENOSYS && errno != Libc.EPERM)
            {
                OnSignalError(errno, signal);
                return;
            }

            // A seccomp filter that knows pidfd_open but not pidfd_send_signal: the child is not reaped,
            // so its number is still its own.
        }

        if (Libc.kill(Pid, signal) != 0)
        {
            OnSignalError(Marshal.GetLastPInvokeError(), signal);
        }
    }

    private void OnSignalError(int errno, int signal)
    {
        switch (errno)
        {
            case Libc.ESRCH:
                // Exited and about to be reaped: nothing to signal, as Python's Popen.send_signal.
                return;
            case Libc.EINVAL:
                throw new ArgumentOutOfRangeException(nameof(signal), signal, "Not a signal number.");
            default:
                throw new Win32Exception(errno, $"Cannot send signal {signal} to process {Pid}");
        }
    }

    /// <summary>The loop closes while the child runs: kill it, and reap it on a pool thread, so that
    /// neither a process nor a zombie is left behind and the close does not wait.</summary>
    internal void AbandonOnLoopClose()
    {
        if (ReturnCode is not null)
        {
            return;
        }

        try
        {
            SendSignal(Libc.SIGKILL);
        }
        catch (Win32Exception)
        {
            // Not ours to kill after all (it changed its credentials): still reap it below.
        }

        if (_source is not null)
        {
            _loop.DeregisterSource(_source);
            _source = null;
        }

        (int pidfd, int pid) = (_pidfd, Pid);
        _pidfd = -1;
        ThreadPool.UnsafeQueueUserWorkItem(static state =>
        {
            try
            {
                ChildReaper.TryReap(state.Pidfd, state.Pid, block: true, out _, out _);
            }
            catch (Win32Exception)
            {
                // Nothing left to do for it: this only keeps a zombie from staying.
            }
            finally
            {
                if (state.Pidfd >= 0)
                {
                    Libc.close(state.Pidfd);
                }
            }
        }, (Pidfd: pidfd, Pid: pid), preferLocal: false);
    }

    /// <inheritdoc/>
    public override string ToString() => $"pid {Pid}";

    /// <summary>The pidfd's registration with the reactor: readable once the process exits.</summary>
    private sealed class PidfdSource(ChildProcess child, int fd) : IoSource(child._loop, fd)
    {
        internal override void OnReady(IoInterest ready) => child.SchedulePoll();

        public override string ToString() => $"pidfd of process {child.Pid}";
    }
}
