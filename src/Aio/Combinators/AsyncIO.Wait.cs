using System.Runtime.CompilerServices;

namespace Aio;

public static partial class AsyncIO
{
    /// <summary>
    /// Waits until the futures satisfy <paramref name="returnWhen"/> or <paramref name="timeout"/> seconds
    /// pass, and returns the done and pending ones; asyncio's <c>wait()</c>. Nothing is cancelled: on
    /// timeout the pending futures keep running.
    /// </summary>
    /// <typeparam name="TFuture">The type of the futures.</typeparam>
    /// <param name="futures">Futures or tasks (not coroutines: create tasks first, as asyncio requires).</param>
    /// <param name="timeout">Seconds to wait at most; null for no limit.</param>
    /// <param name="returnWhen">When to return.</param>
    /// <returns>The done and the pending futures.</returns>
    /// <exception cref="ArgumentException"><paramref name="futures"/> is empty.</exception>
    /// <remarks>A cancellation point; cancelling the waiting task does not cancel the futures.</remarks>
    public static async Coroutine<(IReadOnlySet<TFuture> Done, IReadOnlySet<TFuture> Pending)> Wait<TFuture>(
        IEnumerable<TFuture> futures,
        double? timeout = null,
        WaitMode returnWhen = WaitMode.AllCompleted)
        where TFuture : Future
    {
        ArgumentNullException.ThrowIfNull(futures);
        var set = new HashSet<TFuture>(futures, ReferenceEqualityComparer.Instance);
        if (set.Count == 0)
        {
            throw new ArgumentException("The set of futures to wait for is empty.", nameof(futures));
        }

        EventLoop loop = GetRunningLoop();
        Future<bool> release = loop.CreateFuture<bool>();
        TimerHandle timer = timeout is null ? default : loop.CallLater(timeout.Value, static r => ((Future<bool>)r!).TrySetResult(true), release);
        var waiter = new WaitWaiter(set.Count, returnWhen, release);
        foreach (TFuture future in set)
        {
            if (future.IsDone)
            {
                // As add_done_callback on a finished future: the callback is scheduled, not run here.
                loop.Ready.Enqueue(static (w, f) => ((IFutureWaiter)w!).OnCompleted((Future?)f), waiter, future);
            }
            else
            {
                future.AddWaiter(waiter);
            }
        }

        try
        {
            await release;
        }
        finally
        {
            timer.Cancel();
            foreach (TFuture future in set)
            {
                future.RemoveWaiter(waiter);
            }
        }

        var done = new HashSet<TFuture>(ReferenceEqualityComparer.Instance);
        var pending = new HashSet<TFuture>(ReferenceEqualityComparer.Instance);
        foreach (TFuture future in set)
        {
            (future.IsDone ? done : pending).Add(future);
        }

        return (done, pending);
    }

    /// <summary>
    /// Awaits <paramref name="coroutine"/> with a time limit; asyncio's <c>wait_for()</c>. When the limit
    /// passes, the coroutine is cancelled and awaited (its <c>finally</c> blocks run), then
    /// <see cref="TimeoutException"/> is thrown.
    /// </summary>
    /// <typeparam name="T">The type of the result.</typeparam>
    /// <param name="coroutine">The coroutine, not yet started; it runs inside the current task.</param>
    /// <param name="timeout">Seconds; null waits without limit; zero or less times out at once unless the
    /// work is already done.</param>
    /// <returns>The coroutine's result.</returns>
    /// <exception cref="TimeoutException">The limit passed.</exception>
    /// <remarks>A cancellation point.</remarks>
    public static async Coroutine<T> WaitFor<T>(Coroutine<T> coroutine, double? timeout)
    {
        if (timeout is null)
        {
            return await coroutine;
        }

        if (timeout <= 0)
        {
            AioTask<T> task = CreateTask(coroutine);
            await WaitForNow(task);
            return task.Result;
        }

        TimeoutScope scope = EnterTimeout(timeout.Value);
        T result;
        try
        {
            result = await coroutine;
        }
        catch (Exception ex)
        {
            throw scope.ExitWithException(ex) ?? Rethrow(ex);
        }

        scope.ExitNormally();
        return result;
    }

    /// <summary>Awaits <paramref name="coroutine"/> with a time limit; see <see cref="WaitFor{T}(Coroutine{T}, double?)"/>.</summary>
    /// <param name="coroutine">The coroutine, not yet started.</param>
    /// <param name="timeout">Seconds; null waits without limit.</param>
    /// <returns>A coroutine.</returns>
    /// <exception cref="TimeoutException">The limit passed.</exception>
    public static async Coroutine WaitFor(Coroutine coroutine, double? timeout)
    {
        if (timeout is null)
        {
            await coroutine;
            return;
        }

        if (timeout <= 0)
        {
            await WaitForNow(CreateTask(coroutine));
            return;
        }

        TimeoutScope scope = EnterTimeout(timeout.Value);
        try
        {
            await coroutine;
        }
        catch (Exception ex)
        {
            throw scope.ExitWithException(ex) ?? Rethrow(ex);
        }

        scope.ExitNormally();
    }

    /// <summary>Awaits a task or future with a time limit; on timeout it is cancelled and awaited, then
    /// <see cref="TimeoutException"/> is thrown.</summary>
    /// <typeparam name="T">The type of the result.</typeparam>
    /// <param name="task">The task.</param>
    /// <param name="timeout">Seconds; null waits without limit.</param>
    /// <returns>The result.</returns>
    /// <exception cref="TimeoutException">The limit passed.</exception>
    public static async Coroutine<T> WaitFor<T>(AioTask<T> task, double? timeout)
    {
        ArgumentNullException.ThrowIfNull(task);
        await WaitForFuture(task, timeout);
        return task.Result;
    }

    /// <summary>Awaits a future with a time limit; on timeout it is cancelled, then
    /// <see cref="TimeoutException"/> is thrown.</summary>
    /// <typeparam name="T">The type of the result.</typeparam>
    /// <param name="future">The future.</param>
    /// <param name="timeout">Seconds; null waits without limit.</param>
    /// <returns>The result.</returns>
    /// <exception cref="TimeoutException">The limit passed.</exception>
    public static async Coroutine<T> WaitFor<T>(Future<T> future, double? timeout)
    {
        ArgumentNullException.ThrowIfNull(future);
        await WaitForFuture(future, timeout);
        return future.Result;
    }

    /// <summary>Awaits any future or task with a time limit.</summary>
    /// <param name="future">The future or task.</param>
    /// <param name="timeout">Seconds; null waits without limit.</param>
    /// <returns>A coroutine.</returns>
    /// <exception cref="TimeoutException">The limit passed.</exception>
    public static Coroutine WaitFor(Future future, double? timeout)
    {
        ArgumentNullException.ThrowIfNull(future);
        return WaitForFuture(future, timeout);
    }

    private static async Coroutine WaitForFuture(Future future, double? timeout)
    {
        if (timeout is null)
        {
            await future;
            return;
        }

        if (timeout <= 0)
        {
            await WaitForNow(future);
            return;
        }

        TimeoutScope scope = EnterTimeout(timeout.Value);
        try
        {
            await future;
        }
        catch (Exception ex)
        {
            throw scope.ExitWithException(ex) ?? Rethrow(ex);
        }

        scope.ExitNormally();
    }

    /// <summary>wait_for with a timeout of zero: done means its result, anything else is cancelled,
    /// awaited, and reported as a timeout.</summary>
    private static async Coroutine WaitForNow(Future future)
    {
        if (!future.IsDone)
        {
            // asyncio's _cancel_and_wait: wait through a separate waiter, so that cancelling the caller
            // while the work winds down propagates instead of being mistaken for the work's own end.
            future.Cancel();
            await Wait([future]);
        }

        if (future.IsCancelled)
        {
            throw new TimeoutException("The operation timed out.", future.CancellationError);
        }

        future.ThrowIfNotSucceeded();
    }

    private static TimeoutScope EnterTimeout(double delay)
    {
        EventLoop loop = GetRunningLoop();
        var scope = new TimeoutScope(loop, loop.Clock.Now + Durations.ToNanoseconds(delay));
        scope.Enter();
        return scope;
    }

    private static Exception Rethrow(Exception exception)
    {
        System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(exception);
        return exception;
    }

    /// <summary>
    /// Yields the futures as they finish, fastest first; asyncio's <c>as_completed()</c> used with
    /// <c>async for</c>. With a timeout, the enumeration throws <see cref="TimeoutException"/> once the
    /// time is up; the futures not yet finished keep running.
    /// </summary>
    /// <typeparam name="TFuture">The type of the futures.</typeparam>
    /// <param name="futures">Futures or tasks.</param>
    /// <param name="timeout">Seconds for the whole enumeration; null for no limit.</param>
    /// <param name="cancellationToken">Not needed inside a task (cancelling the task stops the
    /// enumeration).</param>
    /// <returns>The futures in completion order.</returns>
    public static IAsyncEnumerable<TFuture> AsCompleted<TFuture>(
        IEnumerable<TFuture> futures,
        double? timeout = null,
        CancellationToken cancellationToken = default)
        where TFuture : Future
    {
        ArgumentNullException.ThrowIfNull(futures);
        EventLoop loop = GetRunningLoop();

        // As asyncio, the clock starts now, not at the first MoveNextAsync.
        long deadline = timeout is null ? long.MaxValue : loop.Clock.Now + Durations.ToNanoseconds(timeout.Value);
        return AsCompletedCore(loop, new AsCompletedSource<TFuture>(loop, futures), deadline, cancellationToken);
    }

    private static async IAsyncEnumerable<TFuture> AsCompletedCore<TFuture>(
        EventLoop loop,
        AsCompletedSource<TFuture> source,
        long deadline,
        [EnumeratorCancellation] CancellationToken cancellationToken)
        where TFuture : Future
    {
        try
        {
            while (source.Remaining > 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (!source.TryTake(out TFuture next))
                {
                    Future<bool> signal = source.NextSignal();
                    if (deadline == long.MaxValue)
                    {
                        await signal;
                    }
                    else
                    {
                        long left = deadline - loop.Clock.Now;
                        if (left <= 0)
                        {
                            throw new TimeoutException("as_completed timed out.");
                        }

                        var (done, _) = await Wait([signal], left / 1e9);
                        if (done.Count == 0)
                        {
                            throw new TimeoutException("as_completed timed out.");
                        }
                    }

                    continue;
                }

                yield return next;
            }
        }
        finally
        {
            source.Detach();
        }
    }

    /// <summary>Runs every coroutine as a task and yields the tasks as they finish.</summary>
    /// <typeparam name="T">The type of the results.</typeparam>
    /// <param name="coroutines">The coroutines, not yet started.</param>
    /// <param name="timeout">Seconds for the whole enumeration; null for no limit.</param>
    /// <returns>The tasks in completion order.</returns>
    public static IAsyncEnumerable<AioTask<T>> AsCompleted<T>(IEnumerable<Coroutine<T>> coroutines, double? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(coroutines);
        var tasks = new List<AioTask<T>>();
        foreach (Coroutine<T> coroutine in coroutines)
        {
            tasks.Add(CreateTask(coroutine));
        }

        return AsCompleted(tasks, timeout);
    }

    /// <summary>
    /// Protects <paramref name="task"/> from cancellation; asyncio's <c>shield()</c>. Awaiting the returned
    /// future gives the task's result; cancelling the awaiting task cancels only that future, and the task
    /// runs on.
    /// </summary>
    /// <typeparam name="T">The type of the result.</typeparam>
    /// <param name="task">The task to protect.</param>
    /// <returns>A future that follows the task.</returns>
    public static Future<T> Shield<T>(AioTask<T> task)
    {
        ArgumentNullException.ThrowIfNull(task);
        return ShieldLink<T>.Create(GetRunningLoop(), task);
    }

    /// <summary>Protects <paramref name="future"/> from cancellation; see <see cref="Shield{T}(AioTask{T})"/>.</summary>
    /// <typeparam name="T">The type of the result.</typeparam>
    /// <param name="future">The future to protect.</param>
    /// <returns>A future that follows it.</returns>
    public static Future<T> Shield<T>(Future<T> future)
    {
        ArgumentNullException.ThrowIfNull(future);
        return ShieldLink<T>.Create(GetRunningLoop(), future);
    }

    /// <summary>Runs <paramref name="coroutine"/> as a task and protects it from cancellation.</summary>
    /// <typeparam name="T">The type of the result.</typeparam>
    /// <param name="coroutine">The coroutine, not yet started.</param>
    /// <returns>A future that follows the new task.</returns>
    public static Future<T> Shield<T>(Coroutine<T> coroutine) => Shield(CreateTask(coroutine));

    /// <summary>Protects any future or task from cancellation.</summary>
    /// <param name="future">The future or task.</param>
    /// <returns>A future that follows it.</returns>
    public static Future Shield(Future future)
    {
        ArgumentNullException.ThrowIfNull(future);
        return ShieldLink<object?>.Create(GetRunningLoop(), future);
    }

    /// <summary>Runs <paramref name="coroutine"/> as a task and protects it from cancellation.</summary>
    /// <param name="coroutine">The coroutine, not yet started.</param>
    /// <returns>A future that follows the new task.</returns>
    public static Future Shield(Coroutine coroutine) => Shield(CreateTask(coroutine));
}
