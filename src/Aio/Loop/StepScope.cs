namespace Aio;

/// <summary>
/// Enters a task for the length of one step: the loop's current task, the thread's synchronization
/// context and its execution context (AsyncLocal values) become the task's. On exit the current task
/// and the execution context are always restored (AsyncLocal changes made by the step stay with it);
/// the synchronization context is restored for nested steps only (see remarks).
/// </summary>
/// <remarks>
/// <para>A struct used with <c>using</c>: no allocation, and the compiler emits the try/finally.</para>
/// <para>Every thread-local access counts here, since a step runs per task per wake-up. The loop
/// remembers which synchronization context it installed on its thread
/// (<see cref="EventLoop.InstalledContext"/>), so entering writes without reading. A top-level step (one
/// the ready queue ran, not nested in another task's step) neither reads the execution context on entry —
/// it is the loop's, see <see cref="PlainCallbackScope"/> — nor puts the loop's synchronization context
/// back on exit: the next step is usually another task's and would switch it again, and the entry points
/// of plain user code reinstall it. A nested step — inside another task's step, or inside a plain
/// callback (an awaiter that resumed a coroutine synchronously) — restores exactly what it found.</para>
/// </remarks>
internal readonly ref struct StepScope
{
    private readonly EventLoop _loop;
    private readonly TaskCore? _previousTask;
    private readonly SynchronizationContext? _previousContext;
    private readonly ExecutionContext? _previousExecution;
    private readonly bool _nested;

    internal StepScope(EventLoop loop, TaskCore? task, SynchronizationContext? context, ExecutionContext? execution)
    {
        _loop = loop;
        _previousTask = loop.CurrentTaskCore;
        _previousContext = loop.InstalledContext;
        _nested = _previousTask is not null || loop.PlainCallbackDepth > 0;
        _previousExecution = _nested ? ExecutionContext.Capture() : loop.BaseExecution;
        loop.CurrentTaskCore = task;
        if (!ReferenceEquals(_previousContext, context))
        {
            loop.InstallContext(context);
        }

        if (execution is not null && !ReferenceEquals(execution, _previousExecution))
        {
            ExecutionContext.Restore(execution);
        }
    }

    public void Dispose()
    {
        EventLoop loop = _loop;
        if (_previousTask is null)
        {
            // The usual top-level step: storing the constant spares the GC's write barrier.
            loop.CurrentTaskCore = null;
        }
        else
        {
            loop.CurrentTaskCore = _previousTask;
        }

        if (_nested && !ReferenceEquals(loop.InstalledContext, _previousContext))
        {
            loop.InstallContext(_previousContext);
        }

        // Null means the flow was suppressed when the step began: leave the context alone then.
        if (_previousExecution is not null && !ReferenceEquals(ExecutionContext.Capture(), _previousExecution))
        {
            ExecutionContext.Restore(_previousExecution);
        }
    }
}
