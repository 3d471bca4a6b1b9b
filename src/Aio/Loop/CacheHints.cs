using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;

namespace Aio;

/// <summary>Asks the processor to start loading an object's first cache lines before the code that needs
/// them runs.</summary>
/// <remarks>
/// With a thousand connections, what one message touches — the socket's record, its wait, the coroutine,
/// its task — has left the cache since that connection's last message, and each first touch waits for
/// memory. The loop knows a batch ahead whose objects come next (the poll's reports, the ready queue, the
/// transports with gathered writes), so each of those loops asks for the objects a few items ahead, one
/// reference deeper per item nearer, and each item then finds its objects loaded. At 1,000 connections
/// × 64 B this took the <c>sock</c> echo's user time per message from 0.54 to 0.34 µs (see
/// docs/performance.md). Where the processor offers no prefetch instruction the hints are no-ops.
/// </remarks>
internal static unsafe class CacheHints
{
    /// <summary>Whether hints do anything here (x86-64); a constant the JIT folds, so that loops ahead of
    /// their work skip the look-ahead elsewhere.</summary>
    internal static bool Enabled => Sse.IsSupported;

    /// <summary>Starts loading the line that holds <paramref name="target"/>'s header and first fields.
    /// A hint only: an object the collector moves meanwhile is loaded where it was, which costs nothing.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Prefetch(object? target)
    {
        if (Sse.IsSupported && target is not null)
        {
            Sse.Prefetch0((void*)Unsafe.As<object, nint>(ref target));
        }
    }

    /// <summary>As <see cref="Prefetch(object?)"/>, for the object's first <paramref name="lines"/>
    /// cache lines: for an object whose fields in use run past its first line (objects are not aligned to
    /// lines, so even a small one may straddle two).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Prefetch(object? target, int lines)
    {
        if (Sse.IsSupported && target is not null)
        {
            byte* p = (byte*)Unsafe.As<object, nint>(ref target);
            for (int i = 0; i < lines; i++)
            {
                Sse.Prefetch0(p + (i * 64));
            }
        }
    }
}
