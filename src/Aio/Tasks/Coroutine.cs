using System.Runtime.CompilerServices;
using Aio.CompilerServices;

namespace Aio;

/// <summary>
/// The return type of an asynchronous method that runs on the loop — Python's coroutine object. Declare
/// <c>async Coroutine Work()</c>; calling <c>Work()</c> does not run anything yet: <c>await Work()</c>
/// runs it inside the current task, <c>AsyncIO.CreateTask(Work())</c> runs it as a new task.
/// </summary>
/// <remarks>
/// <para>A coroutine runs once: awaiting or scheduling it a second time throws
/// <see cref="InvalidOperationException"/>, as Python's "cannot reuse already awaited coroutine".</para>
/// <para><c>default(Coroutine)</c> is a coroutine that is already finished.</para>
/// </remarks>
[AsyncMethodBuilder(typeof(CoroutineMethodBuilder))]
public readonly struct Coroutine
{
    internal Coroutine(AioTask? box)
    {
        Box = box;
    }

    /// <summary>The coroutine's state; null for <c>default(Coroutine)</c>.</summary>
    internal AioTask? Box { get; }

    /// <summary>Starts the coroutine inside the current task and lets <c>await</c> wait for it.</summary>
    /// <returns>The awaiter.</returns>
    /// <exception cref="InvalidOperationException">The coroutine was already awaited or scheduled.</exception>
    public CoroutineAwaiter GetAwaiter()
    {
        Box?.StartInline();
        return new CoroutineAwaiter(Box);
    }
}
