namespace Aio;

/// <summary>The loop's record of one <c>call_soon</c> / <c>call_later</c> callback; the object behind
/// <see cref="Handle"/> and <see cref="TimerHandle"/>.</summary>
/// <remarks>
/// Nodes are pooled per loop. A handle is the pair (node, version): recycling a node bumps its version,
/// so a stale handle can never cancel the node's next use. A cancelled node is never recycled, which is
/// what lets <see cref="Handle.IsCancelled"/> stay true for as long as anyone holds the handle.
/// </remarks>
internal sealed class CallbackNode : ITimerTarget
{
    internal static readonly Action<object?, object?> s_run = static (node, _) => ((CallbackNode)node!).Run();

    internal EventLoop Loop = null!;
    internal Action<object?>? Callback;
    internal object? State;

    /// <summary>The execution context to run in; null when it carries no AsyncLocal values.</summary>
    internal ExecutionContext? Context;
    internal long When;
    internal int Version;
    internal volatile bool Cancelled;

    /// <summary>False for nodes created off the loop thread (<c>call_soon_threadsafe</c>): those may be
    /// cancelled from any thread, so they must never be reused.</summary>
    internal bool Pooled;

    /// <inheritdoc/>
    public int TimerIndex { get; set; } = -1;

    /// <inheritdoc/>
    public void OnTimer(EventLoop loop) => loop.Ready.Enqueue(s_run, this, null);

    /// <summary>Cancels this use of the node. Loop thread, or any thread for unpooled nodes.</summary>
    internal void Cancel()
    {
        if (Cancelled)
        {
            return;
        }

        Cancelled = true;
        if (TimerIndex >= 0)
        {
            Loop.Timers.Remove(this);
        }

        Callback = null;
        State = null;
        Context = null;
    }

    internal void Run()
    {
        if (Cancelled)
        {
            return;
        }

        Action<object?> callback = Callback!;
        object? state = State;
        ExecutionContext? context = Context;
        EventLoop loop = Loop;

        // Recycle first: the callback may schedule again and reuse this very node, and a Cancel() from
        // inside the callback must not touch it (the handle's version no longer matches).
        if (Pooled)
        {
            loop.RecycleNode(this);
        }

        try
        {
            loop.InstallLoopContext();
            if (context is null)
            {
                callback(state);
                loop.ResetExecutionContext();
            }
            else
            {
                ExecutionContext.Run(context, callback.Invoke, state);
            }
        }
        catch (Exception ex)
        {
            loop.ResetExecutionContext();
            loop.ReportCallbackException(ex, callback, state);
        }
    }
}
