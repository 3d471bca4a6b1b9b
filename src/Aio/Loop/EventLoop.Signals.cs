using System.Runtime.InteropServices;

namespace Aio;

public sealed partial class EventLoop
{
    private static readonly Action<object?, object?> s_runSignalCallback = static (cb, loop) =>
    {
        using (new PlainCallbackScope((EventLoop)loop!))
        {
            ((Action)cb!)();
        }
    };

    private Dictionary<PosixSignal, PosixSignalRegistration>? _signals;

    /// <summary>Whether the loop has its own SIGINT handler; read by <see cref="Runner"/>'s handler on the
    /// runtime's signal thread, hence volatile.</summary>
    private volatile bool _hasInterruptHandler;

    /// <summary>Whether the loop has its own SIGINT handler right now; any thread.</summary>
    internal bool HasInterruptHandler => _hasInterruptHandler;

    /// <summary>
    /// Runs <paramref name="callback"/> on the loop each time the process receives
    /// <paramref name="signal"/>; asyncio's <c>add_signal_handler</c>. The signal's default action
    /// (terminating on SIGINT or SIGTERM) is suppressed while the handler is registered. Replaces an
    /// earlier handler for the same signal.
    /// </summary>
    /// <param name="signal">The signal; any raw signal number may be cast to <see cref="PosixSignal"/>.</param>
    /// <param name="callback">The callback; it runs on the loop thread, between other callbacks.</param>
    /// <remarks>Loop thread only.</remarks>
    public void AddSignalHandler(PosixSignal signal, Action callback)
    {
        ArgumentNullException.ThrowIfNull(callback);
        CheckThread();
        CheckClosed();
        _signals ??= new Dictionary<PosixSignal, PosixSignalRegistration>();
        if (_signals.Remove(signal, out PosixSignalRegistration? previous))
        {
            previous.Dispose();
        }

        // The runtime calls the handler on its signal thread; the loop thread runs the callback.
        _signals[signal] = PosixSignalRegistration.Create(signal, context =>
        {
            context.Cancel = true;
            EnqueueFromAnyThread(s_runSignalCallback, callback, this);
        });
        _hasInterruptHandler = _signals.ContainsKey(PosixSignal.SIGINT);
    }

    /// <summary>Removes the handler of <paramref name="signal"/>; asyncio's <c>remove_signal_handler</c>.</summary>
    /// <param name="signal">The signal.</param>
    /// <returns>Whether a handler was registered.</returns>
    /// <remarks>Loop thread only.</remarks>
    public bool RemoveSignalHandler(PosixSignal signal)
    {
        CheckThread();
        if (_signals is null || !_signals.Remove(signal, out PosixSignalRegistration? registration))
        {
            return false;
        }

        registration.Dispose();
        _hasInterruptHandler = _signals.ContainsKey(PosixSignal.SIGINT);
        return true;
    }

    /// <summary>Whether a handler for <paramref name="signal"/> is registered on this loop.</summary>
    internal bool HasSignalHandler(PosixSignal signal) => _signals?.ContainsKey(signal) == true;

    /// <summary>How many signal handlers are registered.</summary>
    internal int SignalHandlerCount => _signals?.Count ?? 0;

    private void CloseSignals()
    {
        if (_signals is null)
        {
            return;
        }

        foreach (PosixSignalRegistration registration in _signals.Values)
        {
            registration.Dispose();
        }

        _signals.Clear();
        _hasInterruptHandler = false;
    }
}
