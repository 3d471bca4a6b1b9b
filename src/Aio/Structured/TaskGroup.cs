using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;

namespace Aio;

/// <summary>
/// A group of tasks that cannot outlive the block that created them: asyncio's <c>TaskGroup</c>, Trio's
/// nursery. Use it through <see cref="AsyncIO.TaskGroup(Func{TaskGroup, Coroutine})"/>.
/// </summary>
/// <remarks>
/// <para>The block waits for every task of the group. The first task that fails cancels the other tasks
/// and the block itself; once all have finished, the group throws one <see cref="AggregateException"/>
/// ("unhandled errors in a TaskGroup") carrying every error that is not a cancellation. A cancellation
/// from outside cancels every task and travels on as a cancellation, not as a failure.</para>
/// <para>Loop thread only.</para>
/// </remarks>
public sealed class TaskGroup : IFutureWaiter
{
    private readonly EventLoop _loop;
    private readonly HashSet<AioTask> _tasks = new(ReferenceEqualityComparer.Instance);
    private readonly List<Exception> _errors = new();
    private TaskCore? _parent;
    private Future<bool>? _onCompleted;
    private bool _entered;
    private bool _exiting;
    private bool _aborting;
    private bool _parentCancelRequested;
    private bool _cancelOnEnter;

    internal TaskGroup(EventLoop loop)
    {
        _loop = loop;
    }

    /// <summary>For introspection: the task the group belongs to, which waits for its tasks.</summary>
    internal TaskCore? Parent => _parent;

    /// <summary>How many tasks of the group are still running.</summary>
    public int Count => _tasks.Count;

    /// <summary>Starts <paramref name="coroutine"/> as a task of the group; asyncio's
    /// <c>TaskGroup.create_task</c>.</summary>
    /// <param name="coroutine">The coroutine.</param>
    /// <param name="name">The task's name; <c>Task-N</c> when null.</param>
    /// <param name="callerFile">Filled in by the compiler.</param>
    /// <param name="callerLine">Filled in by the compiler.</param>
    /// <returns>The task.</returns>
    /// <exception cref="InvalidOperationException">The group has finished or is shutting down.</exception>
    public AioTask CreateTask(Coroutine coroutine, string? name = null, [CallerFilePath] string callerFile = "", [CallerLineNumber] int callerLine = 0)
    {
        CheckCanCreate();
        return Track(_loop.CreateTask(coroutine, name, callerFile, callerLine));
    }

    /// <summary>Starts <paramref name="coroutine"/> as a task of the group.</summary>
    /// <typeparam name="T">The type of the result.</typeparam>
    /// <param name="coroutine">The coroutine.</param>
    /// <param name="name">The task's name; <c>Task-N</c> when null.</param>
    /// <param name="callerFile">Filled in by the compiler.</param>
    /// <param name="callerLine">Filled in by the compiler.</param>
    /// <returns>The task.</returns>
    /// <exception cref="InvalidOperationException">The group has finished or is shutting down.</exception>
    public AioTask<T> CreateTask<T>(Coroutine<T> coroutine, string? name = null, [CallerFilePath] string callerFile = "", [CallerLineNumber] int callerLine = 0)
    {
        CheckCanCreate();
        AioTask<T> task = _loop.CreateTask(coroutine, name, callerFile, callerLine);
        Track(task);
        return task;
    }

    /// <summary>Starts an ordinary <c>async Task</c> delegate as a task of the group.</summary>
    /// <param name="function">The delegate; called at the task's first step.</param>
    /// <param name="name">The task's name; <c>Task-N</c> when null.</param>
    /// <param name="callerFile">Filled in by the compiler.</param>
    /// <param name="callerLine">Filled in by the compiler.</param>
    /// <returns>The task.</returns>
    /// <exception cref="InvalidOperationException">The group has finished or is shutting down.</exception>
    public AioTask CreateTask(Func<Task> function, string? name = null, [CallerFilePath] string callerFile = "", [CallerLineNumber] int callerLine = 0)
    {
        CheckCanCreate();
        return Track(_loop.CreateTask(function, name, callerFile, callerLine));
    }

    /// <summary>Starts an ordinary <c>async Task&lt;T&gt;</c> delegate as a task of the group.</summary>
    /// <typeparam name="T">The type of the result.</typeparam>
    /// <param name="function">The delegate; called at the task's first step.</param>
    /// <param name="name">The task's name; <c>Task-N</c> when null.</param>
    /// <param name="callerFile">Filled in by the compiler.</param>
    /// <param name="callerLine">Filled in by the compiler.</param>
    /// <returns>The task.</returns>
    /// <exception cref="InvalidOperationException">The group has finished or is shutting down.</exception>
    public AioTask<T> CreateTask<T>(Func<Task<T>> function, string? name = null, [CallerFilePath] string callerFile = "", [CallerLineNumber] int callerLine = 0)
    {
        CheckCanCreate();
        AioTask<T> task = _loop.CreateTask(function, name, callerFile, callerLine);
        Track(task);
        return task;
    }

    /// <summary>Starts <paramref name="coroutine"/> as a task of the group without returning it; Trio's
    /// <c>start_soon</c>. Use it when only the group needs the task (a bare <c>CreateTask</c> call would
    /// draw the compiler's "call is not awaited" warning).</summary>
    /// <param name="coroutine">The coroutine.</param>
    /// <param name="name">The task's name; <c>Task-N</c> when null.</param>
    /// <param name="callerFile">Filled in by the compiler.</param>
    /// <param name="callerLine">Filled in by the compiler.</param>
    /// <exception cref="InvalidOperationException">The group has finished or is shutting down.</exception>
    public void StartSoon(Coroutine coroutine, string? name = null, [CallerFilePath] string callerFile = "", [CallerLineNumber] int callerLine = 0)
    {
        CheckCanCreate();
        Track(_loop.CreateTask(coroutine, name, callerFile, callerLine));
    }

    /// <summary>Starts an ordinary <c>async Task</c> delegate as a task of the group without returning it.</summary>
    /// <param name="function">The delegate; called at the task's first step.</param>
    /// <param name="name">The task's name; <c>Task-N</c> when null.</param>
    /// <param name="callerFile">Filled in by the compiler.</param>
    /// <param name="callerLine">Filled in by the compiler.</param>
    /// <exception cref="InvalidOperationException">The group has finished or is shutting down.</exception>
    public void StartSoon(Func<Task> function, string? name = null, [CallerFilePath] string callerFile = "", [CallerLineNumber] int callerLine = 0)
    {
        CheckCanCreate();
        Track(_loop.CreateTask(function, name, callerFile, callerLine));
    }

    /// <summary>
    /// Cancels every task of the group and the block itself; the group then ends quietly, without a
    /// cancellation escaping it. Idempotent, and callable after the group has ended.
    /// </summary>
    public void Cancel()
    {
        _loop.CheckThread();
        if (!_entered)
        {
            _cancelOnEnter = true;
            return;
        }

        if (_exiting && _tasks.Count == 0)
        {
            return;
        }

        if (!_aborting)
        {
            Abort();
            if (_parent is not null && !_parentCancelRequested)
            {
                _parentCancelRequested = true;
                _parent.Cancel(null);
            }
        }
    }

    /// <summary>A description such as <c>&lt;TaskGroup tasks=2 entered&gt;</c>.</summary>
    /// <returns>The description.</returns>
    public override string ToString()
    {
        string state = _aborting ? " cancelling" : _entered ? " entered" : "";
        string tasks = _tasks.Count > 0 ? $" tasks={_tasks.Count}" : "";
        string errors = _errors.Count > 0 ? $" errors={_errors.Count}" : "";
        return $"<TaskGroup{tasks}{errors}{state}>";
    }

    internal void Enter()
    {
        if (_entered)
        {
            throw new InvalidOperationException("The task group has already been entered.");
        }

        _parent = _loop.CurrentTaskCore ?? throw new InvalidOperationException("A task group must be used inside a task.");
        _entered = true;
        if (_cancelOnEnter)
        {
            Cancel();
        }
    }

    /// <summary>Waits for every task and decides what the block ends with; asyncio's <c>_aexit</c>.
    /// Returns normally when the block's own exception (if any) is to be swallowed.</summary>
    /// <param name="exception">What the block threw, or null.</param>
    internal async Coroutine ExitAsync(Exception? exception)
    {
        _exiting = true;
        bool bodyCancelled = exception is not null && _parent!.IsOwnCancellation(exception);
        Exception? propagateCancellation = bodyCancelled ? exception : null;
        if (exception is not null && !_aborting)
        {
            // The block failed, or the parent is being cancelled: stop the children.
            Abort();
        }

        Exception? pendingCancellation = null;
        while (_tasks.Count > 0)
        {
            _onCompleted ??= new Future<bool>(_loop);
            try
            {
                await _onCompleted;
            }
            catch (OperationCanceledException ex)
            {
                pendingCancellation = ex;
                if (!_aborting)
                {
                    // The parent is cancelled while the block waits for its children.
                    propagateCancellation = ex;
                    Abort();
                }
            }

            _onCompleted = null;
        }

        if (_parentCancelRequested)
        {
            // We cancelled the parent ourselves: that request must be withdrawn.
            if (_parent!.Uncancel() == 0)
            {
                propagateCancellation = null;
            }
            else
            {
                // Someone else's cancellation is still pending: do not drop it.
                propagateCancellation ??= pendingCancellation;
            }
        }

        if (propagateCancellation is not null && _errors.Count == 0)
        {
            ExceptionDispatchInfo.Throw(propagateCancellation);
        }

        if (exception is not null && !bodyCancelled)
        {
            _errors.Add(exception);
        }

        if (_errors.Count > 0)
        {
            if (_parent!.CancelRequests > 0)
            {
                // Keep an outside cancellation pending after we leave.
                _parent.Uncancel();
                _parent.Cancel(null);
            }

            throw new AggregateException("unhandled errors in a TaskGroup", _errors);
        }
    }

    private void CheckCanCreate()
    {
        _loop.CheckThread();
        if (!_entered)
        {
            throw new InvalidOperationException("The task group has not been entered.");
        }

        if (_exiting && _tasks.Count == 0)
        {
            throw new InvalidOperationException("The task group is finished.");
        }

        if (_aborting)
        {
            throw new InvalidOperationException("The task group is shutting down.");
        }
    }

    private AioTask Track(AioTask task)
    {
        _tasks.Add(task);
        task.AddWaiter(this);
        return task;
    }

    private void Abort()
    {
        _aborting = true;
        foreach (AioTask task in _tasks)
        {
            if (!task.IsDone)
            {
                task.Cancel();
            }
        }
    }

    void IFutureWaiter.OnCompleted(Future? future)
    {
        var task = (AioTask)future!;
        _tasks.Remove(task);
        if (_onCompleted is { IsDone: false } onCompleted && _tasks.Count == 0)
        {
            onCompleted.TrySetResult(true);
        }

        if (task.IsCancelled)
        {
            return;
        }

        Exception? error = task.Exception;
        if (error is null)
        {
            return;
        }

        _errors.Add(error);
        if (_parent!.Task.IsDone)
        {
            _loop.CallExceptionHandler(new LoopExceptionContext(
                $"Task {task} has errored out but its parent task {_parent.Task} is already completed", error)
            {
                Task = task,
            });
            return;
        }

        if (!_aborting && !_parentCancelRequested)
        {
            // Cancel the block too, so whatever it awaits stops; ExitAsync withdraws this request.
            Abort();
            _parentCancelRequested = true;
            _parent.Cancel(null);
        }
    }
}
