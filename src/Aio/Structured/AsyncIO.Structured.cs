using System.Runtime.ExceptionServices;

namespace Aio;

public static partial class AsyncIO
{
    /// <summary>
    /// Runs <paramref name="body"/> with a new <see cref="Aio.TaskGroup"/> and waits for every task it
    /// starts; asyncio's <c>async with TaskGroup() as tg:</c>. The first failing task cancels the others
    /// and the body; the group then throws an <see cref="AggregateException"/> with every error.
    /// </summary>
    /// <param name="body">The block; it receives the group.</param>
    /// <returns>A coroutine; a cancellation point.</returns>
    /// <exception cref="AggregateException">Tasks of the group (or the body) failed.</exception>
    /// <exception cref="InvalidOperationException">Not called inside a task.</exception>
    /// <remarks>A delegate rather than <c>await using</c>, because only a delegate lets the group see
    /// the body's exception and tell failure from success.</remarks>
    public static async Coroutine TaskGroup(Func<TaskGroup, Coroutine> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        var group = new TaskGroup(GetRunningLoop());
        group.Enter();
        Exception? error = null;
        try
        {
            await body(group);
        }
        catch (Exception ex)
        {
            error = ex;
        }

        await group.ExitAsync(error);
    }

    /// <summary>Runs <paramref name="body"/> with a new task group and returns its result once every task
    /// of the group has finished; see <see cref="TaskGroup(Func{TaskGroup, Coroutine})"/>.</summary>
    /// <typeparam name="T">The type of the result.</typeparam>
    /// <param name="body">The block; it receives the group.</param>
    /// <returns>The body's result (default when the group was cancelled with <see cref="Aio.TaskGroup.Cancel"/>).</returns>
    /// <exception cref="AggregateException">Tasks of the group (or the body) failed.</exception>
    public static async Coroutine<T> TaskGroup<T>(Func<TaskGroup, Coroutine<T>> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        var group = new TaskGroup(GetRunningLoop());
        group.Enter();
        Exception? error = null;
        T result = default!;
        try
        {
            result = await body(group);
        }
        catch (Exception ex)
        {
            error = ex;
        }

        await group.ExitAsync(error);
        return result;
    }

    /// <summary>
    /// Runs <paramref name="body"/> with a deadline <paramref name="delay"/> seconds from now; asyncio's
    /// <c>async with timeout(delay):</c>. At the deadline the body is cancelled; the scope then throws
    /// <see cref="TimeoutException"/> (unless the body caught the cancellation and finished normally).
    /// </summary>
    /// <param name="delay">Seconds; null for no deadline (it can be set later with
    /// <see cref="TimeoutScope.Reschedule"/>).</param>
    /// <param name="body">The block; it receives the scope.</param>
    /// <returns>A coroutine; a cancellation point.</returns>
    /// <exception cref="TimeoutException">The deadline passed.</exception>
    /// <exception cref="InvalidOperationException">Not called inside a task.</exception>
    /// <remarks>A delegate rather than <c>await using</c>, because only a delegate lets the scope see the
    /// body's exception and turn its own cancellation into a timeout.</remarks>
    public static Coroutine Timeout(double? delay, Func<TimeoutScope, Coroutine> body) =>
        TimeoutCore(AfterDelay(delay), body);

    /// <summary>Runs <paramref name="body"/> with a deadline <paramref name="delay"/> from now.</summary>
    /// <param name="delay">The delay.</param>
    /// <param name="body">The block; it receives the scope.</param>
    /// <returns>A coroutine; a cancellation point.</returns>
    /// <exception cref="TimeoutException">The deadline passed.</exception>
    public static Coroutine Timeout(TimeSpan delay, Func<TimeoutScope, Coroutine> body) =>
        TimeoutCore(GetRunningLoop().Clock.Now + Durations.ToNanoseconds(delay), body);

    /// <summary>Runs <paramref name="body"/> with a deadline and returns its result; see
    /// <see cref="Timeout(double?, Func{TimeoutScope, Coroutine})"/>.</summary>
    /// <typeparam name="T">The type of the result.</typeparam>
    /// <param name="delay">Seconds; null for no deadline.</param>
    /// <param name="body">The block; it receives the scope.</param>
    /// <returns>The body's result.</returns>
    /// <exception cref="TimeoutException">The deadline passed.</exception>
    public static Coroutine<T> Timeout<T>(double? delay, Func<TimeoutScope, Coroutine<T>> body) =>
        TimeoutCore(AfterDelay(delay), body);

    /// <summary>Runs <paramref name="body"/> with a deadline at loop time <paramref name="when"/>;
    /// asyncio's <c>timeout_at()</c>.</summary>
    /// <param name="when">The deadline in loop seconds (see <see cref="EventLoop.Time"/>); null for none.</param>
    /// <param name="body">The block; it receives the scope.</param>
    /// <returns>A coroutine; a cancellation point.</returns>
    /// <exception cref="TimeoutException">The deadline passed.</exception>
    public static Coroutine TimeoutAt(double? when, Func<TimeoutScope, Coroutine> body) =>
        TimeoutCore(when is null ? null : Durations.ToNanoseconds(when.Value), body);

    /// <summary>Runs <paramref name="body"/> with a deadline at loop time <paramref name="when"/> and
    /// returns its result.</summary>
    /// <typeparam name="T">The type of the result.</typeparam>
    /// <param name="when">The deadline in loop seconds; null for none.</param>
    /// <param name="body">The block; it receives the scope.</param>
    /// <returns>The body's result.</returns>
    /// <exception cref="TimeoutException">The deadline passed.</exception>
    public static Coroutine<T> TimeoutAt<T>(double? when, Func<TimeoutScope, Coroutine<T>> body) =>
        TimeoutCore(when is null ? null : Durations.ToNanoseconds(when.Value), body);

    private static long? AfterDelay(double? delay) =>
        delay is null ? null : GetRunningLoop().Clock.Now + Durations.ToNanoseconds(delay.Value);

    private static async Coroutine TimeoutCore(long? when, Func<TimeoutScope, Coroutine> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        var scope = new TimeoutScope(GetRunningLoop(), when);
        scope.Enter();
        try
        {
            await body(scope);
        }
        catch (Exception ex)
        {
            if (scope.ExitWithException(ex) is { } timeout)
            {
                throw timeout;
            }

            ExceptionDispatchInfo.Throw(ex);
        }

        scope.ExitNormally();
    }

    private static async Coroutine<T> TimeoutCore<T>(long? when, Func<TimeoutScope, Coroutine<T>> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        var scope = new TimeoutScope(GetRunningLoop(), when);
        scope.Enter();
        T result;
        try
        {
            result = await body(scope);
        }
        catch (Exception ex)
        {
            if (scope.ExitWithException(ex) is { } timeout)
            {
                throw timeout;
            }

            ExceptionDispatchInfo.Throw(ex);
            throw;
        }

        scope.ExitNormally();
        return result;
    }
}
