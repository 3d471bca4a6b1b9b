using System.Runtime.CompilerServices;
using Aio.CompilerServices;

namespace Aio;

/// <summary>
/// A coroutine scheduled on an event loop: asyncio's <c>Task</c>. Create one with
/// <see cref="AsyncIO.CreateTask(Coroutine, string?, string, int)"/> or a task group; await it for its
/// completion; cancel it with <see cref="Cancel"/>.
/// </summary>
/// <remarks>
/// <para>A task keeps itself alive while it runs: the loop holds every live task, so one that nobody
/// references still finishes (asyncio only holds tasks weakly).</para>
/// <para>If a task fails and nobody ever retrieves its exception (by awaiting it, or reading
/// <see cref="Future.Exception"/> or a result), the loop's exception handler receives
/// "Task exception was never retrieved" with the task's name and where it was created.</para>
/// <para>Members are not thread-safe: use them on the loop thread.</para>
/// </remarks>
public abstract class AioTask : Future, IFutureWaiter
{
    /// <summary>The task this coroutine runs in. For a task's own coroutine this is its own core; for a
    /// coroutine awaited inline, the core of the task that awaited it (null outside any task).</summary>
    internal TaskCore? _core;

    /// <summary>The execution context (AsyncLocal values) the coroutine resumes in; captured at each await,
    /// as .NET's own async methods do.</summary>
    internal ExecutionContext? _ec;

    private protected AioTask()
    {
    }

    /// <summary>The task's name; asyncio's <c>get_name</c> / <c>set_name</c>. Defaults to
    /// <c>Task-N</c>, numbered in creation order on its loop.</summary>
    public string Name
    {
        get => Core.Name;
        set => Core.Name = value ?? throw new ArgumentNullException(nameof(value));
    }

    /// <summary>How many cancellation requests are pending (made and not withdrawn with
    /// <see cref="Uncancel"/>); asyncio's <c>cancelling()</c>.</summary>
    public int Cancelling => Core.CancelRequests;

    /// <summary>Where the task was created, as <c>file:line</c>, or null when unknown.</summary>
    public string? CreatedAt => Core.CreatedAt;

    /// <summary>
    /// The task's cancellation as a .NET token: it is cancelled when the task is, so .NET APIs called
    /// inside the task (HttpClient, Npgsql, streams) stop too. <see cref="AsyncIO.CancellationToken"/>
    /// returns it for the running task.
    /// </summary>
    /// <remarks>After every request has been withdrawn with <see cref="Uncancel"/> — a timeout that
    /// expired and was handled, say — a fresh, uncancelled token is handed out.</remarks>
    public CancellationToken CancellationToken => Core.Token;

    private TaskCore Core => _core!;

    /// <summary>
    /// Requests cancellation; asyncio's <c>Task.cancel(msg)</c>. The wait the task is suspended in (or
    /// its next one) ends with a <see cref="CancelledException"/> thrown inside the coroutine, so its
    /// <c>finally</c> blocks run; the coroutine may catch it and go on. A task cancelled before its first
    /// step never runs. The task's <see cref="CancellationToken"/> is cancelled at once.
    /// </summary>
    /// <param name="message">Carried by the <see cref="CancelledException"/>.</param>
    /// <returns>False if the task was already done.</returns>
    /// <remarks>Loop thread only. Not a cancellation point.</remarks>
    public override bool Cancel(string? message = null) => Core.Cancel(message);

    /// <summary>Withdraws one cancellation request; asyncio's <c>uncancel()</c>. Used by code that catches
    /// a cancellation it caused itself (a timeout, a task group) to report it as something else.</summary>
    /// <returns>The number of requests still pending.</returns>
    /// <remarks>Loop thread only.</remarks>
    public int Uncancel() => Core.Uncancel();

    /// <summary>A description such as <c>&lt;Task name='Task-3' pending created at Program.cs:12&gt;</c>.</summary>
    /// <returns>The description.</returns>
    public override string ToString() =>
        _core is { } core && ReferenceEquals(core.Task, this)
            ? $"<Task name='{core.Name}' {StateName}{(core.CreatedAt is { } at ? " created at " + at : "")}>"
            : $"<coroutine {StateName}>";

    // ---- the coroutine machinery ---------------------------------------------------------------

    /// <summary>Advances the coroutine: one call of its state machine's MoveNext (or, for a task made
    /// from a delegate, the call of the delegate).</summary>
    internal abstract void MoveNextCore();

    /// <summary>Drops the state machine once the coroutine has finished, so the task object does not keep
    /// the coroutine's locals alive.</summary>
    internal abstract void ClearStateMachine();

    /// <summary>For diagnostics: the compiler's state machine behind this coroutine, or null when there
    /// is none (a delegate task between steps, a finished placeholder).</summary>
    internal virtual Type? StateMachineType => null;

    /// <summary>For diagnostics: the state machine's state — the await it is suspended at, or one of
    /// <see cref="Diagnostics.CoroutineStates"/>. Never read on the hot path.</summary>
    internal virtual int CoroutineState => Diagnostics.CoroutineStates.Unknown;

    /// <summary>For diagnostics: the delegate of a delegate task, until its first step calls it.</summary>
    internal virtual Delegate? PendingDelegate => null;

    /// <summary>Whether this object is a task (rather than a coroutine awaited inline).</summary>
    internal bool IsTaskRoot => _core is { } core && ReferenceEquals(core.Task, this);

    /// <inheritdoc/>
    void IFutureWaiter.OnCompleted(Future? future) => Resume();

    /// <summary>
    /// Runs the next step of the coroutine on the loop thread, as its task: the loop's current task, the
    /// synchronization context and the execution context are the task's while it runs, and are restored
    /// after.
    /// </summary>
    internal void Resume()
    {
        EventLoop? loop = _loop;
        if (loop is null)
        {
            // A coroutine awaited where no loop runs behaves like an ordinary async method.
            MoveNextCore();
            return;
        }

        TaskCore? core = _core;
        using (new StepScope(loop, core, core is null ? loop.SyncContext : core, _ec))
        {
            MoveNextCore();
        }
    }

    /// <summary>Marks the coroutine as started; a coroutine runs once, as in Python.</summary>
    internal void MarkStarted()
    {
        if ((_flags & StartedFlag) != 0)
        {
            throw new InvalidOperationException(
                "This coroutine has already been awaited or scheduled as a task; a coroutine runs once.");
        }

        _flags |= StartedFlag;
    }

    /// <summary>
    /// Starts the coroutine for <c>await coro</c>: runs it now, on the caller's stack and in the caller's
    /// task, up to its first suspension, as Python does. When it finishes later, the awaiting coroutine
    /// resumes synchronously — no loop iteration in between.
    /// </summary>
    internal void StartInline()
    {
        MarkStarted();
        _flags |= InlineFlag;
        EventLoop? loop = EventLoop.CurrentOrNull;
        _loop = loop;
        _core = loop?.CurrentTaskCore;
        ExecutionContext? previousExecution = ExecutionContext.Capture();
        try
        {
            MoveNextCore();
        }
        finally
        {
            // AsyncLocal changes made by the callee stay with the callee, as for any async method.
            if (previousExecution is not null && !ReferenceEquals(ExecutionContext.Capture(), previousExecution))
            {
                ExecutionContext.Restore(previousExecution);
            }
        }
    }

    /// <summary>Called by the builder when the coroutine awaits something that is not a loop awaitable
    /// (a .NET task, say): the continuation to hand to that awaiter.</summary>
    internal Action GetForeignContinuation()
    {
        if (_loop is null)
        {
            return MoveNextCore;
        }

        return _core?.TakeForeignContinuation(this) ?? new Action(ResumeFromAnyThread);
    }

    /// <summary>Resumes on the loop thread, hopping there first when a foreign awaiter completed elsewhere
    /// (for example after <c>ConfigureAwait(false)</c>).</summary>
    internal void ResumeFromAnyThread()
    {
        EventLoop loop = _loop!;
        if (loop.IsRunningOnCurrentThread)
        {
            Resume();
        }
        else
        {
            loop.EnqueueFromAnyThread(static (box, _) => ((AioTask)box!).Resume(), this, null);
        }
    }

    /// <summary>Called when the coroutine returns (its result, if any, is stored already).</summary>
    internal void FinishWithResult()
    {
        ClearStateMachine();
        _ec = null;
        TaskCore? core = _core;
        if (core is not null && ReferenceEquals(core.Task, this))
        {
            // As asyncio: a task cancelled during its last step is cancelled even though it returned.
            if (core.ConsumeMustCancel(out string? message))
            {
                TrySetCancelledCore(message, null);
            }
            else
            {
                TrySetSucceededCore();
            }

            core.OnTaskDone();
        }
        else
        {
            TrySetSucceededCore();
        }
    }

    /// <summary>Called when the coroutine throws.</summary>
    internal void FinishWithException(Exception exception)
    {
        ClearStateMachine();
        _ec = null;
        TaskCore? core = _core;
        if (core is not null && ReferenceEquals(core.Task, this))
        {
            // A cancellation we delivered, or one a .NET API raised from the task's token, cancels the
            // task; any other exception fails it.
            if (core.IsOwnCancellation(exception))
            {
                core.ConsumeMustCancel(out _);
                TrySetCancelledCore((exception as CancelledException)?.CancelMessage ?? core.LastCancelMessage, exception);
            }
            else
            {
                TrySetFailedCore(exception, trackUnobserved: true);
            }

            core.OnTaskDone();
        }
        else
        {
            TrySetFailedCore(exception, trackUnobserved: false);
        }
    }

    /// <summary>Finishes a task that was cancelled before its first step: its body never runs.</summary>
    internal void FinishCancelledBeforeStart(string? message)
    {
        ClearStateMachine();
        _ec = null;
        TrySetCancelledCore(message, null);
        _core!.OnTaskDone();
    }
}
