using Aio.Reactor;
using Microsoft.Extensions.Logging;

namespace Aio;

/// <summary>Settings of an <see cref="EventLoop"/> (and of <see cref="AsyncIO.Run(Coroutine, EventLoopOptions?)"/>).</summary>
public sealed class EventLoopOptions
{
    internal static readonly EventLoopOptions Default = new();

    /// <summary>Where the default exception handler logs; standard error when null.</summary>
    public ILogger? Logger { get; init; }

    /// <summary>How long <see cref="AsyncIO.Run(Coroutine, EventLoopOptions?)"/> waits, at the end, for work
    /// still running in the default executor; asyncio waits 300 seconds.</summary>
    public TimeSpan ExecutorShutdownTimeout { get; init; } = TimeSpan.FromSeconds(300);

    /// <summary>Whether <see cref="AsyncIO.Run(Coroutine, EventLoopOptions?)"/> turns the first Ctrl+C
    /// (SIGINT) into cancelling the main task, as asyncio 3.11+ does. A second Ctrl+C terminates the
    /// process. Ignored when the loop has its own SIGINT handler.</summary>
    public bool HandleInterrupt { get; init; } = true;

    /// <summary>
    /// Debug mode, asyncio's <c>debug=True</c>: callbacks and task steps that hold the loop longer than
    /// <see cref="SlowCallbackThreshold"/> are reported, tasks and futures remember where they were created
    /// (for the reports about exceptions never retrieved and coroutines never awaited), loop members check
    /// their thread even while the loop is stopped, and resources still open when the loop closes are
    /// reported. Null (the default) follows the <c>AIO_DEBUG</c> environment variable, as asyncio follows
    /// <c>PYTHONASYNCIODEBUG</c>: any value but empty, <c>0</c> or <c>false</c> turns it on.
    /// </summary>
    /// <remarks>Debug mode makes every task creation capture a stack trace and every callback read the
    /// clock twice; leave it off in production. Switch it later with <see cref="EventLoop.Debug"/>.</remarks>
    public bool? Debug { get; init; }

    /// <summary>How long a callback or task step may hold the loop before debug mode reports it (and the
    /// slow-callback counter of <see cref="Diagnostics.LoopMetrics"/> counts it); asyncio's
    /// <c>slow_callback_duration</c>, 100 ms by default.</summary>
    public TimeSpan SlowCallbackThreshold { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// A signal that makes the loop write its task tree (<see cref="EventLoop.CaptureTaskTree()"/>) to standard
    /// error, like <c>python -m asyncio pstree</c> run against the process; null (the default) for none.
    /// <c>PosixSignal.SIGQUIT</c> (Ctrl+\ in a terminal) or SIGUSR1 (<c>(PosixSignal)10</c> on Linux) are
    /// the usual choices. The signal's default action is suppressed while the loop is open.
    /// </summary>
    /// <remarks>When the loop does not answer within a second — it is blocked — the dump is taken from the
    /// signal thread anyway, names the task that is running, and says that it may be inconsistent.</remarks>
    public System.Runtime.InteropServices.PosixSignal? TaskTreeSignal { get; init; }

    /// <summary>The clock; the testing package substitutes a virtual one.</summary>
    internal LoopClock? Clock { get; init; }

    /// <summary>Makes the reactor; the Linux epoll reactor when null.</summary>
    internal Func<IReactor>? ReactorFactory { get; init; }

    /// <summary>
    /// Whether the loop hands stream-socket receives that must wait (<c>sock_recv</c>,
    /// <c>sock_recv_into</c>) to the kernel through io_uring, where Linux offers it (6.1 or later, not
    /// switched off, not refused by a seccomp filter): the kernel then receives as soon as bytes arrive,
    /// and one system call per loop iteration submits and collects them all. Elsewhere, or when false,
    /// they wait for epoll to report readiness. Defaults to true unless the environment variable
    /// <c>AIO_IO_URING</c> is <c>0</c>.
    /// </summary>
    public bool UseIoUring { get; init; } = Environment.GetEnvironmentVariable("AIO_IO_URING") != "0";

    /// <summary>Makes the driver of each new loop (the testing package's virtual time); none when null.</summary>
    internal Func<EventLoop, ILoopDriver>? DriverFactory { get; private set; }

    /// <summary>A copy of these options — every setting, including ones added later — whose loops get a
    /// driver from <paramref name="driverFactory"/>.</summary>
    internal EventLoopOptions WithDriver(Func<EventLoop, ILoopDriver> driverFactory)
    {
        var copy = (EventLoopOptions)MemberwiseClone();
        copy.DriverFactory = driverFactory;
        return copy;
    }
}
