namespace Aio;

/// <summary>
/// Surrounds user code that runs outside any task (a <c>call_soon</c> callback, a reader, a signal
/// handler, a done callback, a posted continuation, an exception handler): on entry the loop's own
/// synchronization context is installed, on exit the loop's execution context is restored.
/// </summary>
/// <remarks>
/// This is the other half of <see cref="StepScope"/>'s bargain. A top-level task step leaves its task's
/// synchronization context installed (the next step is usually another task's, which would only switch it
/// again), and relies on the thread's execution context being the loop's when it starts. Every other
/// entry point into user code restores those two invariants, at the price of a field compare and one
/// thread-local read.
/// </remarks>
internal readonly ref struct PlainCallbackScope
{
    private readonly EventLoop? _loop;

    internal PlainCallbackScope(EventLoop loop)
    {
        // Outside a running loop (Close reporting lost exceptions, say) the caller's own contexts stay.
        if (!loop.IsRunningOnCurrentThread)
        {
            _loop = null;
            return;
        }

        _loop = loop;
        loop.InstallLoopContext();
        loop.PlainCallbackDepth++;
    }

    public void Dispose()
    {
        if (_loop is { } loop)
        {
            loop.PlainCallbackDepth--;
            loop.ResetExecutionContext();
        }
    }
}
