using System.Runtime.CompilerServices;

namespace Aio.Tests.Support;

/// <summary>
/// <see cref="LoopTest.Run(Func{EventLoop, Coroutine}, bool, EventLoopOptions?)"/> on its own thread with a
/// wall-clock limit, so a combinator that never completes fails the test instead of hanging the run.
/// </summary>
public static class GuardedLoop
{
    /// <summary>Generous: only a hang should ever reach it.</summary>
    public const double DefaultLimitSeconds = 20;

    public static void Run(Func<EventLoop, Coroutine> body, bool allowHandlerReports = false, [CallerMemberName] string name = "") =>
        LoopTest.WithinSeconds(DefaultLimitSeconds, () => LoopTest.Run(body, allowHandlerReports), name);

    public static T Run<T>(Func<EventLoop, Coroutine<T>> body, bool allowHandlerReports = false, [CallerMemberName] string name = "")
    {
        T result = default!;
        LoopTest.WithinSeconds(DefaultLimitSeconds, () => result = LoopTest.Run(body, allowHandlerReports), name);
        return result;
    }
}
