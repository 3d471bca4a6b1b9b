using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using Aio.CompilerServices;

namespace Aio;

/// <summary>
/// A result that will exist later, owned by one event loop: asyncio's <c>Future</c>. This non-generic base
/// is what every future and task shares — state, cancellation, done callbacks, awaiting without a value.
/// </summary>
/// <remarks>
/// <para>Not thread-safe: use a future on its loop's thread. <see cref="AsTask"/> is the bridge for code
/// on other threads.</para>
/// <para>Awaiting a pending future inside a task is a cancellation point: cancelling the task cancels the
/// future it waits on, exactly as in asyncio (wrap it with <see cref="AsyncIO.Shield(Future)"/> to prevent
/// that).</para>
/// </remarks>
public abstract class Future : ICancellableWait
{
    private const byte Pending = 0;
    private const byte Succeeded = 1;
    private const byte Failed = 2;
    private const byte CancelledState = 3;

    /// <summary>Flag: waiters run synchronously at completion (a coroutine awaited inline, as Python runs
    /// <c>await coro</c> without a task in between).</summary>
    internal const byte InlineFlag = 1;

    /// <summary>Flag: the coroutine behind this object has started (awaited or spawned).</summary>
    internal const byte StartedFlag = 2;

    /// <summary>Flag: transient mark used by gather to find duplicate arguments.</summary>
    internal const byte GatherMarkFlag = 4;

    /// <summary>Notifies a waiter from the ready queue. Only waiters are ever queued with this callback, so
    /// the casts are unchecked: an interface cast costs a cast-cache lookup on every completion.</summary>
    internal static readonly Action<object?, object?> s_notifyWaiter =
        static (waiter, future) => Unsafe.As<IFutureWaiter>(waiter!).OnCompleted(Unsafe.As<Future>(future));

    internal EventLoop? _loop;
    private byte _state;
    internal byte _flags;

    /// <summary>
    /// While pending: null, one <see cref="IFutureWaiter"/>, or a <see cref="List{T}"/> of them. Once done:
    /// a <see cref="FaultRecord"/> when failed, the <see cref="CancelledException"/> when cancelled, null on
    /// success. One field serves both because a pending future has no error and a done one no waiters —
    /// eight bytes less on every future and task.
    /// </summary>
    private object? _slot;

    private protected Future()
    {
    }

    private protected Future(EventLoop loop)
    {
        _loop = loop;
    }

    /// <summary>The loop this future belongs to.</summary>
    /// <exception cref="InvalidOperationException">The object is a coroutine that has not started yet.</exception>
    public EventLoop Loop => _loop ?? throw new InvalidOperationException("This coroutine has not started on a loop yet.");

    internal EventLoop? LoopOrNull => _loop;

    /// <summary>Whether the future has a result, an exception, or was cancelled; asyncio's <c>done()</c>.</summary>
    public bool IsDone => _state != Pending;

    /// <summary>Whether the future was cancelled; asyncio's <c>cancelled()</c>.</summary>
    public bool IsCancelled => _state == CancelledState;

    /// <summary>Whether the future finished with a result.</summary>
    public bool IsCompletedSuccessfully => _state == Succeeded;

    /// <summary>Whether the future finished with an exception.</summary>
    public bool IsFaulted => _state == Failed;

    /// <summary>
    /// The exception the future failed with, or null if it succeeded; asyncio's <c>exception()</c>.
    /// Reading it marks the exception as retrieved.
    /// </summary>
    /// <exception cref="CancelledException">The future was cancelled.</exception>
    /// <exception cref="InvalidOperationException">The future is not done.</exception>
    public Exception? Exception
    {
        get
        {
            switch (_state)
            {
                case Succeeded:
                    return null;
                case Failed:
                    var fault = (FaultRecord)_slot!;
                    fault.MarkObserved();
                    return fault.Exception;
                case CancelledState:
                    throw CancellationError;
                default:
                    throw new InvalidOperationException("The future is not done yet; its exception is not set.");
            }
        }
    }

    /// <summary>
    /// The result; asyncio's <c>result()</c>. For a future or task without a value it is null once it
    /// succeeded — Python's <c>None</c>; <see cref="Future{T}.Result"/> and <see cref="AioTask{T}.Result"/>
    /// give the typed value. Reading it marks an exception as retrieved.
    /// </summary>
    /// <exception cref="CancelledException">The future was cancelled.</exception>
    /// <exception cref="InvalidOperationException">The future is not done.</exception>
    /// <remarks>Rethrows the exception the future failed with.</remarks>
    public object? Result
    {
        get
        {
            ThrowIfNotSucceeded();
            return BoxedResult;
        }
    }

    /// <summary>The value as an object, for <see cref="Result"/>; null for futures without a value.</summary>
    private protected virtual object? BoxedResult => null;

    /// <summary>The exception awaiting a cancelled future throws.</summary>
    internal CancelledException CancellationError => (CancelledException)_slot!;

    /// <summary>
    /// Cancels the future: if it is pending, it becomes cancelled and its callbacks are scheduled;
    /// asyncio's <c>cancel(msg)</c>. For a task, requests cancellation of its coroutine instead (see
    /// <see cref="AioTask.Cancel"/>).
    /// </summary>
    /// <param name="message">Carried by the <see cref="CancelledException"/> that awaiters see.</param>
    /// <returns>False if the future was already done.</returns>
    /// <remarks>Loop thread only.</remarks>
    public virtual bool Cancel(string? message = null)
    {
        _loop?.CheckThread();
        return TrySetCancelledCore(message, null);
    }

    bool ICancellableWait.CancelWait(string? message) => Cancel(message);

    /// <summary>
    /// Runs <paramref name="callback"/> with this future once it is done; asyncio's
    /// <c>add_done_callback</c>. Callbacks are scheduled with <see cref="EventLoop.CallSoon(Action)"/>
    /// in the order they were added, in the execution context (AsyncLocal values) current now.
    /// If the future is already done, the callback is scheduled at once.
    /// </summary>
    /// <param name="callback">Receives this future.</param>
    /// <remarks>Loop thread only.</remarks>
    public void AddDoneCallback(Action<Future> callback)
    {
        ArgumentNullException.ThrowIfNull(callback);
        EventLoop loop = Loop;
        loop.CheckThread();
        var waiter = new DoneCallbackWaiter(callback, ExecutionContext.Capture());
        if (IsDone)
        {
            loop.Ready.Enqueue(s_notifyWaiter, waiter, this);
        }
        else
        {
            AddWaiter(waiter);
        }
    }

    /// <summary>Removes every registration of <paramref name="callback"/>; asyncio's
    /// <c>remove_done_callback</c>.</summary>
    /// <param name="callback">The callback given to <see cref="AddDoneCallback"/>.</param>
    /// <returns>How many registrations were removed.</returns>
    /// <remarks>Loop thread only.</remarks>
    public int RemoveDoneCallback(Action<Future> callback)
    {
        _loop?.CheckThread();
        int removed = 0;
        if (IsDone)
        {
            return 0;
        }

        if (_slot is DoneCallbackWaiter single)
        {
            if (single.Callback == callback)
            {
                _slot = null;
                removed = 1;
            }
        }
        else if (_slot is List<IFutureWaiter> list)
        {
            removed = list.RemoveAll(w => w is DoneCallbackWaiter d && d.Callback == callback);
        }

        return removed;
    }

    /// <summary>Lets <c>await</c> wait for this future without a value.</summary>
    /// <returns>The awaiter.</returns>
    public FutureAwaiter GetAwaiter() => new(this);

    /// <summary>
    /// A .NET <see cref="Task"/> that completes like this future, for code outside the loop (a test, a
    /// thread-pool callback). Callable from any thread. Its continuations run asynchronously, never
    /// inline on the loop thread.
    /// </summary>
    /// <returns>The task.</returns>
    public Task AsTask()
    {
        var waiter = new VoidTaskCompletionWaiter(this);
        waiter.Attach();
        return waiter.Task;
    }

    /// <summary>A short description: type, state.</summary>
    /// <returns>The description.</returns>
    public override string ToString() => $"<{GetType().Name} {StateName}>";

    internal string StateName => _state switch
    {
        Succeeded => "finished",
        Failed => "failed: " + ((FaultRecord)_slot!).Exception.GetType().Name,
        CancelledState => "cancelled",
        _ => "pending",
    };

    // ---- completion -----------------------------------------------------------------------------

    /// <summary>Marks success (a subclass has stored the value) and schedules the waiters.</summary>
    internal bool TrySetSucceededCore()
    {
        if (_state != Pending)
        {
            return false;
        }

        return Complete(Succeeded, null);
    }

    /// <summary>Marks failure and schedules the waiters.</summary>
    /// <param name="exception">The exception.</param>
    /// <param name="trackUnobserved">Whether to report the exception if nobody ever retrieves it.</param>
    internal bool TrySetFailedCore(Exception exception, bool trackUnobserved)
    {
        if (_state != Pending)
        {
            return false;
        }

        return Complete(Failed, trackUnobserved && _loop is not null
            ? new UnobservedFaultRecord(exception, this)
            : new FaultRecord(exception));
    }

    /// <summary>Marks cancellation and schedules the waiters.</summary>
    /// <param name="message">The cancel message.</param>
    /// <param name="cause">The exception that ended the coroutine, if any; kept as is when it already is a
    /// <see cref="CancelledException"/>, so its stack trace survives.</param>
    internal bool TrySetCancelledCore(string? message, Exception? cause)
    {
        if (_state != Pending)
        {
            return false;
        }

        return Complete(CancelledState, cause as CancelledException ?? new CancelledException(message, cause));
    }

    /// <summary>The transition out of pending: swap the waiters for the outcome, then release them.</summary>
    private bool Complete(byte state, object? outcome)
    {
        object? waiters;
        if (_loop is null)
        {
            // A coroutine running where no loop runs can finish on one thread while another registers
            // its awaiter: the lock makes the two meet exactly once (see AddWaiterFromAnyThread).
            lock (this)
            {
                if (_state != Pending)
                {
                    return false;
                }

                waiters = _slot;
                _slot = outcome;
                _state = state;
            }
        }
        else
        {
            waiters = _slot;
            _slot = outcome;
            _state = state;
        }

        ReleaseWaiters(waiters);
        return true;
    }

    /// <summary>
    /// Registers a waiter on a coroutine that runs where no loop runs (so completion may come from any
    /// thread). If it finished meanwhile, the waiter is notified on the thread pool rather than inline:
    /// the caller is an awaiter's OnCompleted, and running the continuation there would re-enter the
    /// awaiting method before it returned — what .NET's own awaiters avoid the same way.
    /// </summary>
    internal void AddWaiterFromAnyThread(IFutureWaiter waiter)
    {
        lock (this)
        {
            if (_state == Pending)
            {
                AddWaiter(waiter);
                return;
            }
        }

        ThreadPool.UnsafeQueueUserWorkItem(static s => s.Waiter.OnCompleted(s.Future), (Waiter: waiter, Future: this), preferLocal: false);
    }

    /// <summary>Throws unless the future succeeded; marks an exception as retrieved.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void ThrowIfNotSucceeded()
    {
        if (_state != Succeeded)
        {
            ThrowNotSucceeded();
        }
    }

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void ThrowNotSucceeded()
    {
        switch (_state)
        {
            case Failed:
                var fault = (FaultRecord)_slot!;
                fault.MarkObserved();
                fault.Info.Throw();
                break;
            case CancelledState:
                // A new exception for each awaiter, as asyncio makes one per _make_cancelled_error():
                // rethrowing the stored one would pile every awaiter's stack onto its trace.
                CancelledException original = CancellationError;
                throw new CancelledException(original.CancelMessage, original);
        }

        throw new InvalidOperationException("The future is not done yet; its result is not set.");
    }

    /// <summary>Marks the exception, if any, as retrieved without throwing it.</summary>
    internal void MarkExceptionObserved()
    {
        if (_state == Failed)
        {
            ((FaultRecord)_slot!).MarkObserved();
        }
    }

    // ---- waiting --------------------------------------------------------------------------------

    /// <summary>Registers <paramref name="waiter"/> to be notified when this future is done.</summary>
    internal void AddWaiter(IFutureWaiter waiter)
    {
        if (_state != Pending)
        {
            // The slot holds the error once done; callers check IsDone first.
            throw new InvalidOperationException("Internal error: a waiter was added to a future that is done.");
        }

        object? current = _slot;
        if (current is null)
        {
            _slot = waiter;
        }
        else if (current is List<IFutureWaiter> list)
        {
            list.Add(waiter);
        }
        else
        {
            _slot = new List<IFutureWaiter>(4) { (IFutureWaiter)current, waiter };
        }
    }

    /// <summary>For introspection (the task tree): a copy of the waiters of a pending future, empty once
    /// it is done. Allocates; never used on the hot path.</summary>
    internal IFutureWaiter[] CopyWaiters() => _state != Pending ? [] : _slot switch
    {
        List<IFutureWaiter> list => list.ToArray(),
        IFutureWaiter single => [single],
        _ => [],
    };

    /// <summary>Removes one registration of <paramref name="waiter"/>.</summary>
    internal bool RemoveWaiter(IFutureWaiter waiter)
    {
        if (IsDone)
        {
            return false;
        }

        object? current = _slot;
        if (ReferenceEquals(current, waiter))
        {
            _slot = null;
            return true;
        }

        return current is List<IFutureWaiter> list && list.Remove(waiter);
    }

    /// <summary>
    /// Called when a coroutine (through <paramref name="waiter"/>) starts waiting on this future inside
    /// <paramref name="owner"/>: registers the waiter and tells the task what it waits on, so that
    /// cancelling the task cancels this future.
    /// </summary>
    internal void RegisterAwait(IFutureWaiter waiter, TaskCore? owner)
    {
        EventLoop? loop = _loop;
        if (loop is null || !loop.IsRunningOnCurrentThread)
        {
            ThrowAwaitedFromWrongThread();
        }

        AddWaiter(waiter);
        owner?.BeginWait(this);
    }

    /// <summary>As <see cref="RegisterAwait(IFutureWaiter, TaskCore?)"/>, for an <see cref="Action"/> continuation.</summary>
    internal void RegisterAwait(Action continuation)
    {
        EventLoop? loop = _loop;
        if (loop is null || !loop.IsRunningOnCurrentThread)
        {
            ThrowAwaitedFromWrongThread();
        }

        TaskCore? owner = loop.CurrentTaskCore;
        AddWaiter(owner?.RentContinuationWaiter(continuation) ?? new ContinuationWaiter(continuation, owner));
        owner?.BeginWait(this);
    }

    /// <summary>Called by an awaiter's <c>GetResult</c>: ends the current task's wait on this future and
    /// delivers a cancellation that arrived after the future finished.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void OnAwaitResumed() => EventLoop.CurrentOrNull?.CurrentTaskCore?.EndWait(this, IsCancelled);

    [DoesNotReturn]
    private void ThrowAwaitedFromWrongThread()
    {
        throw new InvalidOperationException(
            _loop is null
                ? "This future is not attached to an event loop."
                : "This future belongs to an event loop that is not running on the current thread. " +
                  "Await it from a coroutine on its loop, or use AsTask() from other threads.");
    }

    private void ReleaseWaiters(object? waiters)
    {
        if (waiters is null)
        {
            return;
        }

        // The slot holds either a list or a single waiter; testing for the list (a class) is cheaper than
        // testing for the interface.
        if (waiters is List<IFutureWaiter> list)
        {
            foreach (IFutureWaiter waiter in list)
            {
                Release(waiter);
            }
        }
        else
        {
            Release(Unsafe.As<IFutureWaiter>(waiters));
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Release(IFutureWaiter waiter)
    {
        // Inline completion keeps `await coro` as cheap as a call; the stack check falls back to the
        // ready queue when a long chain of nested coroutines finishes at once.
        if ((_flags & InlineFlag) != 0 && RuntimeHelpers.TryEnsureSufficientExecutionStack())
        {
            waiter.OnCompleted(this);
        }
        else if (_loop is null)
        {
            ThreadPool.UnsafeQueueUserWorkItem(static s => s.Waiter.OnCompleted(s.Future), (Waiter: waiter, Future: this), preferLocal: false);
        }
        else if (!_loop.IsClosed)
        {
            // A closed loop will never run its ready queue again.
            _loop.Ready.Enqueue(s_notifyWaiter, waiter, this);
        }
    }

    /// <summary>A user callback from <see cref="AddDoneCallback"/>, with the context it was added in.</summary>
    private sealed class DoneCallbackWaiter(Action<Future> callback, ExecutionContext? context) : IFutureWaiter
    {
        public Action<Future> Callback { get; } = callback;

        public void OnCompleted(Future? future)
        {
            using var scope = new PlainCallbackScope(future!.Loop);
            if (context is null)
            {
                Callback(future!);
            }
            else
            {
                ExecutionContext.Run(context, static s =>
                {
                    var (cb, f) = ((Action<Future>, Future))s!;
                    cb(f);
                }, (Callback, future!));
            }
        }
    }
}
