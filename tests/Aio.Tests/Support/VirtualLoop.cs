using System.Runtime.CompilerServices;
using Aio.Testing;

namespace Aio.Tests.Support;

/// <summary>
/// <see cref="LoopTest.Run(Func{EventLoop, Coroutine}, bool, EventLoopOptions?)"/> on virtual time: the
/// same checks that nothing leaked, on a loop whose clock jumps to the next timer when every task waits,
/// so timeouts of any length take no wall time and every run takes the same steps. A wall-clock limit
/// still turns a hang into a failure.
/// </summary>
/// <remarks>With <c>AIO_TEST_SHUFFLE_SEED=N</c> in the environment, every run that sets no options of its
/// own shuffles its ready batches with seed N: <c>AIO_TEST_SHUFFLE_SEED=3 dotnet test --filter …</c>
/// checks that a group of tests does not depend on the order of callbacks that are ready together.</remarks>
public static class VirtualLoop
{
    private static readonly int? s_environmentSeed =
        int.TryParse(Environment.GetEnvironmentVariable("AIO_TEST_SHUFFLE_SEED"), out int seed) ? seed : null;

    public static void Run(Func<EventLoop, Coroutine> body, bool allowHandlerReports = false, VirtualTimeOptions? options = null, [CallerMemberName] string name = "") =>
        LoopTest.WithinSeconds(GuardedLoop.DefaultLimitSeconds, () => LoopTest.Run(body, allowHandlerReports, VirtualTime.CreateLoopOptions(options ?? EnvironmentOptions())), name);

    public static T Run<T>(Func<EventLoop, Coroutine<T>> body, bool allowHandlerReports = false, VirtualTimeOptions? options = null, [CallerMemberName] string name = "")
    {
        T result = default!;
        LoopTest.WithinSeconds(GuardedLoop.DefaultLimitSeconds, () => result = LoopTest.Run(body, allowHandlerReports, VirtualTime.CreateLoopOptions(options ?? EnvironmentOptions())), name);
        return result;
    }

    /// <summary><see cref="Run(Func{EventLoop, Coroutine}, bool, VirtualTimeOptions?, string)"/> never shuffled:
    /// for tests of an order asyncio guarantees (callbacks run in the order they were scheduled, timers in
    /// the order of their deadlines), which a shuffle breaks by design.</summary>
    public static void RunInOrder(Func<EventLoop, Coroutine> body, [CallerMemberName] string name = "") =>
        Run(body, options: new VirtualTimeOptions(), name: name);

    /// <inheritdoc cref="RunInOrder(Func{EventLoop, Coroutine}, string)"/>
    public static T RunInOrder<T>(Func<EventLoop, Coroutine<T>> body, [CallerMemberName] string name = "") =>
        Run(body, options: new VirtualTimeOptions(), name: name);

    private static VirtualTimeOptions? EnvironmentOptions() =>
        s_environmentSeed is { } seed ? new VirtualTimeOptions { ShuffleSeed = seed } : null;

    /// <summary>Runs <paramref name="body"/> with the ready batches shuffled by <paramref name="seed"/>.</summary>
    public static void RunShuffled(int seed, Func<EventLoop, Coroutine> body, [CallerMemberName] string name = "") =>
        Run(body, options: new VirtualTimeOptions { ShuffleSeed = seed }, name: name);
}
