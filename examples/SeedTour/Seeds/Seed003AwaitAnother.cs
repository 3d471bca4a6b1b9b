// Seed 003, "使用 await 关键字": awaiting another coroutine for its result.
//
//     async def another_coroutine():
//         await asyncio.sleep(1)
//         return "另一个协程的结果"
//
//     async def main():
//         result = await another_coroutine()
//         print(result)
//
//     asyncio.run(main())
//
// Output:
//     另一个协程的结果

namespace SeedTour.Seeds;

internal static class Seed003AwaitAnother
{
    // Reused by the gather twin, as the tutorial reuses another_coroutine there.
    public static async Coroutine<string> AnotherCoroutine()
    {
        await AsyncIO.Sleep(1);
        return "另一个协程的结果";
    }

    private static async Coroutine Main()
    {
        string result = await AnotherCoroutine();
        Console.WriteLine(result);
    }

    public static void Run() => AsyncIO.Run(Main());
}
