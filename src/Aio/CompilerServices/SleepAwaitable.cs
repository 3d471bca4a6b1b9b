using System.ComponentModel;
using System.Runtime.CompilerServices;

namespace Aio.CompilerServices;

/// <summary>What <see cref="AsyncIO.Sleep(double)"/> returns: a sleep that starts when awaited.</summary>
/// <remarks>Await it once. The deadline is computed when the <c>await</c> suspends, as asyncio computes it
/// when the sleep coroutine starts.</remarks>
public readonly struct SleepAwaitable
{
    private readonly long _delay;

    internal SleepAwaitable(long delayNanoseconds)
    {
        _delay = delayNanoseconds;
    }

    /// <summary>Prepares the sleep on the running loop.</summary>
    /// <returns>The awaiter.</returns>
    /// <exception cref="InvalidOperationException">No event loop is running on this thread.</exception>
    public SleepAwaiter GetAwaiter() => SleepAwaiter.Create(_delay);
}
