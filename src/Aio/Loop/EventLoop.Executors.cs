namespace Aio;

public sealed partial class EventLoop
{
    private IExecutor _defaultExecutor = DotNetThreadPoolExecutor.Instance;
    private int _defaultExecutorOutstanding;
    private int _executorCallsInFlight;
    private Future<bool>? _defaultExecutorIdle;
    private bool _defaultExecutorShutDown;

    /// <summary>How many calls are running (or queued) in the default executor.</summary>
    internal int DefaultExecutorOutstanding => _defaultExecutorOutstanding;

    /// <summary>How many calls are running (or queued) in any executor, the default one included: work
    /// on other threads that will come back to this loop (a virtual clock must not jump past it).</summary>
    internal int ExecutorCallsInFlight => _executorCallsInFlight;

    /// <summary>
    /// Runs <paramref name="function"/> on <paramref name="executor"/> (the default executor when null) and
    /// returns a future of its result, completed on the loop thread; asyncio's <c>run_in_executor</c>.
    /// </summary>
    /// <typeparam name="T">The type of the result.</typeparam>
    /// <param name="executor">The executor, or null for the default one (the .NET thread pool unless
    /// <see cref="SetDefaultExecutor"/> changed it).</param>
    /// <param name="function">Blocking or CPU-bound work.</param>
    /// <returns>The future of the result.</returns>
    /// <remarks>
    /// Loop thread only. Cancelling the future (for instance by cancelling the task awaiting it) stops the
    /// wait at once; work that has not started yet never starts, work already running runs to its end on
    /// its thread and its result is dropped. Use the overload taking a <see cref="CancellationToken"/> to
    /// let running work stop early.
    /// </remarks>
    public Future<T> RunInExecutor<T>(IExecutor? executor, Func<T> function)
    {
        ArgumentNullException.ThrowIfNull(function);
        return Submit(executor, function, null, null);
    }

    /// <summary>
    /// Runs <paramref name="function"/> on <paramref name="executor"/>, passing a token that is cancelled
    /// when the returned future is cancelled, so running work can stop cooperatively.
    /// </summary>
    /// <typeparam name="T">The type of the result.</typeparam>
    /// <param name="executor">The executor, or null for the default one.</param>
    /// <param name="function">Blocking or CPU-bound work that observes its token.</param>
    /// <returns>The future of the result.</returns>
    /// <remarks>Loop thread only.</remarks>
    public Future<T> RunInExecutor<T>(IExecutor? executor, Func<CancellationToken, T> function)
    {
        ArgumentNullException.ThrowIfNull(function);
        return Submit(executor, null, function, null);
    }

    /// <summary>Runs <paramref name="action"/> on <paramref name="executor"/>; see
    /// <see cref="RunInExecutor{T}(IExecutor?, Func{T})"/>.</summary>
    /// <param name="executor">The executor, or null for the default one.</param>
    /// <param name="action">Blocking or CPU-bound work.</param>
    /// <returns>A future that completes when the work has finished.</returns>
    /// <remarks>Loop thread only.</remarks>
    public Future RunInExecutor(IExecutor? executor, Action action)
    {
        ArgumentNullException.ThrowIfNull(action);
        return Submit<object?>(executor, () =>
        {
            action();
            return null;
        }, null, null);
    }

    /// <summary>Sets the executor used when none is given; asyncio's <c>set_default_executor</c>.</summary>
    /// <param name="executor">The executor.</param>
    /// <remarks>Loop thread only.</remarks>
    public void SetDefaultExecutor(IExecutor executor)
    {
        ArgumentNullException.ThrowIfNull(executor);
        CheckThread();
        _defaultExecutor = executor;
    }

    /// <summary>
    /// Waits until every call made in the default executor has finished, for at most
    /// <paramref name="timeout"/>, then refuses new ones (a <see cref="ThreadPoolExecutor"/> is also shut
    /// down); asyncio's <c>shutdown_default_executor</c>. <see cref="AsyncIO.Run(Coroutine, EventLoopOptions?)"/>
    /// calls it at the end.
    /// </summary>
    /// <param name="timeout">How long to wait; <see cref="EventLoopOptions.ExecutorShutdownTimeout"/> when null.</param>
    /// <returns>A coroutine; a cancellation point.</returns>
    public async Coroutine ShutdownDefaultExecutor(TimeSpan? timeout = null)
    {
        CheckThread();
        _defaultExecutorShutDown = true;
        if (_defaultExecutorOutstanding > 0)
        {
            _defaultExecutorIdle ??= new Future<bool>(this);
            TimeSpan limit = timeout ?? _options.ExecutorShutdownTimeout;
            Future<bool> idle = _defaultExecutorIdle;
            await AsyncIO.Wait([idle], limit == Timeout.InfiniteTimeSpan ? null : limit.TotalSeconds);
            if (!idle.IsDone)
            {
                CallExceptionHandler(new LoopExceptionContext(
                    $"The default executor did not finish its work within {limit.TotalSeconds:0.###} seconds."));
            }
        }

        if (_defaultExecutor is ThreadPoolExecutor threads)
        {
            threads.Shutdown(wait: false);
        }
    }

    internal void OnExecutorWorkDone(bool defaultExecutor)
    {
        _executorCallsInFlight--;
        if (defaultExecutor && --_defaultExecutorOutstanding == 0 && _defaultExecutorIdle is { IsDone: false } idle)
        {
            idle.TrySetResult(true);
        }
    }

    /// <summary>Work out on executors that spin (<see cref="ThreadPoolExecutor.SpinBeforeParking"/>), and
    /// the longest spin among them since the count was last zero: while there is such work, the loop
    /// watches for its results a moment before it blocks.</summary>
    private int _spinningWork;
    private long _spinTicks;

    internal void OnSpinningWorkSubmitted(long spinTicks)
    {
        _spinningWork++;
        _spinTicks = Math.Max(_spinTicks, spinTicks);
    }

    internal void OnSpinningWorkDone()
    {
        if (--_spinningWork == 0)
        {
            _spinTicks = 0;
        }
    }

    /// <summary>
    /// Before blocking with spinning work out: watches the thread-safe queue for a result instead of
    /// sleeping at once. The wake-up flag is held set meanwhile, so a worker posting a result skips the
    /// eventfd write the loop would only have to read back; it is reset with a full fence before the last
    /// look, as the iteration does, so that a result posted after it wakes the reactor.
    /// </summary>
    /// <returns>Whether a result arrived (the poll should then not block).</returns>
    private bool SpinForResults()
    {
        Volatile.Write(ref _wakePending, 1);
        long until = System.Diagnostics.Stopwatch.GetTimestamp() + _spinTicks;
        while (_threadsafe.IsEmpty && System.Diagnostics.Stopwatch.GetTimestamp() < until)
        {
            Thread.SpinWait(20);
        }

        Interlocked.Exchange(ref _wakePending, 0);
        return !_threadsafe.IsEmpty;
    }

    internal Future<T> Submit<T>(IExecutor? executor, Func<T>? function, Func<CancellationToken, T>? tokenFunction, ExecutionContext? context)
    {
        CheckThread();
        CheckClosed();
        bool useDefault = executor is null;
        if (useDefault && _defaultExecutorShutDown)
        {
            throw new InvalidOperationException("The default executor has been shut down.");
        }

        var item = new ExecutorWorkItem<T>(this, function, tokenFunction, context, countedByLoop: useDefault);
        item.Submit(executor ?? _defaultExecutor);
        _executorCallsInFlight++;
        if (useDefault)
        {
            _defaultExecutorOutstanding++;
        }

        return item.Future;
    }

    /// <summary>
    /// Hands <paramref name="work"/> to <paramref name="executor"/> (the default executor when null),
    /// counted as <see cref="RunInExecutor{T}(IExecutor?, Func{T})"/>'s calls are: <see cref="AsyncIO.Run(Coroutine, EventLoopOptions?)"/>
    /// waits for it, a virtual clock holds still while it is out, debug mode reports it if the loop closes
    /// first. For work that brings its own outcome back (a file's blocking calls): it must call
    /// <see cref="OnExecutorWorkDone"/> on the loop thread when it comes back, passing what this returned.
    /// </summary>
    /// <returns>Whether the default executor took the work.</returns>
    /// <exception cref="InvalidOperationException">The loop is closed, or the executor refused the work
    /// (shut down); nothing was queued.</exception>
    internal bool SubmitWork(IExecutor? executor, IExecutorWork work)
    {
        CheckThread();
        CheckClosed();
        bool useDefault = executor is null;
        if (useDefault && _defaultExecutorShutDown)
        {
            throw new InvalidOperationException("The default executor has been shut down.");
        }

        (executor ?? _defaultExecutor).Execute(work);
        _executorCallsInFlight++;
        if (useDefault)
        {
            _defaultExecutorOutstanding++;
        }

        return useDefault;
    }

    private void CloseExecutors()
    {
        _defaultExecutorShutDown = true;
        if (_defaultExecutor is ThreadPoolExecutor threads)
        {
            threads.Shutdown(wait: false);
        }
    }
}
