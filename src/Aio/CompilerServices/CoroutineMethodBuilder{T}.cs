using System.ComponentModel;
using System.Runtime.CompilerServices;

namespace Aio.CompilerServices;

/// <summary>The async method builder of <see cref="Coroutine{T}"/>. Used by the compiler; not for direct use.</summary>
/// <typeparam name="T">The type of the result.</typeparam>
/// <remarks>See <see cref="CoroutineMethodBuilder"/>: the start is deferred in the same way.</remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public struct CoroutineMethodBuilder<T>
{
    private AioTask<T>? _box;

    /// <summary>Creates a builder.</summary>
    /// <returns>The builder.</returns>
    public static CoroutineMethodBuilder<T> Create() => default;

    /// <summary>The coroutine being built.</summary>
    public readonly Coroutine<T> Task => new(_box);

    /// <summary>Moves the state machine into its box without running it.</summary>
    /// <typeparam name="TStateMachine">The state machine type.</typeparam>
    /// <param name="stateMachine">The state machine.</param>
    public void Start<TStateMachine>(ref TStateMachine stateMachine)
        where TStateMachine : IAsyncStateMachine
    {
        var box = new CoroutineBox<TStateMachine, T>();
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

    /// <summary>Completes the coroutine with its result.</summary>
    /// <param name="result">The result.</param>
    public readonly void SetResult(T result) => _box!.FinishWithResult(result);

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
