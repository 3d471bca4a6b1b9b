namespace Aio.Sync;

/// <summary>
/// One coroutine waiting in a <see cref="ParkingLot"/>: the single wait record behind every lock,
/// semaphore, event, condition, barrier, limiter and queue wait. It is also the task's current wait (so
/// cancelling the task cancels it) and, through <see cref="WaitNode{TResult}"/>, the
/// <see cref="System.Threading.Tasks.Sources.IValueTaskSource"/> the waiting code awaits.
/// </summary>
/// <remarks>
/// A node ends in one of three ways. Granted: the primitive handed it what it waited for (the lock, a
/// permit, a notification, an item); the waiter now owns that. Cancelled: it left the lot with nothing.
/// Failed: the primitive ended the wait with an error (a queue shut down, a barrier broken). A granted
/// waiter whose task is cancelled before it resumes gives the grant back through
/// <see cref="IWaitOwner.OnAbandoned"/>, so a cancellation can neither keep a lock nor lose a wake-up.
/// </remarks>
internal abstract class WaitNode : ICancellableWait, Diagnostics.IDescribedWait
{
    internal const byte Free = 0;
    internal const byte Waiting = 1;
    internal const byte Granted = 2;
    internal const byte Cancelled = 3;
    internal const byte Failed = 4;

    /// <summary>The lot the node waits in; meaningful only while <see cref="Status"/> is
    /// <see cref="Waiting"/> (leaving a lot does not clear it, to spare a write at every park).</summary>
    internal ParkingLot? Lot;
    internal WaitNode? Previous;
    internal WaitNode? Next;
    internal byte Status;

    /// <summary>What the wait is for, when one owner parks several kinds of waits (a queue's gets, puts
    /// and joins).</summary>
    internal byte Role;

    /// <summary>A cancellation arrived while the node must keep waiting (a condition waiter that has to
    /// get its lock back first); the wait ends with that cancellation once granted.</summary>
    internal bool CancelPending;

    /// <summary>A small value carried by the grant (a barrier index, a queue's shutdown epoch).</summary>
    internal int GrantValue;

    /// <summary>An object the owner attaches to the wait (a capacity limiter's borrower).</summary>
    internal object? Tag;

    internal string? CancelMessage;

    /// <summary>
    /// Set by the primitive for a wait that .NET library code awaits (a connection stream's read or drain):
    /// a continuation registered without asking for the scheduling context — <c>ConfigureAwait(false)</c>,
    /// as libraries await — resumes on the loop thread as its task, but with no synchronization context.
    /// </summary>
    /// <remarks>.NET runs the continuations of a completing <see cref="Task"/> inline only where no custom
    /// synchronization context is installed, and queues them to the thread pool otherwise. Under the task's
    /// context, SslStream completing one of its own Task-based steps would move the rest of its work to a
    /// pool thread; without one, it carries on inline, on the loop.</remarks>
    internal bool ResumeWithoutContext;

    /// <summary>The exception a failed wait throws.</summary>
    internal Exception? Error;

    /// <summary>The suspended coroutine to resume, when the waiter is one that awaits the wait directly
    /// (see <see cref="WaitNode{TResult}.OnCompleted"/>). Here rather than in the generic class so that the
    /// ready queue can reach it, to warm it up, without knowing the result type.</summary>
    private protected AioTask? _box;

    /// <summary>The argument of the ready-queue entry that resumes a wait's waiter: it tells the queue's
    /// look-ahead (<see cref="ReadyQueue.PrefetchAhead"/>) that the entry's state is a wait node, without a
    /// type check — one more memory read, and a call to the runtime's cast helper, per entry.</summary>
    internal static readonly object ResumeMarker = new();

    /// <summary>The primitive that decides what cancelling, granting and abandoning this wait mean.</summary>
    internal abstract IWaitOwner Owner { get; }

    /// <summary>Cancels a waiting node (its task was cancelled, or a timeout fired).</summary>
    /// <returns>False when the wait already ended or already has a cancellation pending; the task then
    /// remembers the request and delivers it when it resumes.</returns>
    public bool CancelWait(string? message)
    {
        if (Status != Waiting || CancelPending)
        {
            return false;
        }

        return Owner.CancelWaiting(this, message);
    }

    /// <summary>The usual cancellation: leave the lot and wake up with a <see cref="CancelledException"/>.</summary>
    internal void LeaveCancelled(string? message)
    {
        Lot!.Remove(this);
        EndCancelled(message);
    }

    /// <summary>Ends a waiting node with a cancellation; for an owner that keeps its waiter without a
    /// lot (a socket's one receive and one send), which has already forgotten it.</summary>
    internal void EndCancelled(string? message)
    {
        Status = Cancelled;
        CancelMessage = message;
        Wake();
    }

    /// <summary>Ends a waiting node with <paramref name="error"/>: it leaves its lot and wakes up failed.</summary>
    internal void LeaveFailed(Exception error)
    {
        Lot!.Remove(this);
        Fail(error);
    }

    /// <summary>Hands the waiter what it waited for and wakes it. The caller has removed it from its lot.</summary>
    internal void Grant(int value = 0)
    {
        Status = Granted;
        GrantValue = value;
        Wake();
    }

    /// <summary>Ends the wait with an exception. The caller has removed it from its lot.</summary>
    internal void Fail(Exception error)
    {
        Status = Failed;
        Error = error;
        Wake();
    }

    /// <summary>Schedules the waiting code to resume (if it has already suspended).</summary>
    internal abstract void Wake();

    /// <summary>Registers the suspended coroutine <paramref name="box"/>, which awaits this wait's
    /// <see cref="ValueTask"/>, to resume when the wait ends — as with a loop awaiter: no continuation
    /// delegate, no thread check. See <see cref="CompilerServices.ValueTaskAwaiterRegistrar"/>.</summary>
    /// <param name="box">The coroutine, in the middle of its step on the loop thread.</param>
    /// <param name="token">The <see cref="ValueTask"/>'s token.</param>
    /// <returns>False when the coroutine must go the ordinary way, through <c>OnCompleted</c> (it runs on
    /// another loop, or outside any task).</returns>
    /// <remarks>A wait node is the only kind of source this is done for: the check for it is one step of
    /// the class hierarchy, and a deeper hierarchy would slow down <see cref="ValueTask"/>'s own type
    /// checks, which run at every await.</remarks>
    internal abstract bool TryAwaitBy(AioTask box, short token);

    /// <summary>The coroutine suspended on this wait, when one awaits it directly: for the task tree, and
    /// for the ready queue's look-ahead.</summary>
    internal AioTask? WaitingCoroutine => _box;

    /// <inheritdoc/>
    string Diagnostics.IDescribedWait.DescribeWait(EventLoop loop) =>
        Owner.DescribeWait(this) + (Status == Granted ? " (granted; resuming)" : "");

    /// <inheritdoc/>
    AioTask? Diagnostics.IDescribedWait.WaitingCoroutine => WaitingCoroutine;
}

/// <summary>What a primitive does with the waits it parks.</summary>
internal interface IWaitOwner
{
    /// <summary>A waiting node's task was cancelled. Usually it just leaves (the default); a condition
    /// variable instead sends it to reacquire the lock first.</summary>
    /// <returns>Whether the wait will end with the cancellation.</returns>
    bool CancelWaiting(WaitNode node, string? message)
    {
        node.LeaveCancelled(message);
        return true;
    }

    /// <summary>A granted waiter will not take its grant (its task was cancelled before it resumed):
    /// give it back — release the lock, return the permit, pass the notification or the item on.</summary>
    void OnAbandoned(WaitNode node);

    /// <summary>For the task tree: what to call <paramref name="node"/>'s wait, such as <c>AsyncLock</c>.</summary>
    /// <returns>The primitive's type name, unless the owner says better.</returns>
    string DescribeWait(WaitNode node) => Diagnostics.TaskTreeCapture.TypeName(GetType());
}

/// <summary>What a primitive produces for a waiter that was granted.</summary>
/// <typeparam name="TResult">The type of the wait's result.</typeparam>
internal interface IWaitOwner<TResult> : IWaitOwner
{
    /// <summary>The result of a granted wait, computed as the waiter resumes. May throw instead (a
    /// queue shut down immediately after the grant, a condition waiter that was cancelled).</summary>
    TResult OnGranted(WaitNode<TResult> node);

    /// <summary>Gives a finished node back to the primitive's pool.</summary>
    void Return(WaitNode<TResult> node);
}
