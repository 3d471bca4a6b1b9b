using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace Aio.Sync;

/// <summary>
/// The loop a primitive belongs to: asyncio's <c>_LoopBoundMixin</c>. A primitive binds to the first
/// loop it is used on; using it from another loop's thread, or from any other thread while its loop
/// runs, is an error rather than a corruption. Once its loop is closed it may bind to a new one, so a
/// primitive kept in a static field survives consecutive <c>AsyncIO.Run</c> calls.
/// </summary>
/// <remarks>Mutable struct: keep it in a field and call it in place.</remarks>
internal struct LoopBinding
{
    private EventLoop? _loop;

    /// <summary>For an operation that does not wait. Costs one thread-static read when the caller is
    /// on the primitive's loop.</summary>
    /// <returns>The loop running on this thread, if any.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal EventLoop? Check(object primitive)
    {
        EventLoop? current = EventLoop.CurrentOrNull;
        if (!ReferenceEquals(_loop, current))
        {
            Bind(current, primitive);
        }

        return current;
    }

    /// <summary>For an operation that waits: a loop must run on this thread, and it must be ours.</summary>
    internal EventLoop ForWaiting(object primitive) => Check(primitive) ?? ThrowNoLoop(primitive);

    private void Bind(EventLoop? current, object primitive)
    {
        if (current is null)
        {
            // No loop on this thread: allowed while the primitive's loop is not running (setting up
            // before AsyncIO.Run, inspecting after), since then nothing else touches it.
            if (_loop!.IsRunning)
            {
                ThrowForeignThread(primitive);
            }

            if (!_loop.IsClosed)
            {
                // Debug mode refuses other threads even while the loop is stopped, as for the loop's
                // own members; otherwise this costs nothing.
                _loop.CheckThread();
            }

            return;
        }

        if (_loop is null || _loop.IsClosed)
        {
            _loop = current;
            return;
        }

        ThrowWrongLoop(primitive);
    }

    /// <summary>The type's name as the user wrote it: "AsyncQueue", not "AsyncQueue`1".</summary>
    private static string NameOf(object primitive)
    {
        string name = primitive.GetType().Name;
        int arity = name.IndexOf('`', StringComparison.Ordinal);
        return arity < 0 ? name : name[..arity];
    }

    [DoesNotReturn]
    private static EventLoop ThrowNoLoop(object primitive) =>
        throw new InvalidOperationException($"{NameOf(primitive)} can only be waited on from a coroutine running on an event loop.");

    [DoesNotReturn]
    private static void ThrowForeignThread(object primitive) =>
        throw new InvalidOperationException(
            $"{NameOf(primitive)} belongs to an event loop running on another thread; use it from that loop "
            + "(EventLoop.CallSoonThreadsafe gets there from other threads).");

    [DoesNotReturn]
    private static void ThrowWrongLoop(object primitive) =>
        throw new InvalidOperationException($"{NameOf(primitive)} is bound to a different event loop.");
}
