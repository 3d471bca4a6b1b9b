namespace Aio.Testing;

/// <summary>
/// Runs code on an event loop whose clock is virtual: it starts at zero, and when every task waits and
/// only timers are left, it jumps straight to the next deadline instead of the loop sleeping — Trio's
/// autojump clock, Tokio's paused time. A test of a one-hour timeout finishes in milliseconds, and, with
/// no other thread involved, takes the same steps in the same order on every run.
/// </summary>
/// <remarks>
/// <para>The clock does not jump while work submitted to an executor (<see cref="AsyncIO.ToThread{T}(Func{T})"/>,
/// <see cref="EventLoop.RunInExecutor{T}(IExecutor?, Func{T})"/>) is still running: it follows the wall
/// clock until the work comes back, so a timeout around slow work fires when it would for real. .NET tasks
/// awaited directly are invisible to the loop; see <see cref="VirtualTimeOptions.AutoAdvanceThreshold"/>.</para>
/// <para>Like <see cref="AsyncIO.Run(Coroutine, EventLoopOptions?)"/>, the Run methods start a loop on the
/// calling thread and must not be called from a running loop.</para>
/// </remarks>
/// <example>
/// <code>
/// [Fact]
/// public void WaitFor_SlowWork_TimesOutAfterAnHour() => VirtualTime.Run(async () =>
/// {
///     EventLoop loop = AsyncIO.GetRunningLoop();
///     await Assert.ThrowsAsync&lt;TimeoutException&gt;(async () => await AsyncIO.WaitFor(Slow(), timeout: 3600));
///     Assert.Equal(3600, loop.Time()); // after a few milliseconds of wall time
/// });
///
/// static async Coroutine Slow() => await AsyncIO.Sleep(7200);
/// </code>
/// </example>
public static class VirtualTime
{
    /// <summary>
    /// Runs <paramref name="main"/> on a new loop on virtual time until it finishes, then shuts the loop
    /// down as <see cref="AsyncIO.Run(Coroutine, EventLoopOptions?)"/> does, and rethrows what
    /// <paramref name="main"/> threw.
    /// </summary>
    /// <param name="main">The main coroutine, not yet started.</param>
    /// <param name="options">Virtual time settings; null for the defaults.</param>
    /// <exception cref="ShuffleSeedException"><paramref name="main"/> failed while
    /// <see cref="VirtualTimeOptions.ShuffleSeed"/> was set; the original exception is inside.</exception>
    /// <exception cref="InvalidOperationException">A loop is already running on this thread.</exception>
    public static void Run(Coroutine main, VirtualTimeOptions? options = null) =>
        Guard<object?>(options, loopOptions =>
        {
            AsyncIO.Run(main, loopOptions);
            return null;
        });

    /// <summary>Runs <paramref name="main"/> on a new loop on virtual time and returns its result; see
    /// <see cref="Run(Coroutine, VirtualTimeOptions?)"/>.</summary>
    /// <typeparam name="T">The type of the result.</typeparam>
    /// <param name="main">The main coroutine, not yet started.</param>
    /// <param name="options">Virtual time settings; null for the defaults.</param>
    /// <returns>The main coroutine's result.</returns>
    /// <exception cref="ShuffleSeedException"><paramref name="main"/> failed under a shuffle seed.</exception>
    /// <exception cref="InvalidOperationException">A loop is already running on this thread.</exception>
    public static T Run<T>(Coroutine<T> main, VirtualTimeOptions? options = null) =>
        Guard(options, loopOptions => AsyncIO.Run(main, loopOptions));

    /// <summary>Runs an ordinary <c>async</c> delegate as the main task of a new loop on virtual time; see
    /// <see cref="Run(Coroutine, VirtualTimeOptions?)"/>. The one-line form for a test body:
    /// <c>VirtualTime.Run(async () =&gt; { ... })</c>.</summary>
    /// <param name="main">The delegate; called on the loop thread.</param>
    /// <param name="options">Virtual time settings; null for the defaults.</param>
    /// <exception cref="ShuffleSeedException"><paramref name="main"/> failed under a shuffle seed.</exception>
    /// <exception cref="InvalidOperationException">A loop is already running on this thread.</exception>
    public static void Run(Func<Task> main, VirtualTimeOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(main);
        Guard<object?>(options, loopOptions =>
        {
            AsyncIO.Run(main, loopOptions);
            return null;
        });
    }

    /// <summary>Runs an ordinary <c>async</c> delegate with a result as the main task of a new loop on
    /// virtual time, and returns the result.</summary>
    /// <typeparam name="T">The type of the result.</typeparam>
    /// <param name="main">The delegate; called on the loop thread.</param>
    /// <param name="options">Virtual time settings; null for the defaults.</param>
    /// <returns>The delegate's result.</returns>
    /// <exception cref="ShuffleSeedException"><paramref name="main"/> failed under a shuffle seed.</exception>
    /// <exception cref="InvalidOperationException">A loop is already running on this thread.</exception>
    public static T Run<T>(Func<Task<T>> main, VirtualTimeOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(main);
        return Guard(options, loopOptions => AsyncIO.Run(main, loopOptions));
    }

    /// <summary>
    /// Loop settings that put every loop created with them on its own virtual clock: pass them to
    /// <c>new EventLoop(...)</c>, to <see cref="AsyncIO.Run(Coroutine, EventLoopOptions?)"/>, or to a test
    /// helper that creates its loop itself. Each loop gets a fresh clock (starting at zero) and, with
    /// <see cref="VirtualTimeOptions.ShuffleSeed"/>, a fresh generator with that seed.
    /// </summary>
    /// <param name="options">Virtual time settings; null for the defaults.</param>
    /// <returns>A copy of <see cref="VirtualTimeOptions.Loop"/> (or of the defaults) on virtual time.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><see cref="VirtualTimeOptions.AutoAdvanceThreshold"/> is
    /// negative (other than <see cref="Timeout.InfiniteTimeSpan"/>).</exception>
    public static EventLoopOptions CreateLoopOptions(VirtualTimeOptions? options = null)
    {
        TimeSpan threshold = options?.AutoAdvanceThreshold ?? TimeSpan.Zero;
        if (threshold < TimeSpan.Zero && threshold != Timeout.InfiniteTimeSpan)
        {
            throw new ArgumentOutOfRangeException(nameof(options), threshold, "AutoAdvanceThreshold must not be negative (except Timeout.InfiniteTimeSpan).");
        }

        long thresholdNanoseconds = threshold == Timeout.InfiniteTimeSpan ? -1 : Durations.ToNanoseconds(threshold);
        int? seed = options?.ShuffleSeed;
        EventLoopOptions baseOptions = options?.Loop ?? new EventLoopOptions();
        return baseOptions.WithDriver(loop => new VirtualTimeDriver(loop, thresholdNanoseconds, seed));
    }

    /// <summary>Whether <paramref name="loop"/> runs on virtual time.</summary>
    /// <param name="loop">The loop.</param>
    /// <returns>True for a loop created with <see cref="CreateLoopOptions"/> (or by a Run method here).</returns>
    public static bool IsVirtual(EventLoop loop)
    {
        ArgumentNullException.ThrowIfNull(loop);
        return loop.Clock is VirtualClock;
    }

    /// <summary>The running loop's virtual time: how far its clock has moved since it started at zero. The
    /// same instant as <see cref="EventLoop.Time"/>, as a <see cref="TimeSpan"/>.</summary>
    /// <exception cref="InvalidOperationException">No loop runs on this thread, or it is not on virtual time.</exception>
    public static TimeSpan Now => TimeSpan.FromTicks(ClockOf(AsyncIO.GetRunningLoop()).Now / 100);

    /// <summary>
    /// Moves the running loop's clock forward by <paramref name="by"/> at once, as if that much time had
    /// passed while the loop was stuck; Trio's <c>MockClock.jump</c>. Timers that became due fire, late, on
    /// a following iteration, after the callbacks already ready; <see cref="AdvanceAsync"/> waits for them.
    /// </summary>
    /// <param name="by">How far; zero or more.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="by"/> is negative: virtual time never
    /// goes backwards.</exception>
    /// <exception cref="InvalidOperationException">No loop runs on this thread, or it is not on virtual time.</exception>
    /// <remarks>Never suspends. With automatic advance on, <c>await AsyncIO.Sleep(by)</c> is often what a
    /// test means instead: the same time passes, and each timer fires at its own deadline.</remarks>
    public static void Advance(TimeSpan by) => Advance(AsyncIO.GetRunningLoop(), by);

    /// <summary>
    /// Moves the running loop's clock forward by <paramref name="by"/> (see <see cref="Advance(TimeSpan)"/>),
    /// then waits until every timer due by the new time has fired and the tasks those timers woke have
    /// taken their next step.
    /// </summary>
    /// <param name="by">How far; zero or more.</param>
    /// <returns>A coroutine; await it (nothing happens until then).</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="by"/> is negative.</exception>
    /// <exception cref="InvalidOperationException">No loop runs on this thread, or it is not on virtual time.</exception>
    /// <remarks>A cancellation point.</remarks>
    public static async Coroutine AdvanceAsync(TimeSpan by)
    {
        EventLoop loop = AsyncIO.GetRunningLoop();
        Advance(loop, by);

        // Timers fire by deadline, equal deadlines in scheduling order, so a timer at "now" (a zero delay)
        // fires after every timer that came due; whatever they woke runs in that same iteration, before
        // this coroutine resumes on the next one.
        Future<bool> marker = loop.CreateFuture<bool>();
        TimerHandle timer = loop.CallLater(0, static f => ((Future<bool>)f!).TrySetResult(true), marker);
        try
        {
            await marker;
        }
        finally
        {
            timer.Cancel();
        }
    }

    /// <summary>Moves <paramref name="loop"/>'s clock forward by <paramref name="by"/>; see
    /// <see cref="Advance(TimeSpan)"/>.</summary>
    /// <param name="loop">A loop on virtual time.</param>
    /// <param name="by">How far; zero or more.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="by"/> is negative.</exception>
    /// <exception cref="InvalidOperationException"><paramref name="loop"/> is not on virtual time, or runs on
    /// another thread.</exception>
    /// <remarks>Loop thread only while the loop runs; any thread while it does not.</remarks>
    public static void Advance(EventLoop loop, TimeSpan by)
    {
        ArgumentNullException.ThrowIfNull(loop);
        ArgumentOutOfRangeException.ThrowIfLessThan(by, TimeSpan.Zero);
        VirtualClock clock = ClockOf(loop);
        loop.CheckThread();
        clock.AdvanceBy(Durations.ToNanoseconds(by));
    }

    private static VirtualClock ClockOf(EventLoop loop) =>
        loop.Clock as VirtualClock
        ?? throw new InvalidOperationException("This event loop is not on virtual time: create it with VirtualTime.CreateLoopOptions, or run the code with VirtualTime.Run.");

    /// <summary>Runs <paramref name="run"/> on options for virtual time, naming the shuffle seed in any failure.</summary>
    private static T Guard<T>(VirtualTimeOptions? options, Func<EventLoopOptions, T> run)
    {
        EventLoopOptions loopOptions = CreateLoopOptions(options);
        if (options?.ShuffleSeed is not int seed)
        {
            return run(loopOptions);
        }

        try
        {
            return run(loopOptions);
        }
        catch (Exception ex)
        {
            throw new ShuffleSeedException(seed, ex);
        }
    }
}
