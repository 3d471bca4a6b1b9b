namespace Aio;

/// <summary>The loop's record of one <c>call_soon</c> / <c>call_later</c> callback; the object behind
/// <see cref="Handle"/> and <see cref="TimerHandle"/>.</summary>
/// <remarks>
/// <para>Nodes are pooled. A handle is the pair (node, version): recycling a node bumps its version, so a
/// stale handle can never cancel the node's next use. A cancelled node is never recycled, which is what
/// lets <see cref="Handle.IsCancelled"/> stay true for as long as anyone holds the handle.</para>
/// <para>Two pools: the loop's own, for <c>call_soon</c> and timers (loop thread only, no locking), and
/// the cross-thread queue's, for <c>call_soon_threadsafe</c>, whose handles may be cancelled from any
/// thread: renting, cancelling and recycling those <see cref="Shared"/> nodes all happen under the queue's
/// lock, so a late cancel always sees the version it must see.</para>
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

    /// <summary>A node of the loop's own pool (loop thread only).</summary>
    internal bool Pooled;

    /// <summary>A node of the cross-thread queue's pool (<c>call_soon_threadsafe</c>).</summary>
    internal bool Shared;

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
        else if (Shared)
        {
            loop.ReturnSharedNode(this);
        }

        try
        {
            loop.InstallLoopContext();
            loop.PlainCallbackDepth++;
            try
            {
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
            finally
            {
                loop.PlainCallbackDepth--;
            }
        }
        catch (Exception ex)
        {
            loop.ResetExecutionContext();
            loop.ReportCallbackException(ex, callback, state);
        }
    }
}
