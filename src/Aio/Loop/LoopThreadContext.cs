using System.Runtime.CompilerServices;

namespace Aio;

/// <summary>
/// Sets the synchronization context of the loop's thread without the thread-static lookup of
/// <see cref="SynchronizationContext.SetSynchronizationContext"/>: a task step switches it at every task
/// switch, and on Linux that lookup is a call into the dynamic linker each time. The loop keeps its
/// <see cref="Thread"/> and writes the field the public method writes.
/// </summary>
/// <remarks>The field is private to the runtime; a runtime without it is detected once, at the first
/// use, and the public method is used from then on.</remarks>
internal static class LoopThreadContext
{
    /// <summary>Whether the field can be written directly on this runtime.</summary>
    internal static readonly bool Direct = Probe();

    /// <summary>Makes <paramref name="context"/> the synchronization context of <paramref name="thread"/>,
    /// which is the calling thread (or null, to go the public way).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Set(Thread? thread, SynchronizationContext? context)
    {
        if (thread is not null)
        {
            ContextOf(thread) = context;
        }
        else
        {
            SynchronizationContext.SetSynchronizationContext(context);
        }
    }

    [UnsafeAccessor(UnsafeAccessorKind.Field, Name = "_synchronizationContext")]
    private static extern ref SynchronizationContext? ContextOf(Thread thread);

    private static bool Probe()
    {
        try
        {
            // Must read what the public API wrote, or the two disagree.
            SynchronizationContext? saved = SynchronizationContext.Current;
            var marker = new SynchronizationContext();
            SynchronizationContext.SetSynchronizationContext(marker);
            bool same = ReferenceEquals(ContextOf(Thread.CurrentThread), marker);
            SynchronizationContext.SetSynchronizationContext(saved);
            return same;
        }
        catch (MissingMemberException)
        {
            return false;
        }
    }
}
