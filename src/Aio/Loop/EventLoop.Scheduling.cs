namespace Aio;

public sealed partial class EventLoop
{
    /// <summary>Nodes kept for reuse; bounded so a burst does not pin memory for ever.</summary>
    private const int MaxPooledNodes = 16384;
    private const int MaxPooledSleeps = 256;

    private static readonly Action<object?> s_invokeAction = static a => ((Action)a!)();

    /// <summary>Free nodes as an array stack: one write barrier per push, none per pop.</summary>
    private CallbackNode?[] _freeNodes = new CallbackNode?[64];
    private int _freeNodeCount;
    private SleepOperation? _freeSleeps;
    private int _freeSleepCount;

    /// <summary>Schedules <paramref name="callback"/> to run on the next loop iteration, after the
    /// callbacks already scheduled; asyncio's <c>call_soon</c>.</summary>
    /// <param name="callback">The callback. Its exceptions go to the exception handler; the loop goes on.</param>
    /// <returns>A handle that can cancel the callback.</returns>
    /// <remarks>Loop thread only (see <see cref="CallSoonThreadsafe(Action)"/>). The callback runs in the
    /// execution context (AsyncLocal values) current now, like asyncio's context copy.</remarks>
    public Handle CallSoon(Action callback)
    {
        ArgumentNullException.ThrowIfNull(callback);
        return CallSoon(s_invokeAction, callback);
    }

    /// <summary>Schedules <paramref name="callback"/> with an argument; asyncio's <c>call_soon(cb, arg)</c>.
    /// Pass a static lambda to schedule without allocating.</summary>
    /// <param name="callback">The callback.</param>
    /// <param name="state">Its argument.</param>
    /// <returns>A handle that can cancel the callback.</returns>
    /// <remarks>Loop thread only.</remarks>
    public Handle CallSoon(Action<object?> callback, object? state)
    {
        ArgumentNullException.ThrowIfNull(callback);
        CheckThread();
        CheckClosed();
        CallbackNode node = RentNode(callback, state);
        Ready.EnqueueNode(node);
        return new Handle(node);
    }

    /// <summary>Schedules <paramref name="callback"/> after <paramref name="delay"/> seconds;
    /// asyncio's <c>call_later</c>. Timers with the same deadline run in the order they were scheduled.</summary>
    /// <param name="delay">Seconds from now; zero or negative means as soon as possible.</param>
    /// <param name="callback">The callback.</param>
    /// <returns>A handle that can cancel the timer.</returns>
    /// <remarks>Loop thread only.</remarks>
    public TimerHandle CallLater(double delay, Action callback)
    {
        ArgumentNullException.ThrowIfNull(callback);
        return CallAtNanoseconds(Clock.Now + Durations.ToNanoseconds(delay), s_invokeAction, callback);
    }

    /// <summary>Schedules <paramref name="callback"/> after <paramref name="delay"/>.</summary>
    /// <param name="delay">The delay.</param>
    /// <param name="callback">The callback.</param>
    /// <returns>A handle that can cancel the timer.</returns>
    /// <remarks>Loop thread only.</remarks>
    public TimerHandle CallLater(TimeSpan delay, Action callback)
    {
        ArgumentNullException.ThrowIfNull(callback);
        return CallAtNanoseconds(Clock.Now + Durations.ToNanoseconds(delay), s_invokeAction, callback);
    }

    /// <summary>Schedules <paramref name="callback"/> with an argument after <paramref name="delay"/> seconds.</summary>
    /// <param name="delay">Seconds from now.</param>
    /// <param name="callback">The callback.</param>
    /// <param name="state">Its argument.</param>
    /// <returns>A handle that can cancel the timer.</returns>
    /// <remarks>Loop thread only.</remarks>
    public TimerHandle CallLater(double delay, Action<object?> callback, object? state)
    {
        ArgumentNullException.ThrowIfNull(callback);
        return CallAtNanoseconds(Clock.Now + Durations.ToNanoseconds(delay), callback, state);
    }

    /// <summary>Schedules <paramref name="callback"/> at loop time <paramref name="when"/> (see
    /// <see cref="Time"/>); asyncio's <c>call_at</c>.</summary>
    /// <param name="when">The deadline, in loop seconds.</param>
    /// <param name="callback">The callback.</param>
    /// <returns>A handle that can cancel the timer.</returns>
    /// <remarks>Loop thread only.</remarks>
    public TimerHandle CallAt(double when, Action callback)
    {
        ArgumentNullException.ThrowIfNull(callback);
        return CallAtNanoseconds(Durations.ToNanoseconds(when), s_invokeAction, callback);
    }

    /// <summary>Schedules <paramref name="callback"/> with an argument at loop time <paramref name="when"/>.</summary>
    /// <param name="when">The deadline, in loop seconds.</param>
    /// <param name="callback">The callback.</param>
    /// <param name="state">Its argument.</param>
    /// <returns>A handle that can cancel the timer.</returns>
    /// <remarks>Loop thread only.</remarks>
    public TimerHandle CallAt(double when, Action<object?> callback, object? state)
    {
        ArgumentNullException.ThrowIfNull(callback);
        return CallAtNanoseconds(Durations.ToNanoseconds(when), callback, state);
    }

    /// <summary>
    /// Schedules <paramref name="callback"/> on the loop from any thread and wakes the loop;
    /// asyncio's <c>call_soon_threadsafe</c>. The one member that may be called from any thread.
    /// </summary>
    /// <param name="callback">The callback.</param>
    /// <returns>A handle that can cancel the callback, from any thread.</returns>
    /// <exception cref="InvalidOperationException">The loop is closed.</exception>
    public Handle CallSoonThreadsafe(Action callback)
    {
        ArgumentNullException.ThrowIfNull(callback);
        return CallSoonThreadsafe(s_invokeAction, callback);
    }

    /// <summary>Schedules <paramref name="callback"/> with an argument from any thread.</summary>
    /// <param name="callback">The callback.</param>
    /// <param name="state">Its argument.</param>
    /// <returns>A handle that can cancel the callback, from any thread.</returns>
    /// <exception cref="InvalidOperationException">The loop is closed.</exception>
    public Handle CallSoonThreadsafe(Action<object?> callback, object? state)
    {
        ArgumentNullException.ThrowIfNull(callback);
        CheckClosed();
        if (IsRunningOnCurrentThread)
        {
            return _threadsafe.EnqueueCallback(this, callback, state, CaptureContext(), Ready);
        }

        Handle handle = _threadsafe.EnqueueCallback(this, callback, state, CaptureContext(), null);
        RequestWakeUp();
        return handle;
    }

    /// <summary>Cancels a <c>call_soon_threadsafe</c> handle; any thread.</summary>
    internal void CancelSharedNode(CallbackNode node, int version) => _threadsafe.Cancel(node, version);

    /// <summary>Called by a shared node about to run its callback.</summary>
    internal void ReturnSharedNode(CallbackNode node) => _threadsafe.Return(node);

    private TimerHandle CallAtNanoseconds(long when, Action<object?> callback, object? state)
    {
        CheckThread();
        CheckClosed();
        CallbackNode node = RentNode(callback, state);
        node.When = when;
        Timers.Push(when, node);
        return new TimerHandle(node);
    }

    private CallbackNode RentNode(Action<object?> callback, object? state)
    {
        CallbackNode node;
        int count = _freeNodeCount;
        if (count > 0)
        {
            _freeNodeCount = --count;
            CallbackNode?[] free = _freeNodes;
            node = free[count]!;
            free[count] = null;
        }
        else
        {
            node = new CallbackNode { Loop = this, Pooled = true };
        }

        node.Callback = callback;
        node.State = state;
        ExecutionContext? context = CaptureContext();
        if (context is not null)
        {
            node.Context = context;
        }

        return node;
    }

    internal void RecycleNode(CallbackNode node)
    {
        node.Callback = null;
        node.State = null;
        node.Context = null;
        node.Version++;
        int count = _freeNodeCount;
        if (count < MaxPooledNodes)
        {
            if (count == _freeNodes.Length)
            {
                Array.Resize(ref _freeNodes, count * 2);
            }

            _freeNodes[count] = node;
            _freeNodeCount = count + 1;
        }
    }

    /// <summary>The current execution context, or null when it is the loop's own (the common case, which
    /// then costs nothing to run).</summary>
    private ExecutionContext? CaptureContext()
    {
        ExecutionContext? context = ExecutionContext.Capture();
        return ReferenceEquals(context, _baseContext) ? null : context;
    }

    /// <summary>
    /// Cancels <paramref name="source"/>, whose registrations are user code (a .NET API's, or the user's
    /// own): run inside a <see cref="PlainCallbackScope"/> unless a task step or a plain callback is already
    /// running on the loop, and never let a throwing registration escape into the loop.
    /// </summary>
    internal void CancelTokenSource(CancellationTokenSource source, Future? concerning)
    {
        try
        {
            if (IsRunningOnCurrentThread && CurrentTaskCore is null && PlainCallbackDepth == 0)
            {
                using (new PlainCallbackScope(this))
                {
                    source.Cancel();
                }
            }
            else
            {
                source.Cancel();
            }
        }
        catch (AggregateException ex)
        {
            CallExceptionHandler(new LoopExceptionContext("Exception in a cancellation callback", ex) { Future = concerning });
        }
    }

    /// <summary>The execution context of the loop's thread, outside any task.</summary>
    internal ExecutionContext? BaseExecution => _baseContext;

    /// <summary>Puts the loop's own synchronization context back on its thread (after task steps left
    /// theirs); see <see cref="PlainCallbackScope"/>.</summary>
    internal void InstallLoopContext()
    {
        if (!ReferenceEquals(InstalledContext, SyncContext) && _running)
        {
            InstallContext(SyncContext);
        }
    }

    /// <summary>Undoes AsyncLocal changes a plain callback made, so they do not leak into the next one:
    /// each callback runs in its own copy of the context, as in asyncio.</summary>
    internal void ResetExecutionContext()
    {
        ExecutionContext? base_ = _baseContext;
        if (base_ is not null && !ReferenceEquals(ExecutionContext.Capture(), base_))
        {
            ExecutionContext.Restore(base_);
        }
    }

    internal SleepOperation RentSleepOperation()
    {
        SleepOperation? operation = _freeSleeps;
        if (operation is not null)
        {
            _freeSleeps = operation.NextFree;
            operation.NextFree = null;
            _freeSleepCount--;
        }
        else
        {
            operation = new SleepOperation(this);
        }

        operation.Reserve();
        return operation;
    }

    internal void ReturnSleepOperation(SleepOperation operation)
    {
        if (_freeSleepCount < MaxPooledSleeps)
        {
            operation.NextFree = _freeSleeps;
            _freeSleeps = operation;
            _freeSleepCount++;
        }
    }
}
