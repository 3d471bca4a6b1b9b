// Seed 003, "定期释放控制权": a long computation yields with sleep(0) so other coroutines get a turn.
//
//     import asyncio
//
//     async def large_task():
//         for i in range(100000):  # 模拟大量计算
//             _ = i * i
//             if i % 1000 == 0:
//                 await asyncio.sleep(0)  # 释放控制权
//         return "任务完成"
//
//     async def main():
//         result = await large_task()
//         print(result)
//
//     asyncio.run(main())
//
// Output:
//     任务完成
//
// The twin adds a second task that counts its turns, and reports how many it got during the loop.

namespace SeedTour.Seeds;

internal static class Seed003Sleep0
{
    private static async Coroutine<string> LargeTask()
    {
        for (int i = 0; i < 100000; i++) // 模拟大量计算
        {
            _ = i * i;
            if (i % 1000 == 0)
            {
                await AsyncIO.Sleep(0); // 释放控制权
            }
        }

        return "任务完成";
    }

    private static async Coroutine Main()
    {
        int turns = 0;
        AioTask other = AsyncIO.CreateTask(Other());

        string result = await LargeTask();
        Console.WriteLine(result);

        other.Cancel();
        try
        {
            await other;
        }
        catch (CancelledException)
        {
        }

        Console.WriteLine($"(another task ran {turns} times meanwhile)");

        async Coroutine Other()
        {
            while (true)
            {
                turns++;
                await AsyncIO.Sleep(0);
            }
        }
    }

    public static void Run() => AsyncIO.Run(Main());
}
