namespace Aio.Diagnostics;

/// <summary>A waiter that passes a future's completion on to another future (<c>wait</c>'s release,
/// <c>shield</c>'s outer future): whoever awaits that future is, in effect, awaiting this one, and the
/// task tree shows it so.</summary>
internal interface IForwardingWaiter
{
    /// <summary>The future the completion is passed on to.</summary>
    Future Forwards { get; }
}
