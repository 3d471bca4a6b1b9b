namespace Aio.CompilerServices;

/// <summary>
/// Implemented by every awaiter of a loop awaitable (future, task, coroutine, sleep). When a coroutine
/// awaits one, its builder hands over the coroutine object itself instead of a continuation delegate, so a
/// suspension allocates nothing.
/// </summary>
/// <remarks>
/// The builders test <c>awaiter is ILoopAwaiter</c> on a generic struct type; the JIT folds the test and
/// removes the box of the interface call, which the <c>AggressiveOptimization</c> on the builder methods
/// makes true from the first call.
/// </remarks>
internal interface ILoopAwaiter
{
    /// <summary>Registers <paramref name="box"/> (a suspended coroutine) to resume when the awaited thing
    /// is done.</summary>
    void RegisterBox(AioTask box);
}
