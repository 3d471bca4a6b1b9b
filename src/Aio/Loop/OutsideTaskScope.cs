namespace Aio;

/// <summary>
/// Runs a stretch of code on the loop thread as if it were a plain callback, even when a task is running:
/// no current task, the loop's own synchronization context and execution context. Restores the task's on
/// exit.
/// </summary>
/// <remarks>
/// For machinery that belongs to a connection rather than to whichever task happens to call into it: a TLS
/// transport encrypting a protocol's write, or its reader task handing data to the protocol. A wait that
/// .NET code registers in here (SslStream awaiting the socket's drain, say) then belongs to no task, so
/// cancelling the task that wrote cannot cancel the connection's own I/O, and protocol callbacks keep their
/// promise of running outside any task.
/// </remarks>
internal readonly ref struct OutsideTaskScope
{
    private readonly StepScope _step;
    private readonly EventLoop _loop;

    internal OutsideTaskScope(EventLoop loop)
    {
        _loop = loop;
        _step = new StepScope(loop, null, loop.SyncContext, loop.BaseExecution);
        loop.PlainCallbackDepth++;
    }

    public void Dispose()
    {
        _loop.PlainCallbackDepth--;
        _step.Dispose();
    }
}
