using System.Diagnostics;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;

namespace Aio.Diagnostics;

/// <summary>
/// Debug mode's "coroutine ... was never awaited": a coroutine object created and dropped without being
/// awaited or scheduled, so its body never ran — Python's <c>RuntimeWarning</c>.
/// </summary>
/// <remarks>
/// <para>Python checks in the coroutine's <c>__del__</c>. A finalizer on every coroutine box would make
/// every coroutine call slower, so only in debug mode does each new coroutine get a small finalizable
/// sentinel, attached to the box through a <see cref="ConditionalWeakTable{TKey, TValue}"/> (the box has
/// no field to spare). The table keeps the sentinel exactly as long as the box is alive; when both become
/// garbage, the sentinel's finalizer looks at the box (which it keeps reachable for that moment) and
/// reports it if it never started.</para>
/// <para>Outside debug mode the builders pay one read of a static counter per coroutine call.</para>
/// </remarks>
internal static class CoroutineTracking
{
    /// <summary>How many loops are in debug mode; zero keeps the builders on their fast path.</summary>
    private static int s_debugLoops;

    /// <summary>Whether any loop is in debug mode (the builders' one test).</summary>
    internal static bool Active
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => s_debugLoops != 0;
    }

    internal static void LoopEnteredDebug() => Interlocked.Increment(ref s_debugLoops);

    internal static void LoopLeftDebug() => Interlocked.Decrement(ref s_debugLoops);

    /// <summary>Called by the builders for each new coroutine while <see cref="Active"/>: tracks it if the
    /// loop running on this thread is in debug mode.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    internal static void Track(AioTask box)
    {
        EventLoop? loop = EventLoop.CurrentOrNull;
        if (loop is null || !loop.Debug)
        {
            return;
        }

        Sentinels.Table.AddOrUpdate(box, new Sentinel(box, loop, EventLoop.CaptureCallerStack()));
        loop.OnCoroutineTracked();
    }

    /// <summary>The table lives in its own class so that the builders' test above never triggers its
    /// initialization.</summary>
    private static class Sentinels
    {
        internal static readonly ConditionalWeakTable<AioTask, Sentinel> Table = new();
    }

    /// <summary>Finalized together with its coroutine; reports it if it never started.</summary>
    private sealed class Sentinel(AioTask box, EventLoop loop, StackTrace origin)
    {
        ~Sentinel()
        {
            try
            {
                loop.OnCoroutineSettled();
                if ((box._flags & Future.StartedFlag) != 0)
                {
                    return;
                }

                string name = box.StateMachineType is { } type ? CodeNames.OfStateMachine(type) : "coroutine";
                loop.ReportFromAnyThread(new LoopExceptionContext($"Coroutine '{name}' was never awaited")
                {
                    Level = LogLevel.Warning,
                    CreationStackTrace = origin,
                });
            }
            catch (Exception)
            {
                // An exception escaping a finalizer ends the process; a report that cannot be made must not.
            }
        }
    }
}
