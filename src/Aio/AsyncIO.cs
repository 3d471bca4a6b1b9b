using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Aio.CompilerServices;

namespace Aio;

/// <summary>
/// asyncio's module-level functions: run a program (<see cref="Run(Coroutine, EventLoopOptions?)"/>),
/// spawn tasks, sleep, gather, wait, time out, shield, group tasks, and push work to threads.
/// Everything here acts on the loop running on the calling thread.
/// </summary>
/// <remarks>
/// Members that return an awaitable are cancellation points: if the task awaiting them is cancelled,
/// they end with <see cref="CancelledException"/>. Apart from <see cref="Run(Coroutine, EventLoopOptions?)"/>,
/// which starts its own loop, they must be called on a loop thread.
/// </remarks>
public static partial class AsyncIO
{
    /// <summary>
    /// Runs <paramref name="main"/> on a new event loop on this thread until it finishes, then cancels and
    /// awaits every task still alive, shuts the default executor down, closes the loop, and returns
    /// <paramref name="main"/>'s result or rethrows its exception; asyncio's <c>asyncio.run()</c>.
    /// </summary>
    /// <typeparam name="T">The type of the result.</typeparam>
    /// <param name="main">The main coroutine, not yet started.</param>
    /// <param name="options">Loop settings; null for the defaults.</param>
    /// <returns>The main coroutine's result.</returns>
    /// <exception cref="InvalidOperationException">A loop is already running on this thread.</exception>
    /// <exception cref="KeyboardInterruptException">Ctrl+C cancelled the main task (see
    /// <see cref="EventLoopOptions.HandleInterrupt"/>).</exception>
    public static T Run<T>(Coroutine<T> main, EventLoopOptions? options = null) =>
        Runner.Run(options, loop => loop.CreateTask(main, "Task-main"), static t => ((AioTask<T>)t).Result);

    /// <summary>Runs <paramref name="main"/> on a new event loop; see <see cref="Run{T}(Coroutine{T}, EventLoopOptions?)"/>.</summary>
    /// <param name="main">The main coroutine, not yet started.</param>
    /// <param name="options">Loop settings; null for the defaults.</param>
    /// <exception cref="InvalidOperationException">A loop is already running on this thread.</exception>
    /// <exception cref="KeyboardInterruptException">Ctrl+C cancelled the main task.</exception>
    public static void Run(Coroutine main, EventLoopOptions? options = null) =>
        Runner.Run<object?>(options, loop => loop.CreateTask(main, "Task-main"), static t =>
        {
            t.ThrowIfNotSucceeded();
            return null;
        });

    /// <summary>Runs an ordinary <c>async Task</c> delegate as the main task on a new event loop.</summary>
    /// <param name="main">The delegate; called on the loop thread.</param>
    /// <param name="options">Loop settings; null for the defaults.</param>
    /// <exception cref="InvalidOperationException">A loop is already running on this thread.</exception>
    /// <exception cref="KeyboardInterruptException">Ctrl+C cancelled the main task.</exception>
    public static void Run(Func<Task> main, EventLoopOptions? options = null) =>
        Runner.Run<object?>(options, loop => loop.CreateTask(main, "Task-main"), static t =>
        {
            t.ThrowIfNotSucceeded();
            return null;
        });

    /// <summary>Runs an ordinary <c>async Task&lt;T&gt;</c> delegate as the main task on a new event loop.</summary>
    /// <typeparam name="T">The type of the result.</typeparam>
    /// <param name="main">The delegate; called on the loop thread.</param>
    /// <param name="options">Loop settings; null for the defaults.</param>
    /// <returns>The delegate's result.</returns>
    /// <exception cref="InvalidOperationException">A loop is already running on this thread.</exception>
    /// <exception cref="KeyboardInterruptException">Ctrl+C cancelled the main task.</exception>
    public static T Run<T>(Func<Task<T>> main, EventLoopOptions? options = null) =>
        Runner.Run(options, loop => loop.CreateTask(main, "Task-main"), static t => ((AioTask<T>)t).Result);

    /// <summary>The loop running on this thread; asyncio's <c>get_running_loop()</c>.</summary>
    /// <returns>The loop.</returns>
    /// <exception cref="InvalidOperationException">No loop runs on this thread.</exception>
    public static EventLoop GetRunningLoop() => EventLoop.RequireCurrent();

    /// <summary>The task whose code is running, or null in a plain callback or off the loop;
    /// asyncio's <c>current_task()</c>.</summary>
    public static AioTask? CurrentTask => EventLoop.CurrentOrNull?.CurrentTaskCore?.Task;

    /// <summary>
    /// The running task's cancellation as a .NET token — pass it to .NET APIs (HttpClient, Npgsql,
    /// streams) so that cancelling the task, or a timeout around it, stops them too.
    /// <see cref="System.Threading.CancellationToken.None"/> outside a task.
    /// </summary>
    public static CancellationToken CancellationToken => EventLoop.CurrentOrNull?.CurrentTaskCore?.Token ?? default;

    /// <summary>Every task of the running loop that is not done; asyncio's <c>all_tasks()</c>.</summary>
    /// <returns>A snapshot.</returns>
    public static IReadOnlyList<AioTask> AllTasks() => GetRunningLoop().AllTasks();

    /// <summary>Schedules <paramref name="coroutine"/> as a task on the running loop; asyncio's
    /// <c>create_task()</c>. Keep the task if you care about its result; the loop keeps it alive anyway.</summary>
    /// <param name="coroutine">The coroutine, not yet started.</param>
    /// <param name="name">The task's name; <c>Task-N</c> when null.</param>
    /// <param name="callerFile">Filled in by the compiler.</param>
    /// <param name="callerLine">Filled in by the compiler.</param>
    /// <returns>The task.</returns>
    public static AioTask CreateTask(Coroutine coroutine, string? name = null, [CallerFilePath] string callerFile = "", [CallerLineNumber] int callerLine = 0) =>
        GetRunningLoop().SpawnOnLoopThread(coroutine.Box ?? new CompletedTask(), name, callerFile, callerLine);

    /// <summary>Schedules <paramref name="coroutine"/> as a task on the running loop.</summary>
    /// <typeparam name="T">The type of the result.</typeparam>
    /// <param name="coroutine">The coroutine, not yet started.</param>
    /// <param name="name">The task's name; <c>Task-N</c> when null.</param>
    /// <param name="callerFile">Filled in by the compiler.</param>
    /// <param name="callerLine">Filled in by the compiler.</param>
    /// <returns>The task.</returns>
    public static AioTask<T> CreateTask<T>(Coroutine<T> coroutine, string? name = null, [CallerFilePath] string callerFile = "", [CallerLineNumber] int callerLine = 0)
    {
        AioTask<T> box = coroutine.Box ?? new CompletedTask<T>();
        GetRunningLoop().SpawnOnLoopThread(box, name, callerFile, callerLine);
        return box;
    }

    /// <summary>Runs an ordinary <c>async Task</c> delegate as a task on the running loop; the delegate
    /// is called at the task's first step.</summary>
    /// <param name="function">The delegate.</param>
    /// <param name="name">The task's name; <c>Task-N</c> when null.</param>
    /// <param name="callerFile">Filled in by the compiler.</param>
    /// <param name="callerLine">Filled in by the compiler.</param>
    /// <returns>The task.</returns>
    public static AioTask CreateTask(Func<Task> function, string? name = null, [CallerFilePath] string callerFile = "", [CallerLineNumber] int callerLine = 0) =>
        GetRunningLoop().CreateTask(function, name, callerFile, callerLine);

    /// <summary>Runs an ordinary <c>async Task&lt;T&gt;</c> delegate as a task on the running loop.</summary>
    /// <typeparam name="T">The type of the result.</typeparam>
    /// <param name="function">The delegate.</param>
    /// <param name="name">The task's name; <c>Task-N</c> when null.</param>
    /// <param name="callerFile">Filled in by the compiler.</param>
    /// <param name="callerLine">Filled in by the compiler.</param>
    /// <returns>The task.</returns>
    public static AioTask<T> CreateTask<T>(Func<Task<T>> function, string? name = null, [CallerFilePath] string callerFile = "", [CallerLineNumber] int callerLine = 0) =>
        GetRunningLoop().CreateTask(function, name, callerFile, callerLine);

    /// <summary>
    /// Suspends the current task for <paramref name="seconds"/>; asyncio's <c>sleep()</c>. A delay of zero
    /// (or less) yields once: every other ready callback runs before the task resumes.
    /// </summary>
    /// <param name="seconds">The delay in seconds.</param>
    /// <returns>An awaitable; await it once.</returns>
    /// <exception cref="ArgumentException"><paramref name="seconds"/> is NaN.</exception>
    /// <remarks>A cancellation point. Steady-state sleeps inside a task allocate nothing.</remarks>
    public static SleepAwaitable Sleep(double seconds) => new(Durations.ToNanoseconds(seconds));

    /// <summary>Suspends the current task for <paramref name="delay"/>.</summary>
    /// <param name="delay">The delay.</param>
    /// <returns>An awaitable; await it once.</returns>
    /// <remarks>A cancellation point.</remarks>
    public static SleepAwaitable Sleep(TimeSpan delay) => new(Durations.ToNanoseconds(delay));

    /// <summary>Suspends the current task for <paramref name="seconds"/>, then returns
    /// <paramref name="result"/>; asyncio's <c>sleep(delay, result)</c>.</summary>
    /// <typeparam name="T">The type of the result.</typeparam>
    /// <param name="seconds">The delay in seconds.</param>
    /// <param name="result">The value the await returns.</param>
    /// <returns>An awaitable; await it once.</returns>
    /// <remarks>A cancellation point.</remarks>
    public static SleepAwaitable<T> Sleep<T>(double seconds, T result) => new(Durations.ToNanoseconds(seconds), result);

    /// <summary>Yields to every other ready callback once; <c>await asyncio.sleep(0)</c>.</summary>
    /// <returns>An awaitable; await it once.</returns>
    /// <remarks>A cancellation point: a pending cancellation is delivered here.</remarks>
    public static SleepAwaitable Yield() => default;

    /// <summary>
    /// Runs <paramref name="function"/> on the default executor (the .NET thread pool) in a copy of the
    /// current AsyncLocal values and returns its result on the loop; asyncio's <c>to_thread()</c>.
    /// </summary>
    /// <typeparam name="T">The type of the result.</typeparam>
    /// <param name="function">Blocking or CPU-bound work.</param>
    /// <returns>The future of the result.</returns>
    /// <remarks>A cancellation point. Cancelling the awaiting task stops the wait at once; work that has
    /// not started never starts; work already running finishes on its thread and its result is dropped.</remarks>
    public static Future<T> ToThread<T>(Func<T> function)
    {
        ArgumentNullException.ThrowIfNull(function);
        return GetRunningLoop().Submit(null, function, null, ExecutionContext.Capture());
    }

    /// <summary>Runs <paramref name="function"/> on the default executor with a token that is cancelled
    /// when the awaiting task is, so running work can stop early.</summary>
    /// <typeparam name="T">The type of the result.</typeparam>
    /// <param name="function">Blocking or CPU-bound work that observes its token.</param>
    /// <returns>The future of the result.</returns>
    public static Future<T> ToThread<T>(Func<CancellationToken, T> function)
    {
        ArgumentNullException.ThrowIfNull(function);
        return GetRunningLoop().Submit(null, null, function, ExecutionContext.Capture());
    }

    /// <summary>Runs <paramref name="action"/> on the default executor; see <see cref="ToThread{T}(Func{T})"/>.</summary>
    /// <param name="action">Blocking or CPU-bound work.</param>
    /// <returns>A future that completes when the work has finished.</returns>
    public static Future ToThread(Action action)
    {
        ArgumentNullException.ThrowIfNull(action);
        return GetRunningLoop().Submit<object?>(null, () =>
        {
            action();
            return null;
        }, null, ExecutionContext.Capture());
    }

    /// <summary>
    /// Wraps a running .NET task as a future of the running loop, so it can be gathered, waited on, or
    /// timed out like any loop awaitable; asyncio's <c>wrap_future</c>. Cancelling the future does not
    /// stop the .NET task (pass <see cref="CancellationToken"/> to the operation for that).
    /// </summary>
    /// <typeparam name="T">The type of the result.</typeparam>
    /// <param name="task">The .NET task.</param>
    /// <returns>The future.</returns>
    public static Future<T> WrapTask<T>(Task<T> task)
    {
        ArgumentNullException.ThrowIfNull(task);
        EventLoop loop = GetRunningLoop();
        Future<T> future = loop.CreateFuture<T>();
        task.ContinueWith(
            static (t, s) =>
            {
                var f = (Future<T>)s!;
                f.Loop.EnqueueFromAnyThread(static (tt, ff) =>
                {
                    var done = (Task<T>)tt!;
                    var target = (Future<T>)ff!;
                    if (target.IsDone)
                    {
                        _ = done.Exception;
                        return;
                    }

                    if (done.IsCompletedSuccessfully)
                    {
                        target.TrySetResult(done.Result);
                    }
                    else if (done.IsCanceled)
                    {
                        target.Cancel();
                    }
                    else
                    {
                        target.TrySetException(TaskExceptions.Unwrap(done));
                    }
                }, t, f);
            },
            future,
            System.Threading.CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
        return future;
    }

    /// <summary>Wraps a running .NET task as a future of the running loop; see <see cref="WrapTask{T}(Task{T})"/>.</summary>
    /// <param name="task">The .NET task.</param>
    /// <returns>The future.</returns>
    public static Future WrapTask(Task task)
    {
        ArgumentNullException.ThrowIfNull(task);
        return WrapTask(task.ContinueWith(
            static t =>
            {
                t.GetAwaiter().GetResult();
                return (object?)null;
            },
            System.Threading.CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default));
    }
}
