// Seed 003, "定义协程" and "运行协程": a coroutine awaited from main.
//
//     import asyncio
//
//     async def my_coroutine(delay):
//         print(f"协程开始,等待 {delay} 秒")
//         await asyncio.sleep(delay)
//         print("协程结束")
//         return f"等待了 {delay} 秒的结果"
//
//     async def main():
//         result = await my_coroutine(2)
//         print(result)
//
//     asyncio.run(main())
//
// Output:
//     协程开始,等待 2 秒
//     协程结束
//     等待了 2 秒的结果

namespace SeedTour.Seeds;

internal static class Seed003Await
{
    // The tutorial defines my_coroutine once and reuses it in its create_task and gather snippets;
    // their twins reuse this one.
    public static async Coroutine<string> MyCoroutine(int delay)
    {
        Console.WriteLine($"协程开始,等待 {delay} 秒");
        await AsyncIO.Sleep(delay);
        Console.WriteLine("协程结束");
        return $"等待了 {delay} 秒的结果";
    }

    private static async Coroutine Main()
    {
        string result = await MyCoroutine(2);
        Console.WriteLine(result);
    }

    public static void Run() => AsyncIO.Run(Main());
}
