namespace Aio.CompilerServices;

/// <summary>
/// Implemented by every awaiter of a loop awaitable (future, task, coroutine, sleep). When a coroutine
/// awaits one, its builder hands over the coroutine object itself instead of a continuation delegate, so a
/// suspension allocates nothing.
/// </summary>
/// <remarks>The builders reach it through <see cref="AwaiterRegistrar{TAwaiter}"/>, which never boxes the
/// awaiter, in optimized and unoptimized builds alike.</remarks>
internal interface ILoopAwaiter
{
    /// <summary>Registers <paramref name="box"/> (a suspended coroutine) to resume when the awaited thing
    /// is done.</summary>
    void RegisterBox(AioTask box);
}
