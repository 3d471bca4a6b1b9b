namespace Aio;

/// <summary>The synchronization context of a running loop outside any task: <c>Post</c> queues the
/// callback on the loop (thread-safely from other threads), so an <c>await</c> resumes on the loop thread.
/// Inside a task the task's own context (<see cref="TaskCore"/>) is current instead.</summary>
internal sealed class LoopSynchronizationContext : SynchronizationContext
{
    private static readonly Action<object?, object?> s_run = static (d, s) => ((SendOrPostCallback)d!)(s);

    private readonly EventLoop _loop;

    internal LoopSynchronizationContext(EventLoop loop)
    {
        _loop = loop;
    }

    /// <inheritdoc/>
    public override void Post(SendOrPostCallback d, object? state) => _loop.EnqueueFromAnyThread(s_run, d, state);

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
