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

    /// <summary>The clock; the testing package substitutes a virtual one.</summary>
    internal LoopClock? Clock { get; init; }

    /// <summary>Makes the reactor; the Linux epoll reactor when null.</summary>
    internal Func<IReactor>? ReactorFactory { get; init; }

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
