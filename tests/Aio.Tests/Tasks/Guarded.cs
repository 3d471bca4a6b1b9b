using System.Runtime.CompilerServices;
using Aio.Tests.Support;

namespace Aio.Tests.Tasks;

/// <summary>
/// <see cref="LoopTest.Run(Func{EventLoop, Coroutine}, bool, EventLoopOptions?)"/> on a thread with a
/// wall-clock limit: a lost wake-up or a cancellation that never arrives fails the test instead of
/// hanging the whole run (several tests here sleep for an hour unless cancellation works).
/// </summary>
internal static class Guarded
{
    /// <summary>Far above what any test needs; only a hang gets near it.</summary>
    private const double HangLimitSeconds = 20;

    public static void Run(Func<EventLoop, Coroutine> body, bool allowHandlerReports = false, [CallerMemberName] string name = "") =>
        LoopTest.WithinSeconds(HangLimitSeconds, () => LoopTest.Run(body, allowHandlerReports), name);

    public static T Run<T>(Func<EventLoop, Coroutine<T>> body, bool allowHandlerReports = false, [CallerMemberName] string name = "")
    {
        T result = default!;
        LoopTest.WithinSeconds(HangLimitSeconds, () => result = LoopTest.Run(body, allowHandlerReports), name);
        return result;
    }
}

/// <summary>Assertions about how an <c>await</c> ends, usable inside coroutines.</summary>
internal static class AwaitAssert
{
    /// <summary>Awaits <paramref name="future"/> and returns the cancellation it ends with.</summary>
    public static async Coroutine<CancelledException> Cancelled(Future future)
    {
        try
        {
            await future;
        }
        catch (CancelledException ex)
        {
            return ex;
        }

        throw new Xunit.Sdk.XunitException($"Expected {future} to end with a cancellation.");
    }

    /// <summary>Awaits <paramref name="future"/> and returns the exception it ends with, which must be
    /// exactly of type <typeparamref name="TException"/>.</summary>
    public static async Coroutine<TException> Throws<TException>(Future future)
        where TException : Exception
    {
        try
        {
            await future;
        }
        catch (Exception ex)
        {
            return Assert.IsType<TException>(ex);
        }

        throw new Xunit.Sdk.XunitException($"Expected {future} to end with {typeof(TException).Name}.");
    }

    /// <summary>Awaits <paramref name="coroutine"/> inline and returns the exception it ends with, which
    /// must be exactly of type <typeparamref name="TException"/>.</summary>
    public static async Coroutine<TException> Throws<TException>(Coroutine coroutine)
        where TException : Exception
    {
        try
        {
            await coroutine;
        }
        catch (Exception ex)
        {
            return Assert.IsType<TException>(ex);
        }

        throw new Xunit.Sdk.XunitException($"Expected the coroutine to end with {typeof(TException).Name}.");
    }
}

/// <summary>Garbage-collection helpers for tests about object lifetime.</summary>
internal static class Gc
{
    /// <summary>Collects everything collectable and runs the finalizers that collection queued. Not
    /// inlined, so no temporary of the caller can keep an object alive through it.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void CollectAll()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
    }
}
