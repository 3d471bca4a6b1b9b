using System.Runtime.CompilerServices;

namespace Aio.CompilerServices;

/// <summary>What both coroutine builders do when their method awaits: remember the execution context,
/// then hand the coroutine itself to a loop awaiter, or a continuation delegate to any other awaiter.</summary>
internal static class CoroutineSuspension
{
    /// <summary>Remembers the execution context to resume in. It is usually the one the coroutine had at
    /// its last await: comparing first spares the GC's write barrier.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CaptureExecutionContext(AioTask box)
    {
        ExecutionContext? context = ExecutionContext.Capture();
        if (!ReferenceEquals(box._ec, context))
        {
            box._ec = context;
        }
    }

    internal static void OnCompleted<TAwaiter>(ref TAwaiter awaiter, AioTask box)
        where TAwaiter : INotifyCompletion
    {
        CaptureExecutionContext(box);
        if (AwaiterRegistrar<TAwaiter>.Instance is not { } registrar || !registrar.TryRegister(ref awaiter, box))
        {
            awaiter.OnCompleted(box.GetForeignContinuation());
        }
    }

    internal static void UnsafeOnCompleted<TAwaiter>(ref TAwaiter awaiter, AioTask box)
        where TAwaiter : ICriticalNotifyCompletion
    {
        CaptureExecutionContext(box);
        if (AwaiterRegistrar<TAwaiter>.Instance is not { } registrar || !registrar.TryRegister(ref awaiter, box))
        {
            awaiter.UnsafeOnCompleted(box.GetForeignContinuation());
        }
    }
}
