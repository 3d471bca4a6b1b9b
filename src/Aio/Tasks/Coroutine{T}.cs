using System.Runtime.CompilerServices;
using Aio.CompilerServices;

namespace Aio;

/// <summary>
/// The return type of an asynchronous method that runs on the loop and returns a
/// <typeparamref name="T"/> — Python's coroutine object. See <see cref="Coroutine"/>.
/// </summary>
/// <typeparam name="T">The type of the result.</typeparam>
/// <remarks><c>default(Coroutine&lt;T&gt;)</c> is a coroutine already finished with <c>default(T)</c>.</remarks>
[AsyncMethodBuilder(typeof(CoroutineMethodBuilder<>))]
public readonly struct Coroutine<T>
{
    internal Coroutine(AioTask<T>? box)
    {
        Box = box;
    }

    /// <summary>The coroutine's state; null for <c>default</c>.</summary>
    internal AioTask<T>? Box { get; }

    /// <summary>Starts the coroutine inside the current task and lets <c>await</c> wait for its result.</summary>
    /// <returns>The awaiter.</returns>
    /// <exception cref="InvalidOperationException">The coroutine was already awaited or scheduled.</exception>
    public CoroutineAwaiter<T> GetAwaiter()
    {
        Box?.StartInline();
        return new CoroutineAwaiter<T>(Box);
    }

    /// <summary>Views the coroutine as one without a result (for gathering coroutines of several types).</summary>
    /// <param name="coroutine">The coroutine.</param>
    public static implicit operator Coroutine(Coroutine<T> coroutine) => new(coroutine.Box);

    /// <summary>Views the coroutine as one without a result.</summary>
    /// <returns>The same coroutine, untyped.</returns>
    public Coroutine AsCoroutine() => new(Box);
}
