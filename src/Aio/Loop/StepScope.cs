namespace Aio;

/// <summary>
/// Enters a task for the length of one step: the loop's current task, the thread's synchronization
/// context and its execution context (AsyncLocal values) become the task's, and are restored when the
/// scope is disposed — even when user code changed them.
/// </summary>
/// <remarks>A struct used with <c>using</c>: no allocation, and the compiler emits the try/finally.</remarks>
internal readonly ref struct StepScope
{
    private readonly EventLoop _loop;
    private readonly TaskCore? _previousTask;
    private readonly SynchronizationContext? _previousContext;
    private readonly ExecutionContext? _previousExecution;

    internal StepScope(EventLoop loop, TaskCore? task, SynchronizationContext context, ExecutionContext? execution)
    {
        _loop = loop;
        _previousTask = loop.CurrentTaskCore;
        _previousContext = SynchronizationContext.Current;
        _previousExecution = ExecutionContext.Capture();
        loop.CurrentTaskCore = task;
        if (!ReferenceEquals(_previousContext, context))
        {
            SynchronizationContext.SetSynchronizationContext(context);
        }

        if (execution is not null && !ReferenceEquals(execution, _previousExecution))
        {
            ExecutionContext.Restore(execution);
        }
    }

    public void Dispose()
    {
        _loop.CurrentTaskCore = _previousTask;
        if (!ReferenceEquals(SynchronizationContext.Current, _previousContext))
        {
            SynchronizationContext.SetSynchronizationContext(_previousContext);
        }

        // Null means the flow was suppressed when the step began: leave the context alone then.
        if (_previousExecution is not null && !ReferenceEquals(ExecutionContext.Capture(), _previousExecution))
        {
            ExecutionContext.Restore(_previousExecution);
        }
    }
}
