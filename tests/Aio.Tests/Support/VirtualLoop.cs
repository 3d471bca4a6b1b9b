using System.Runtime.CompilerServices;
using Aio.Testing;

namespace Aio.Tests.Support;

/// <summary>
/// <see cref="LoopTest.Run(Func{EventLoop, Coroutine}, bool, EventLoopOptions?)"/> on virtual time: the
/// same checks that nothing leaked, on a loop whose clock jumps to the next timer when every task waits,
/// so timeouts of any length take no wall time and every run takes the same steps. A wall-clock limit
/// still turns a hang into a failure.
/// </summary>
public static class VirtualLoop
{
    public static void Run(Func<EventLoop, Coroutine> body, bool allowHandlerReports = false, VirtualTimeOptions? options = null, [CallerMemberName] string name = "") =>
        LoopTest.WithinSeconds(GuardedLoop.DefaultLimitSeconds, () => LoopTest.Run(body, allowHandlerReports, VirtualTime.CreateLoopOptions(options)), name);

    public static T Run<T>(Func<EventLoop, Coroutine<T>> body, bool allowHandlerReports = false, VirtualTimeOptions? options = null, [CallerMemberName] string name = "")
    {
        T result = default!;
        LoopTest.WithinSeconds(GuardedLoop.DefaultLimitSeconds, () => result = LoopTest.Run(body, allowHandlerReports, VirtualTime.CreateLoopOptions(options)), name);
        return result;
    }

    /// <summary>Runs <paramref name="body"/> with the ready batches shuffled by <paramref name="seed"/>.</summary>
    public static void RunShuffled(int seed, Func<EventLoop, Coroutine> body, [CallerMemberName] string name = "") =>
        Run(body, options: new VirtualTimeOptions { ShuffleSeed = seed }, name: name);
}
