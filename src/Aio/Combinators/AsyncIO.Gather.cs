namespace Aio;

public static partial class AsyncIO
{
    /// <summary>
    /// Waits for every future or task and returns their results in argument order; asyncio's
    /// <c>gather()</c>. The first failure (or cancellation) of a child ends the gather with that
    /// exception — the other children keep running. Cancelling the gather cancels every child.
    /// </summary>
    /// <typeparam name="T">The type of the results.</typeparam>
    /// <param name="tasks">The tasks.</param>
    /// <returns>A future of the results; awaiting it is a cancellation point.</returns>
    public static Future<T[]> Gather<T>(params AioTask<T>[] tasks) => GatherCore(Futures(tasks), false, GatherResults.Values<T>);

    /// <summary>Waits for every future and returns their results in argument order; see <see cref="Gather{T}(AioTask{T}[])"/>.</summary>
    /// <typeparam name="T">The type of the results.</typeparam>
    /// <param name="futures">The futures.</param>
    /// <returns>A future of the results.</returns>
    public static Future<T[]> Gather<T>(params Future<T>[] futures) => GatherCore(Futures(futures), false, GatherResults.Values<T>);

    /// <summary>Runs every coroutine as a task and returns their results in argument order; see
    /// <see cref="Gather{T}(AioTask{T}[])"/>.</summary>
    /// <typeparam name="T">The type of the results.</typeparam>
    /// <param name="coroutines">The coroutines, not yet started.</param>
    /// <returns>A future of the results.</returns>
    public static Future<T[]> Gather<T>(params Coroutine<T>[] coroutines) => GatherCore(Spawn(coroutines), false, GatherResults.Values<T>);

    /// <summary>Runs every coroutine as a task and returns their results in order.</summary>
    /// <typeparam name="T">The type of the results.</typeparam>
    /// <param name="coroutines">The coroutines, not yet started.</param>
    /// <returns>A future of the results.</returns>
    public static Future<T[]> Gather<T>(IEnumerable<Coroutine<T>> coroutines) => GatherCore(Spawn(coroutines.ToArray()), false, GatherResults.Values<T>);

    /// <summary>Waits for every task and returns their results in order.</summary>
    /// <typeparam name="T">The type of the results.</typeparam>
    /// <param name="tasks">The tasks.</param>
    /// <returns>A future of the results.</returns>
    public static Future<T[]> Gather<T>(IEnumerable<AioTask<T>> tasks) => GatherCore(Futures(tasks.ToArray()), false, GatherResults.Values<T>);

    /// <summary>Waits for every future or task, whatever their result types; see <see cref="Gather{T}(AioTask{T}[])"/>.</summary>
    /// <param name="futures">The futures or tasks.</param>
    /// <returns>A future that completes when all have.</returns>
    public static Future Gather(params Future[] futures) => GatherCore(Futures(futures), false, GatherResults.Nothing);

    /// <summary>Waits for every future or task, whatever their result types.</summary>
    /// <param name="futures">The futures or tasks.</param>
    /// <returns>A future that completes when all have.</returns>
    public static Future Gather(IEnumerable<Future> futures) => GatherCore(futures.ToArray(), false, GatherResults.Nothing);

    /// <summary>Runs every coroutine as a task and waits for all of them.</summary>
    /// <param name="coroutines">The coroutines, not yet started.</param>
    /// <returns>A future that completes when all have.</returns>
    public static Future Gather(params Coroutine[] coroutines) => GatherCore(Spawn(coroutines), false, GatherResults.Nothing);

    /// <summary>
    /// Waits for every task and returns how each ended, in argument order — a value or an exception —
    /// without failing; asyncio's <c>gather(..., return_exceptions=True)</c>. Cancelling the gather
    /// still cancels every child and ends it with a cancellation.
    /// </summary>
    /// <typeparam name="T">The type of the results.</typeparam>
    /// <param name="tasks">The tasks.</param>
    /// <returns>A future of the outcomes.</returns>
    public static Future<Outcome<T>[]> GatherReturnExceptions<T>(params AioTask<T>[] tasks) => GatherCore(Futures(tasks), true, GatherResults.TypedOutcomes<T>);

    /// <summary>Runs every coroutine as a task and returns how each ended; see
    /// <see cref="GatherReturnExceptions{T}(AioTask{T}[])"/>.</summary>
    /// <typeparam name="T">The type of the results.</typeparam>
    /// <param name="coroutines">The coroutines, not yet started.</param>
    /// <returns>A future of the outcomes.</returns>
    public static Future<Outcome<T>[]> GatherReturnExceptions<T>(params Coroutine<T>[] coroutines) => GatherCore(Spawn(coroutines), true, GatherResults.TypedOutcomes<T>);

    /// <summary>Waits for every future or task and returns how each ended.</summary>
    /// <param name="futures">The futures or tasks.</param>
    /// <returns>A future of the outcomes.</returns>
    public static Future<Outcome[]> GatherReturnExceptions(params Future[] futures) => GatherCore(Futures(futures), true, GatherResults.Outcomes);

    /// <summary>Waits for every future or task and returns how each ended.</summary>
    /// <param name="futures">The futures or tasks.</param>
    /// <returns>A future of the outcomes.</returns>
    public static Future<Outcome[]> GatherReturnExceptions(IEnumerable<Future> futures) => GatherCore(futures.ToArray(), true, GatherResults.Outcomes);

    /// <summary>Runs every coroutine as a task and returns how each ended.</summary>
    /// <param name="coroutines">The coroutines, not yet started.</param>
    /// <returns>A future of the outcomes.</returns>
    public static Future<Outcome[]> GatherReturnExceptions(params Coroutine[] coroutines) => GatherCore(Spawn(coroutines), true, GatherResults.Outcomes);

    private static Future<TResult> GatherCore<TResult>(Future[] children, bool returnExceptions, Func<Future[], TResult> build)
    {
        EventLoop loop = GetRunningLoop();
        if (children.Length == 0)
        {
            Future<TResult> empty = loop.CreateFuture<TResult>();
            empty.SetResult(build(children));
            return empty;
        }

        return GatheringFuture<TResult>.Start(loop, children, returnExceptions, build);
    }

    private static Future[] Futures<TFuture>(TFuture[] futures)
        where TFuture : Future
    {
        ArgumentNullException.ThrowIfNull(futures);

        // One block copy: storing element by element into a Future[] would check each element's type.
        var copy = new Future[futures.Length];
        Array.Copy(futures, copy, futures.Length);
        foreach (Future future in copy)
        {
            if (future is null)
            {
                throw new ArgumentException("A future to gather is null.", nameof(futures));
            }
        }

        return copy;
    }

    /// <summary>Turns coroutines into tasks, as gather's <c>ensure_future</c>; the same coroutine given
    /// twice becomes one task.</summary>
    private static Future[] Spawn(Coroutine[] coroutines)
    {
        ArgumentNullException.ThrowIfNull(coroutines);
        EventLoop loop = GetRunningLoop();
        var tasks = new Future[coroutines.Length];
        Dictionary<AioTask, AioTask>? seen = null;
        for (int i = 0; i < coroutines.Length; i++)
        {
            AioTask? box = coroutines[i].Box;
            if (box is not null && (box._flags & Future.StartedFlag) != 0 && (seen?.TryGetValue(box, out AioTask? task) ?? false))
            {
                tasks[i] = task!;
                continue;
            }

            AioTask spawned = loop.CreateTask(coroutines[i], null, "", 0);
            if (box is not null)
            {
                (seen ??= new Dictionary<AioTask, AioTask>(ReferenceEqualityComparer.Instance)).TryAdd(box, spawned);
            }

            tasks[i] = spawned;
        }

        return tasks;
    }

    private static Future[] Spawn<T>(Coroutine<T>[] coroutines)
    {
        ArgumentNullException.ThrowIfNull(coroutines);
        var untyped = new Coroutine[coroutines.Length];
        for (int i = 0; i < coroutines.Length; i++)
        {
            untyped[i] = coroutines[i];
        }

        return Spawn(untyped);
    }
}
