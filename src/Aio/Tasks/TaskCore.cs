using System.Globalization;
using System.Runtime.CompilerServices;

namespace Aio;

/// <summary>
/// The state that makes a coroutine a task: cancellation, what it waits on, its place among the loop's
/// live tasks, and a built-in sleep slot. It is also the task's <see cref="SynchronizationContext"/>.
/// </summary>
/// <remarks>
/// <para>Why a context per task: ordinary <c>async Task</c> methods called inside a task capture
/// <see cref="SynchronizationContext.Current"/> when they await a .NET task. Making the context the task
/// itself means their continuations come back to the loop <em>as that task</em> — so a loop await inside
/// them is still cancelled by <see cref="AioTask.Cancel"/>, and <c>AsyncIO.CurrentTask</c> is right there
/// too. A context shared by all tasks would lose that.</para>
/// <para>Why a separate object at all: coroutines awaited inline (<c>await Foo()</c>) are not tasks and
/// should not carry task state; only <c>CreateTask</c> pays for this object. Rarely used state lives in
/// <see cref="TaskExtras"/>, created on first use, so a task that only sleeps and returns stays small.</para>
/// </remarks>
internal sealed class TaskCore : SynchronizationContext, ISleepSlot
{
    internal static readonly Action<object?, object?> s_firstStep = static (core, _) => ((TaskCore)core!).RunFirstStep();

    private static readonly Action<object?, object?> s_runForeign =
        static (core, _) => ((TaskCore)core!).RunForeignContinuation();

    internal readonly AioTask Task;
    private readonly string? _createdFile;

    /// <summary>What the task waits on: null, one <see cref="ICancellableWait"/>, or a
    /// <see cref="List{T}"/> when ordinary async methods wait on several things at once.</summary>
    private object? _waitingOn;

    private TaskExtras? _extras;
    private SleepState _sleep;
    private readonly int _id;
    private readonly int _createdLine;
    private int _cancelRequests;
    private bool _mustCancel;

    internal TaskCore(AioTask task, int id, string? name, string? createdFile, int createdLine)
    {
        Task = task;
        _id = id;
        _createdFile = createdFile;
        _createdLine = createdLine;
        _sleep.TimerIndex = -1;
        LiveIndex = -1;
        if (name is not null)
        {
            Extras.Name = name;
        }
    }

    /// <summary>Index in the loop's table of live tasks; -1 once done.</summary>
    internal int LiveIndex;

    /// <summary>The task's loop (kept on the task, not duplicated here).</summary>
    internal EventLoop Loop => Task._loop!;

    private TaskExtras Extras => Volatile.Read(ref _extras) ?? Interlocked.CompareExchange(ref _extras, new TaskExtras(), null) ?? _extras!;

    internal string Name
    {
        get => _extras?.Name ?? (Extras.Name = "Task-" + _id.ToString(CultureInfo.InvariantCulture));
        set => Extras.Name = value;
    }

    internal string? CreatedAt => string.IsNullOrEmpty(_createdFile)
        ? null
        : Path.GetFileName(_createdFile) + ":" + _createdLine.ToString(CultureInfo.InvariantCulture);

    internal int CancelRequests => _cancelRequests;

    /// <summary>
    /// Whether <paramref name="exception"/> is this task's cancellation: one we delivered, or an
    /// <see cref="OperationCanceledException"/> raised while cancellation is requested (a .NET API that
    /// observed the task's token). Any other <see cref="OperationCanceledException"/> — an HttpClient
    /// timeout, an unrelated token — is an ordinary error.
    /// </summary>
    internal bool IsOwnCancellation(Exception exception) =>
        exception is CancelledException || (exception is OperationCanceledException && _cancelRequests > 0);

    /// <summary>The message of the latest cancellation request, if it had one.</summary>
    internal string? LastCancelMessage => _extras?.CancelMessage;

    /// <summary>What the task is waiting on, for introspection.</summary>
    internal object? WaitingOn => _waitingOn;

    /// <summary>The task's number on its loop (the N of <c>Task-N</c>).</summary>
    internal int Id => _id;

    /// <summary>For introspection: the coroutine of this task waiting on a foreign awaiter (a .NET task).</summary>
    internal AioTask? ForeignBox => _extras?.ForeignBox;

    /// <summary>For introspection: the waker of the task's built-in sleep while it sleeps.</summary>
    internal IFutureWaiter? SleepWaker => _sleep.Waker;

    /// <summary>For introspection: whether the built-in sleep has fired (the task's wake-up is queued).</summary>
    internal bool SleepFired => _sleep.Status == SleepState.Fired || _sleep.Status == SleepState.Cancelled;

    // ---- steps ----------------------------------------------------------------------------------

    private void RunFirstStep()
    {
        EventLoop loop = Loop;
        loop.OnFirstStep();
        if (_mustCancel)
        {
            _mustCancel = false;
            Task.FinishCancelledBeforeStart(_extras?.CancelMessage);
            return;
        }

        Task.Resume();
        if (!Task.IsDone)
        {
            // It suspended: from now on nothing but the loop may hold it, so the loop keeps it alive.
            loop.AddLive(this);
        }
    }

    /// <summary>Runs <paramref name="callback"/> as this task: current task and synchronization context
    /// set, execution context restored afterwards. Used for continuations that are not coroutine steps.</summary>
    /// <param name="callback">The continuation.</param>
    /// <param name="state">Its argument.</param>
    /// <param name="withoutContext">Run with no synchronization context (still as this task, on the loop
    /// thread): for a continuation that asked for none, see <see cref="Sync.WaitNode.ResumeWithoutContext"/>.</param>
    internal void RunAsTask(Action<object?> callback, object? state, bool withoutContext = false)
    {
        using (new StepScope(Loop, Task.IsDone ? null : this, withoutContext ? null : this, null))
        {
            callback(state);
        }
    }

    private void RunPosted(SendOrPostCallback callback, object? state)
    {
        using (new StepScope(Loop, Task.IsDone ? null : this, this, null))
        {
            callback(state);
        }
    }

    internal void OnTaskDone()
    {
        if (LiveIndex >= 0)
        {
            Loop.RemoveLive(this);
        }

        _waitingOn = null;
        if (_extras is { } extras)
        {
            extras.SpareWaiter = null;
        }
    }

    // ---- cancellation ---------------------------------------------------------------------------

    internal bool Cancel(string? message)
    {
        Loop.CheckThread();
        if (Task.IsDone)
        {
            return false;
        }

        _cancelRequests++;
        if (message is not null)
        {
            Extras.CancelMessage = message;
        }

        CancelToken();
        if (CancelWaits(message))
        {
            // As asyncio, keep the wait: it may be a task that swallows the cancellation, so a later
            // request must be able to cancel it again.
            return true;
        }

        _mustCancel = true;
        if (_extras is not null)
        {
            _extras.CancelMessage = message;
        }

        return true;
    }

    internal int Uncancel()
    {
        Loop.CheckThread();
        if (_cancelRequests > 0)
        {
            _cancelRequests--;
            if (_cancelRequests == 0)
            {
                _mustCancel = false;
                if (_extras?.Cts is { IsCancellationRequested: true })
                {
                    // Every request was withdrawn: later .NET calls get a token that is not cancelled.
                    _extras.Cts = null;
                }
            }
        }

        return _cancelRequests;
    }

    internal bool ConsumeMustCancel(out string? message)
    {
        if (!_mustCancel)
        {
            message = null;
            return false;
        }

        message = _extras?.CancelMessage;
        _mustCancel = false;
        return true;
    }

    internal CancellationToken Token
    {
        get
        {
            TaskExtras extras = Extras;
            if (extras.Cts is null)
            {
                extras.Cts = new CancellationTokenSource();
                if (_cancelRequests > 0 && !Task.IsDone)
                {
                    extras.Cts.Cancel();
                }
            }

            return extras.Cts.Token;
        }
    }

    private void CancelToken()
    {
        CancellationTokenSource? cts = _extras?.Cts;
        if (cts is null || cts.IsCancellationRequested)
        {
            return;
        }

        Loop.CancelTokenSource(cts, Task);
    }

    private bool CancelWaits(string? message)
    {
        object? waitingOn = _waitingOn;
        if (waitingOn is ICancellableWait single)
        {
            return single.CancelWait(message);
        }

        if (waitingOn is List<ICancellableWait> list)
        {
            bool any = false;
            foreach (ICancellableWait wait in list.ToArray())
            {
                any |= wait.CancelWait(message);
            }

            return any;
        }

        return false;
    }

    /// <summary>The task starts waiting on <paramref name="wait"/>. A cancellation requested while the
    /// task was running is delivered by cancelling this wait, as asyncio does in <c>__step</c>.</summary>
    internal void BeginWait(ICancellableWait wait)
    {
        object? waitingOn = _waitingOn;
        if (waitingOn is null)
        {
            _waitingOn = wait;
        }
        else if (waitingOn is List<ICancellableWait> list)
        {
            list.Add(wait);
        }
        else
        {
            _waitingOn = new List<ICancellableWait>(2) { (ICancellableWait)waitingOn, wait };
        }

        if (_mustCancel && wait.CancelWait(_extras?.CancelMessage))
        {
            _mustCancel = false;
        }
    }

    /// <summary>The task resumed from <paramref name="wait"/>. If a cancellation arrived after the wait
    /// finished, it is thrown now, at the resumption — the moment asyncio's <c>__step</c> would throw it.
    /// When the wait itself ended cancelled, the caller throws that cancellation (with its message) and a
    /// pending request is simply consumed, as <c>__step</c> keeps the <c>CancelledError</c> it was given.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void EndWait(ICancellableWait wait, bool waitWasCancelled = false)
    {
        if (ReferenceEquals(_waitingOn, wait))
        {
            _waitingOn = null;
            if (_mustCancel)
            {
                DeliverPendingCancellation(waitWasCancelled);
            }
        }
        else if (_waitingOn is List<ICancellableWait> list)
        {
            EndOneOfMany(list, wait, waitWasCancelled);
        }
    }

    private void EndOneOfMany(List<ICancellableWait> list, ICancellableWait wait, bool waitWasCancelled)
    {
        if (!list.Remove(wait))
        {
            return;
        }

        if (list.Count == 0)
        {
            _waitingOn = null;
        }

        if (_mustCancel)
        {
            DeliverPendingCancellation(waitWasCancelled);
        }
    }

    private void DeliverPendingCancellation(bool waitWasCancelled)
    {
        if (waitWasCancelled)
        {
            _mustCancel = false;
            return;
        }

        ThrowPendingCancellation();
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void ThrowPendingCancellation()
    {
        _mustCancel = false;
        throw new CancelledException(_extras?.CancelMessage);
    }

    // ---- the built-in sleep slot ----------------------------------------------------------------

    /// <summary>Claims the task's sleep slot for one sleep; false when another sleep of this task is
    /// already using it.</summary>
    internal bool TryReserveSleep()
    {
        if (_sleep.Status != SleepState.Idle)
        {
            return false;
        }

        _sleep.Status = SleepState.Reserved;
        return true;
    }

    public int TimerIndex
    {
        get => _sleep.TimerIndex;
        set => _sleep.TimerIndex = value;
    }

    public void Arm(EventLoop loop, long deadline, TaskCore? owner) =>
        Sleeping.Arm(ref _sleep, this, loop, deadline, owner);

    public void SetWaker(IFutureWaiter waker) => Sleeping.SetWaker(ref _sleep, Loop, waker);

    public void OnTimer(EventLoop loop) => Sleeping.Fire(ref _sleep, loop);

    public bool CancelWait(string? message)
    {
        if (!Sleeping.Cancel(ref _sleep, this, Loop))
        {
            return false;
        }

        if (message is not null)
        {
            Extras.SleepCancelMessage = message;
        }

        return true;
    }

    public void Finish()
    {
        bool cancelled = Sleeping.Release(ref _sleep);
        EndWait(this, cancelled);
        if (cancelled)
        {
            string? message = _extras?.SleepCancelMessage;
            if (_extras is not null)
            {
                _extras.SleepCancelMessage = null;
            }

            throw new CancelledException(message);
        }
    }

    // ---- continuations --------------------------------------------------------------------------

    /// <summary>A waiter for an <see cref="Action"/> continuation, reusing one cached instance when free
    /// so that ordinary async methods awaiting loop awaitables in a loop allocate nothing.</summary>
    internal ContinuationWaiter RentContinuationWaiter(Action continuation)
    {
        TaskExtras extras = Extras;
        ContinuationWaiter? spare = extras.SpareWaiter;
        if (spare is not null && spare.IsFree)
        {
            spare.Set(continuation, this);
            return spare;
        }

        var waiter = new ContinuationWaiter(continuation, this);
        extras.SpareWaiter ??= waiter;
        return waiter;
    }

    /// <summary>The continuation a coroutine of this task hands to a foreign awaiter; one cached delegate
    /// per task, since a task normally waits on one thing at a time.</summary>
    internal Action? TakeForeignContinuation(AioTask box)
    {
        TaskExtras extras = Extras;
        if (extras.ForeignBox is not null)
        {
            return null;
        }

        extras.ForeignBox = box;
        return extras.ForeignAction ??= RunForeignContinuation;
    }

    /// <summary>
    /// Takes back the coroutine behind <paramref name="continuation"/> if it is this task's foreign
    /// continuation: a loop awaitable reached through a .NET awaiter (a <see cref="ValueTask"/> of a lock
    /// or queue) can then resume the coroutine directly, as a loop awaiter would.
    /// </summary>
    /// <returns>The suspended coroutine, or null when <paramref name="continuation"/> is something else.</returns>
    internal AioTask? TakeForeignBox(Action continuation)
    {
        TaskExtras? extras = _extras;
        if (extras is null || !ReferenceEquals(extras.ForeignAction, continuation))
        {
            return null;
        }

        AioTask? box = extras.ForeignBox;
        extras.ForeignBox = null;
        return box;
    }

    private void RunForeignContinuation()
    {
        if (!Loop.IsRunningOnCurrentThread)
        {
            // The foreign awaiter ignored the synchronization context (ConfigureAwait(false), a custom
            // awaiter): hop back to the loop thread before touching the coroutine.
            Loop.EnqueueFromAnyThread(s_runForeign, this, null);
            return;
        }

        TaskExtras extras = _extras!;
        AioTask box = extras.ForeignBox!;
        extras.ForeignBox = null;
        box.Resume();
    }

    // ---- SynchronizationContext -----------------------------------------------------------------

    /// <inheritdoc/>
    public override void Post(SendOrPostCallback d, object? state)
    {
        // One delegate per task, created on the first post, so posts themselves allocate nothing.
        TaskExtras extras = Extras;
        extras.PostRunner ??= (callback, s) => RunPosted((SendOrPostCallback)callback!, s);
        Loop.EnqueueFromAnyThread(extras.PostRunner, d, state);
    }

    /// <inheritdoc/>
    public override void Send(SendOrPostCallback d, object? state)
    {
        if (Loop.IsRunningOnCurrentThread)
        {
            RunPosted(d, state);
        }
        else
        {
            Loop.SendFromOtherThread(s => RunPosted(d, s), state);
        }
    }

    /// <inheritdoc/>
    public override SynchronizationContext CreateCopy() => this;

    /// <summary>The state few tasks need, kept out of <see cref="TaskCore"/> so the common task stays small.</summary>
    private sealed class TaskExtras
    {
        public string? Name;
        public string? CancelMessage;
        public string? SleepCancelMessage;
        public CancellationTokenSource? Cts;
        public AioTask? ForeignBox;
        public Action? ForeignAction;
        public ContinuationWaiter? SpareWaiter;
        public Action<object?, object?>? PostRunner;
    }
}
