using System.Runtime.CompilerServices;

namespace Aio;

public sealed partial class EventLoop
{
    /// <summary>Tasks that have suspended at least once and are not done. A task joins only when its first
    /// step suspends: until then the ready queue holds it, and a task that finishes in its first step (a
    /// common case) never pays for the table at all.</summary>
    private TaskCore?[] _live = new TaskCore?[64];
    private int _liveCount;

    /// <summary>Tasks whose first step is still in the ready queue.</summary>
    private int _pendingFirstSteps;
    private int _taskCounter;

    /// <summary>Creates a pending future on this loop; asyncio's <c>create_future()</c>.</summary>
    /// <typeparam name="T">The type of its result.</typeparam>
    /// <returns>The future.</returns>
    public Future<T> CreateFuture<T>()
    {
        CheckThread();
        CheckClosed();
        var future = new Future<T>(this);
        if (_debug)
        {
            RecordOrigin(future);
        }

        return future;
    }

    /// <summary>Schedules <paramref name="coroutine"/> to run as a task; asyncio's <c>create_task</c>.
    /// Its first step runs on a later loop iteration, in a copy of the current AsyncLocal values.</summary>
    /// <param name="coroutine">The coroutine, not yet started.</param>
    /// <param name="name">The task's name; <c>Task-N</c> when null.</param>
    /// <param name="callerFile">Filled in by the compiler: where the task is created.</param>
    /// <param name="callerLine">Filled in by the compiler.</param>
    /// <returns>The task.</returns>
    /// <exception cref="InvalidOperationException">The coroutine was already started, or the loop is closed.</exception>
    /// <remarks>Loop thread only.</remarks>
    public AioTask CreateTask(
        Coroutine coroutine,
        string? name = null,
        [CallerFilePath] string callerFile = "",
        [CallerLineNumber] int callerLine = 0)
    {
        return Spawn(coroutine.Box ?? new CompletedTask(), name, callerFile, callerLine);
    }

    /// <summary>Schedules <paramref name="coroutine"/> to run as a task; asyncio's <c>create_task</c>.</summary>
    /// <typeparam name="T">The type of the result.</typeparam>
    /// <param name="coroutine">The coroutine, not yet started.</param>
    /// <param name="name">The task's name; <c>Task-N</c> when null.</param>
    /// <param name="callerFile">Filled in by the compiler.</param>
    /// <param name="callerLine">Filled in by the compiler.</param>
    /// <returns>The task.</returns>
    /// <exception cref="InvalidOperationException">The coroutine was already started, or the loop is closed.</exception>
    /// <remarks>Loop thread only.</remarks>
    public AioTask<T> CreateTask<T>(
        Coroutine<T> coroutine,
        string? name = null,
        [CallerFilePath] string callerFile = "",
        [CallerLineNumber] int callerLine = 0)
    {
        AioTask<T> box = coroutine.Box ?? new CompletedTask<T>();
        Spawn(box, name, callerFile, callerLine);
        return box;
    }

    /// <summary>Runs an ordinary <c>async Task</c> delegate as a task. The delegate is called at the task's
    /// first step, so the task can be cancelled before anything runs.</summary>
    /// <param name="function">The delegate.</param>
    /// <param name="name">The task's name; <c>Task-N</c> when null.</param>
    /// <param name="callerFile">Filled in by the compiler.</param>
    /// <param name="callerLine">Filled in by the compiler.</param>
    /// <returns>The task.</returns>
    /// <remarks>Loop thread only.</remarks>
    public AioTask CreateTask(
        Func<Task> function,
        string? name = null,
        [CallerFilePath] string callerFile = "",
        [CallerLineNumber] int callerLine = 0)
    {
        ArgumentNullException.ThrowIfNull(function);
        return Spawn(new DelegateTask<object?>(function, DelegateResults.None), name, callerFile, callerLine);
    }

    /// <summary>Runs an ordinary <c>async Task&lt;T&gt;</c> delegate as a task.</summary>
    /// <typeparam name="T">The type of the result.</typeparam>
    /// <param name="function">The delegate.</param>
    /// <param name="name">The task's name; <c>Task-N</c> when null.</param>
    /// <param name="callerFile">Filled in by the compiler.</param>
    /// <param name="callerLine">Filled in by the compiler.</param>
    /// <returns>The task.</returns>
    /// <remarks>Loop thread only.</remarks>
    public AioTask<T> CreateTask<T>(
        Func<Task<T>> function,
        string? name = null,
        [CallerFilePath] string callerFile = "",
        [CallerLineNumber] int callerLine = 0)
    {
        ArgumentNullException.ThrowIfNull(function);
        var task = new DelegateTask<T>(function, DelegateResults.Of<T>);
        Spawn(task, name, callerFile, callerLine);
        return task;
    }

    /// <summary>Every task of this loop that is not done yet; asyncio's <c>all_tasks()</c>.</summary>
    /// <returns>A snapshot.</returns>
    /// <remarks>Loop thread only.</remarks>
    public IReadOnlyList<AioTask> AllTasks()
    {
        CheckThread();
        return CollectTasks();
    }

    /// <summary><see cref="AllTasks"/> without the thread check, for diagnostics.</summary>
    internal List<AioTask> CollectTasks()
    {
        var tasks = new List<AioTask>(_liveCount + _pendingFirstSteps + 1);

        // A task running its first step is neither queued nor in the table yet.
        if (CurrentTaskCore is { LiveIndex: < 0 } running && !running.Task.IsDone)
        {
            tasks.Add(running.Task);
        }

        if (_pendingFirstSteps > 0)
        {
            foreach (object? core in Ready.StatesOf(TaskCore.s_firstStep))
            {
                tasks.Add(((TaskCore)core!).Task);
            }
        }

        for (int i = 0; i < _liveCount; i++)
        {
            tasks.Add(_live[i]!.Task);
        }

        return tasks;
    }

    /// <summary>How many tasks are alive (not done), including those whose first step is pending.</summary>
    internal int LiveTaskCount => _liveCount + _pendingFirstSteps;

    /// <summary>Called by a task when its first step is about to run.</summary>
    internal void OnFirstStep() => _pendingFirstSteps--;

    private AioTask Spawn(AioTask box, string? name, string callerFile, int callerLine)
    {
        CheckThread();
        return SpawnOnLoopThread(box, name, callerFile, callerLine);
    }

    /// <summary>Spawns from code that already knows it runs on this loop's thread.</summary>
    internal AioTask SpawnOnLoopThread(AioTask box, string? name, string callerFile, int callerLine)
    {
        CheckClosed();
        box.MarkStarted();
        box._loop = this;
        var core = new TaskCore(box, ++_taskCounter, name, callerFile, callerLine);
        box._core = core;
        box._ec = ExecutionContext.Capture();
        _pendingFirstSteps++;
        Ready.Enqueue(TaskCore.s_firstStep, core, null);
        if (_debug)
        {
            RecordOrigin(box);
        }

        return box;
    }

    internal void AddLive(TaskCore core)
    {
        if (_liveCount == _live.Length)
        {
            Array.Resize(ref _live, _live.Length * 2);
        }

        core.LiveIndex = _liveCount;
        _live[_liveCount++] = core;
    }

    internal void RemoveLive(TaskCore core)
    {
        int i = core.LiveIndex;
        if (i < 0)
        {
            return;
        }

        int last = --_liveCount;
        TaskCore moved = _live[last]!;
        _live[i] = moved;
        moved.LiveIndex = i;
        _live[last] = null;
        core.LiveIndex = -1;
    }

    /// <summary>Gives back the memory bursts grew in the loop's queues; called when the loop goes idle.</summary>
    private void TrimBuffers()
    {
        Ready.TrimExcess();
        _threadsafe.TrimExcess();
        Timers.TrimExcess();
        if (_live.Length > 1024 && _liveCount < _live.Length / 8)
        {
            Array.Resize(ref _live, Math.Max(64, (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)Math.Max(1, _liveCount * 2))));
        }
    }

    // ---- run until complete ---------------------------------------------------------------------

    /// <summary>Runs <paramref name="coroutine"/> as a task and the loop until it is done; asyncio's
    /// <c>run_until_complete</c>.</summary>
    /// <param name="coroutine">The coroutine.</param>
    /// <exception cref="InvalidOperationException">The loop stopped before the task was done.</exception>
    /// <remarks>Rethrows the coroutine's exception.</remarks>
    public void RunUntilComplete(Coroutine coroutine)
    {
        CheckCanRun();
        RunUntilComplete((Future)CreateTask(coroutine));
    }

    /// <summary>Runs <paramref name="coroutine"/> as a task and the loop until it is done.</summary>
    /// <typeparam name="T">The type of the result.</typeparam>
    /// <param name="coroutine">The coroutine.</param>
    /// <returns>The coroutine's result.</returns>
    /// <exception cref="InvalidOperationException">The loop stopped before the task was done.</exception>
    public T RunUntilComplete<T>(Coroutine<T> coroutine)
    {
        CheckCanRun();
        return RunUntilComplete(CreateTask(coroutine));
    }

    /// <summary>Runs the loop until <paramref name="task"/> is done and returns its result.</summary>
    /// <typeparam name="T">The type of the result.</typeparam>
    /// <param name="task">The task.</param>
    /// <returns>The result.</returns>
    /// <exception cref="InvalidOperationException">The loop stopped before the task was done.</exception>
    public T RunUntilComplete<T>(AioTask<T> task)
    {
        RunUntilDone(task);
        return task.Result;
    }

    /// <summary>Runs the loop until <paramref name="future"/> is done and returns its result.</summary>
    /// <typeparam name="T">The type of the result.</typeparam>
    /// <param name="future">The future.</param>
    /// <returns>The result.</returns>
    /// <exception cref="InvalidOperationException">The loop stopped before the future was done.</exception>
    public T RunUntilComplete<T>(Future<T> future)
    {
        RunUntilDone(future);
        return future.Result;
    }

    /// <summary>Runs the loop until <paramref name="future"/> is done; rethrows its exception.</summary>
    /// <param name="future">The future or task.</param>
    /// <exception cref="InvalidOperationException">The loop stopped before the future was done.</exception>
    public void RunUntilComplete(Future future)
    {
        RunUntilDone(future);
        future.ThrowIfNotSucceeded();
    }

    private void RunUntilDone(Future future)
    {
        ArgumentNullException.ThrowIfNull(future);
        CheckCanRun();

        if (!ReferenceEquals(future.LoopOrNull, this))
        {
            throw new ArgumentException("The future belongs to another event loop.", nameof(future));
        }

        var stopper = new StopWaiter(this);
        if (future.IsDone)
        {
            // As asyncio: still one iteration, so callbacks the future's completion scheduled run.
            _stopping = true;
            RunForever();
            return;
        }

        future.AddWaiter(stopper);
        try
        {
            RunForever();
        }
        finally
        {
            future.RemoveWaiter(stopper);
        }

        if (!future.IsDone)
        {
            throw new InvalidOperationException("The event loop stopped before the future completed.");
        }
    }

    /// <summary>Stops the loop when the future it waits on is done.</summary>
    private sealed class StopWaiter(EventLoop loop) : IFutureWaiter
    {
        public void OnCompleted(Future? future) => loop._stopping = true;
    }
}
