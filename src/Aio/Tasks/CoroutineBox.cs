using System.Runtime.CompilerServices;
using Aio.Diagnostics;

namespace Aio;

/// <summary>
/// The heap object behind one call of an <c>async Coroutine</c> method: it holds the compiler's state
/// machine and is, at the same time, the future of the call's completion — and the task, if the
/// coroutine is spawned. One allocation per coroutine call, nothing else.
/// </summary>
/// <typeparam name="TStateMachine">The compiler-generated state machine.</typeparam>
internal sealed class CoroutineBox<TStateMachine> : AioTask
    where TStateMachine : IAsyncStateMachine
{
    /// <summary>Mutable struct, run in place: never copy it out.</summary>
    internal TStateMachine StateMachine = default!;

    internal override void MoveNextCore() => StateMachine.MoveNext();

    internal override void ClearStateMachine() => StateMachine = default!;

    internal override Type StateMachineType => typeof(TStateMachine);

    internal override int CoroutineState =>
        IsDone ? CoroutineStates.Finished : StateMachineAccess<TStateMachine>.Read(ref StateMachine);
}

/// <summary>The box of an <c>async Coroutine&lt;T&gt;</c> method call; see <see cref="CoroutineBox{TStateMachine}"/>.</summary>
/// <typeparam name="TStateMachine">The compiler-generated state machine.</typeparam>
/// <typeparam name="TResult">The type of the result.</typeparam>
internal sealed class CoroutineBox<TStateMachine, TResult> : AioTask<TResult>
    where TStateMachine : IAsyncStateMachine
{
    /// <summary>Mutable struct, run in place: never copy it out.</summary>
    internal TStateMachine StateMachine = default!;

    internal override void MoveNextCore() => StateMachine.MoveNext();

    internal override void ClearStateMachine() => StateMachine = default!;

    internal override Type StateMachineType => typeof(TStateMachine);

    internal override int CoroutineState =>
        IsDone ? CoroutineStates.Finished : StateMachineAccess<TStateMachine>.Read(ref StateMachine);
}
