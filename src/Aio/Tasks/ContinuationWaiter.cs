namespace Aio;

/// <summary>Adapts an <see cref="Action"/> continuation — from an ordinary <c>async Task</c> method or any
/// code that awaits a loop awaitable by hand — to <see cref="IFutureWaiter"/>, remembering which task it
/// belongs to so that it resumes as that task.</summary>
internal sealed class ContinuationWaiter : IFutureWaiter
{
    private Action? _continuation;
    private TaskCore? _owner;

    internal ContinuationWaiter(Action continuation, TaskCore? owner)
    {
        _continuation = continuation;
        _owner = owner;
    }

    /// <summary>For introspection: the task the continuation resumes, if any.</summary>
    internal TaskCore? Owner => _owner;

    /// <summary>For introspection: the continuation (an ordinary async method's, usually).</summary>
    internal Action? Continuation => _continuation;

    /// <summary>Whether this waiter is free for reuse (the per-task cached instance).</summary>
    internal bool IsFree => _continuation is null;

    internal void Set(Action continuation, TaskCore? owner)
    {
        _continuation = continuation;
        _owner = owner;
    }

    /// <inheritdoc/>
    public void OnCompleted(Future? future)
    {
        Action continuation = _continuation!;
        TaskCore? owner = _owner;
        _continuation = null;
        _owner = null;
        if (owner is null)
        {
            EventLoop? loop = EventLoop.CurrentOrNull;
            if (loop is null)
            {
                continuation();
            }
            else
            {
                using (new PlainCallbackScope(loop))
                {
                    continuation();
                }
            }
        }
        else
        {
            owner.RunAsTask(static s => ((Action)s!)(), continuation);
        }
    }
}
