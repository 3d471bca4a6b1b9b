namespace Aio;

public sealed partial class EventLoop
{
    /// <summary>What the loop holds right now; used by tests to prove that nothing leaked.</summary>
    internal LoopResources GetResources() => new(
        LiveTasks: LiveTaskCount,
        ReadyCallbacks: Ready.Count,
        Timers: Timers.Count,
        WatchedDescriptors: _fds.Count,
        SignalHandlers: SignalHandlerCount,
        ExecutorCalls: _defaultExecutorOutstanding,
        OpenResources: OpenResourceCount);
}

/// <summary>A snapshot of what a loop holds.</summary>
internal readonly record struct LoopResources(
    int LiveTasks,
    int ReadyCallbacks,
    int Timers,
    int WatchedDescriptors,
    int SignalHandlers,
    int ExecutorCalls,
    int OpenResources)
{
    /// <summary>Whether the loop holds nothing at all.</summary>
    public bool IsEmpty => LiveTasks == 0 && ReadyCallbacks == 0 && Timers == 0 && WatchedDescriptors == 0
        && SignalHandlers == 0 && ExecutorCalls == 0 && OpenResources == 0;
}
