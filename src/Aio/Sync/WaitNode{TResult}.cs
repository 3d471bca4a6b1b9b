using System.Diagnostics;
using System.Threading.Tasks.Sources;
using Aio.CompilerServices;

namespace Aio.Sync;

/// <summary>
/// A <see cref="WaitNode"/> that is also the <see cref="IValueTaskSource{TResult}"/> behind the
/// <see cref="ValueTask{TResult}"/> (or <see cref="ValueTask"/>) a primitive's <c>...Async</c> method
/// returns. Pooled per primitive; the version token makes a stale <see cref="ValueTask"/> fail loudly
/// instead of reading a reused node — the design of Channels' <c>AsyncOperation&lt;T&gt;</c>.
/// </summary>
/// <typeparam name="TResult">The type of the wait's result.</typeparam>
internal sealed class WaitNode<TResult> : WaitNode, IValueTaskSource<TResult>, IValueTaskSource
{
    private static readonly Action<object?, object?> s_resume = static (node, _) => ((WaitNode<TResult>)node!).Resume();

    private readonly EventLoop _loop;
    private readonly IWaitOwner<TResult> _owner;
    private short _version;
    private Action<object?>? _continuation;
    private object? _continuationState;
    private ExecutionContext? _executionContext;

    /// <summary>The task of a waiter that is not a coroutine awaiting directly (see <see cref="WaitingTask"/>).</summary>
    private TaskCore? _task;

    /// <summary>The continuation resumes with no synchronization context (see
    /// <see cref="WaitNode.ResumeWithoutContext"/>).</summary>
    private bool _withoutContext;

    internal WaitNode(EventLoop loop, IWaitOwner<TResult> owner)
    {
        _loop = loop;
        _owner = owner;
    }

    /// <summary>A value that travels with the wait: the item a waiting put will add, or the item
    /// handed to a waiting get.</summary>
    internal TResult? Value;

    internal WaitNode<TResult>? NextFree;

    internal EventLoop Loop => _loop;

    /// <summary>The token of the current use; it changes each time the node is released.</summary>
    internal short Version => _version;

    internal override IWaitOwner Owner => _owner;

    /// <summary>The task the wait belongs to: a coroutine's own, or the one that was running when the
    /// continuation was registered. Derived rather than stored for a coroutine, to spare a write at every
    /// wait.</summary>
    private TaskCore? WaitingTask => _box is { } box ? box._core : _task;

    internal ValueTask<TResult> AsValueTask() => new(this, _version);

    internal ValueTask AsVoidValueTask() => new(this, _version);

    public ValueTaskSourceStatus GetStatus(short token)
    {
        CheckToken(token);
        return Status switch
        {
            Waiting => ValueTaskSourceStatus.Pending,
            Granted => CancelPending ? ValueTaskSourceStatus.Canceled : ValueTaskSourceStatus.Succeeded,
            Cancelled => ValueTaskSourceStatus.Canceled,
            _ => ValueTaskSourceStatus.Faulted,
        };
    }

    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags)
    {
        CheckToken(token);
        if (!_loop.IsRunningOnCurrentThread)
        {
            throw new InvalidOperationException(
                "A wait on a loop primitive can only be awaited on its event loop's thread.");
        }

        // The scheduling context is ignored on purpose: a loop wait always resumes on the loop, as the
        // task (or plain callback) that awaited it — at most without a synchronization context, for a wait
        // that asks for that (ResumeWithoutContext).
        if (state is Action action && action.Target is TaskCore owner && owner.TakeForeignBox(action) is { } box)
        {
            // A coroutine awaits the ValueTask: its builder handed the ValueTask's awaiter the task's
            // foreign continuation. Resume the coroutine itself instead, as loop awaiters do — one step
            // scope instead of two, and no delegate calls.
            Debug.Assert(ReferenceEquals(box._core, owner), "A task's foreign continuation resumes its own coroutines.");
            _box = box;
        }
        else
        {
            if ((flags & ValueTaskSourceOnCompletedFlags.FlowExecutionContext) != 0)
            {
                _executionContext = ExecutionContext.Capture();
            }

            _continuation = continuation;
            _continuationState = state;
            _task = _loop.CurrentTaskCore;
            _withoutContext = ResumeWithoutContext && (flags & ValueTaskSourceOnCompletedFlags.UseSchedulingContext) == 0;
        }

        BeginWait();
    }

    /// <summary>A coroutine awaiting the <see cref="ValueTask"/> registers itself (see
    /// <see cref="ValueTaskAwaiterRegistrar"/>): the same as <see cref="OnCompleted"/>'s first branch,
    /// without the thread check — a coroutine of this loop runs its steps on the loop thread.</summary>
    internal override bool TryAwaitBy(AioTask box, short token)
    {
        if (box._core is null || !ReferenceEquals(box.LoopOrNull, _loop))
        {
            return false;
        }

        CheckToken(token);
        _box = box;
        BeginWait();
        return true;
    }

    private void BeginWait()
    {
        if (Status != Waiting)
        {
            Wake();
            return;
        }

        // Registering the wait may cancel it at once, if a cancellation is pending for the task.
        WaitingTask?.BeginWait(this);
    }

    internal override void Wake()
    {
        if (_continuation is not null || _box is not null)
        {
            _loop.Ready.Enqueue(s_resume, this, ResumeMarker);
        }
    }

    private void Resume()
    {
        if (_box is { } box)
        {
            // The coroutine's own step scope sets the task and its execution context.
            box.Resume();
            return;
        }

        Action<object?> continuation = _continuation!;
        object? state = _continuationState;
        if (_executionContext is { } context)
        {
            _executionContext = null;
            continuation = Continuations.RunIn(context, continuation);
        }

        if (_task is { } task)
        {
            task.RunAsTask(continuation, state, _withoutContext);
        }
        else
        {
            using (new PlainCallbackScope(_loop))
            {
                if (_withoutContext)
                {
                    _loop.InstallContext(null);
                }

                continuation(state);
            }
        }
    }

    public TResult GetResult(short token)
    {
        CheckToken(token);
        byte status = Status;
        bool granted = status == Granted;
        try
        {
            // A cancellation that arrived after the grant is delivered here, at the resumption — after
            // giving the grant back, so that it is neither kept nor lost. So is one that arrived after the
            // wait failed (a queue shut down, a barrier broken): a failed wait was not cancelled, and
            // asyncio's __step throws the pending CancelledError in place of the failure. Counting it as
            // cancelled would swallow the request while Cancel() had returned true.
            WaitingTask?.EndWait(this, waitWasCancelled: status == Cancelled || CancelPending);
        }
        catch
        {
            if (granted)
            {
                _owner.OnAbandoned(this);
            }

            Release();
            throw;
        }

        if (granted)
        {
            TResult result;
            try
            {
                result = _owner.OnGranted(this);
            }
            finally
            {
                Release();
            }

            return result;
        }

        Exception error = status == Failed ? Error! : new CancelledException(CancelMessage);
        Release();
        throw error;
    }

    void IValueTaskSource.GetResult(short token) => GetResult(token);

    private void Release()
    {
        _continuation = null;
        _continuationState = null;
        _executionContext = null;
        _task = null;
        _box = null;
        _withoutContext = false;
        ResumeWithoutContext = false;
        Value = default;
        Tag = null;
        Error = null;
        CancelMessage = null;
        CancelPending = false;
        GrantValue = 0;
        Status = Free;
        _version++;
        _owner.Return(this);
    }

    private void CheckToken(short token)
    {
        if (token != _version)
        {
            throw new InvalidOperationException("A ValueTask of a loop primitive was awaited twice, or after it completed.");
        }
    }
}

/// <summary>A bounded pool of wait nodes, embedded in a primitive.</summary>
/// <typeparam name="TResult">The type of the waits' results.</typeparam>
/// <remarks>Mutable struct: keep it in a field and call it in place. Bounded so that a burst of
/// waiters does not pin its peak memory forever.</remarks>
internal struct WaitNodePool<TResult>
{
    private const int MaxFree = 64;

    /// <summary>The node a primitive with one waiter at a time reuses: taking it and putting it back
    /// costs one write barrier, where the list costs three.</summary>
    private WaitNode<TResult>? _spare;

    private WaitNode<TResult>? _free;
    private int _count;

    internal WaitNode<TResult> Rent(EventLoop loop, IWaitOwner<TResult> owner)
    {
        WaitNode<TResult>? node = _spare;
        if (node is not null && ReferenceEquals(node.Loop, loop))
        {
            _spare = null;
            return node;
        }

        node = _free;
        if (node is null || !ReferenceEquals(node.Loop, loop))
        {
            // Empty, or the primitive moved to a new loop (its old one closed): start afresh.
            _spare = null;
            _free = null;
            _count = 0;
            return new WaitNode<TResult>(loop, owner);
        }

        _free = node.NextFree;
        node.NextFree = null;
        _count--;
        return node;
    }

    internal void Return(WaitNode<TResult> node)
    {
        if (_spare is null)
        {
            _spare = node;
        }
        else if (_count < MaxFree)
        {
            node.NextFree = _free;
            _free = node;
            _count++;
        }
    }
}
