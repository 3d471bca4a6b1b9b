// Seed 001, "2.1 协程的原理和实现": a generator as a coroutine, driven by send().
//
//     def coroutine_function():
//         value = yield 1
//         print(f"Received value: {value}")
//         value = yield 2
//         print(f"Received value: {value}")
//
//     coroutine = coroutine_function()
//     coroutine.send(None)  # 启动协程
//     coroutine.send(3)  # 发送值 3
//     coroutine.send(4)  # 发送值 4
//
// Output:
//     Received value: 3
//     Received value: 4
//
// The last send makes the generator return, so Python raises StopIteration there.

namespace SeedTour.Seeds;

internal static class Seed001Generator
{
    private static async Task CoroutineFunction(Generator<int, int?>.Yielder y)
    {
        int? value = await y.Yield(1);
        Console.WriteLine($"Received value: {value}");
        value = await y.Yield(2);
        Console.WriteLine($"Received value: {value}");
    }

    public static void Run()
    {
        var coroutine = new Generator<int, int?>(CoroutineFunction);
        coroutine.Send(null); // 启动协程
        coroutine.Send(3); // 发送值 3
        try
        {
            coroutine.Send(4); // 发送值 4
        }
        catch (StopIterationException)
        {
            // The snippet dies here with a traceback; the tour goes on to the next twin instead.
        }
    }
}
