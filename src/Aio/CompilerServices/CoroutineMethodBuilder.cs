using System.ComponentModel;
using System.Runtime.CompilerServices;

namespace Aio.CompilerServices;

/// <summary>The async method builder of <see cref="Coroutine"/>. Used by the compiler; not for direct use.</summary>
/// <remarks>
/// Unlike .NET's builders, <see cref="Start{TStateMachine}"/> does not run the method: it only moves the
/// state machine into its box. The coroutine runs when it is awaited or scheduled as a task, so a task's
/// cancellation and context are in force before its first line.
/// </remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public struct CoroutineMethodBuilder
{
    private AioTask? _box;

    /// <summary>Creates a builder.</summary>
    /// <returns>The builder.</returns>
    public static CoroutineMethodBuilder Create() => default;

    /// <summary>The coroutine being built.</summary>
    public readonly Coroutine Task => new(_box);

    /// <summary>Moves the state machine into its box without running it.</summary>
    /// <typeparam name="TStateMachine">The state machine type.</typeparam>
    /// <param name="stateMachine">The state machine.</param>
    public void Start<TStateMachine>(ref TStateMachine stateMachine)
        where TStateMachine : IAsyncStateMachine
    {
        var box = new CoroutineBox<TStateMachine>();
        // `this` is the builder inside `stateMachine`: set the box before copying so the copy has it too.
        _box = box;
        box.StateMachine = stateMachine;
        if (Diagnostics.CoroutineTracking.Active)
        {
            // Debug mode somewhere in the process: watch for this coroutine being dropped unawaited.
            Diagnostics.CoroutineTracking.Track(box);
        }
    }

    /// <summary>Not used: the box owns the state machine from the start.</summary>
    /// <param name="stateMachine">Ignored.</param>
    public readonly void SetStateMachine(IAsyncStateMachine stateMachine)
    {
    }

    /// <summary>Completes the coroutine.</summary>
    public readonly void SetResult() => _box!.FinishWithResult();

    /// <summary>Completes the coroutine with an exception.</summary>
    /// <param name="exception">The exception.</param>
    public readonly void SetException(Exception exception) => _box!.FinishWithException(exception);

    /// <summary>Suspends the coroutine on an awaiter.</summary>
    /// <typeparam name="TAwaiter">The awaiter type.</typeparam>
    /// <typeparam name="TStateMachine">The state machine type.</typeparam>
    /// <param name="awaiter">The awaiter.</param>
    /// <param name="stateMachine">The state machine.</param>
    public readonly void AwaitOnCompleted<TAwaiter, TStateMachine>(ref TAwaiter awaiter, ref TStateMachine stateMachine)
        where TAwaiter : INotifyCompletion
        where TStateMachine : IAsyncStateMachine
        => CoroutineSuspension.OnCompleted(ref awaiter, _box!);

    /// <summary>Suspends the coroutine on an awaiter.</summary>
    /// <typeparam name="TAwaiter">The awaiter type.</typeparam>
    /// <typeparam name="TStateMachine">The state machine type.</typeparam>
    /// <param name="awaiter">The awaiter.</param>
    /// <param name="stateMachine">The state machine.</param>
    public readonly void AwaitUnsafeOnCompleted<TAwaiter, TStateMachine>(ref TAwaiter awaiter, ref TStateMachine stateMachine)
        where TAwaiter : ICriticalNotifyCompletion
        where TStateMachine : IAsyncStateMachine
        => CoroutineSuspension.UnsafeOnCompleted(ref awaiter, _box!);
}
