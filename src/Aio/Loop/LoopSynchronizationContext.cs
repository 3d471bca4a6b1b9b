namespace Aio;

/// <summary>The synchronization context of a running loop outside any task: <c>Post</c> queues the
/// callback on the loop (thread-safely from other threads), so an <c>await</c> resumes on the loop thread.
/// Inside a task the task's own context (<see cref="TaskCore"/>) is current instead.</summary>
internal sealed class LoopSynchronizationContext : SynchronizationContext
{
    private readonly EventLoop _loop;
    private readonly Action<object?, object?> _run;

    internal LoopSynchronizationContext(EventLoop loop)
    {
        _loop = loop;
        _run = (d, s) =>
        {
            using (new PlainCallbackScope(loop))
            {
                ((SendOrPostCallback)d!)(s);
            }
        };
    }

    /// <inheritdoc/>
    public override void Post(SendOrPostCallback d, object? state) => _loop.EnqueueFromAnyThread(_run, d, state);

    /// <inheritdoc/>
    public override void Send(SendOrPostCallback d, object? state)
    {
        if (_loop.IsRunningOnCurrentThread)
        {
            d(state);
        }
        else
        {
            _loop.SendFromOtherThread(d, state);
        }
    }

    /// <inheritdoc/>
    public override SynchronizationContext CreateCopy() => this;
}
