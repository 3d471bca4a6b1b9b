using System.Runtime.CompilerServices;

namespace Aio.CompilerServices;

/// <summary>What both coroutine builders do when their method awaits: remember the execution context,
/// then hand the coroutine itself to a loop awaiter, or a continuation delegate to any other awaiter.</summary>
internal static class CoroutineSuspension
{
    internal static void OnCompleted<TAwaiter>(ref TAwaiter awaiter, AioTask box)
        where TAwaiter : INotifyCompletion
    {
        box._ec = ExecutionContext.Capture();
        if (AwaiterRegistrar<TAwaiter>.Instance is { } registrar)
        {
            registrar.Register(ref awaiter, box);
        }
        else
        {
            awaiter.OnCompleted(box.GetForeignContinuation());
        }
    }

    internal static void UnsafeOnCompleted<TAwaiter>(ref TAwaiter awaiter, AioTask box)
        where TAwaiter : ICriticalNotifyCompletion
    {
        box._ec = ExecutionContext.Capture();
        if (AwaiterRegistrar<TAwaiter>.Instance is { } registrar)
        {
            registrar.Register(ref awaiter, box);
        }
        else
        {
            awaiter.UnsafeOnCompleted(box.GetForeignContinuation());
        }
    }
}
