using System.ComponentModel;
using System.Runtime.CompilerServices;

namespace Aio.CompilerServices;

/// <summary>What <see cref="AsyncIO.Sleep{T}(double, T)"/> returns: a sleep that then yields a value.</summary>
/// <typeparam name="T">The type of the value.</typeparam>
public readonly struct SleepAwaitable<T>
{
    private readonly long _delay;
    private readonly T _result;

    internal SleepAwaitable(long delayNanoseconds, T result)
    {
        _delay = delayNanoseconds;
        _result = result;
    }

    /// <summary>Prepares the sleep on the running loop.</summary>
    /// <returns>The awaiter.</returns>
    /// <exception cref="InvalidOperationException">No event loop is running on this thread.</exception>
    public SleepAwaiter<T> GetAwaiter() => new(SleepAwaiter.Create(_delay), _result);
}
