// Seed 003, "创建Tasks": two tasks run concurrently, so main waits about 2 s, not 3.
//
//     async def main():
//         task1 = asyncio.create_task(my_coroutine(1))
//         task2 = asyncio.create_task(my_coroutine(2))
//         await task1
//         await task2
//         print("所有任务完成")
//
//     asyncio.run(main())
//
// (my_coroutine is the one from 003-await.)
//
// Output:
//     协程开始,等待 1 秒
//     协程开始,等待 2 秒
//     协程结束
//     协程结束
//     所有任务完成

using static SeedTour.Seeds.Seed003Await;

namespace SeedTour.Seeds;

internal static class Seed003CreateTask
{
    private static async Coroutine Main()
    {
        AioTask<string> task1 = AsyncIO.CreateTask(MyCoroutine(1));
        AioTask<string> task2 = AsyncIO.CreateTask(MyCoroutine(2));
        await task1;
        await task2;
        Console.WriteLine("所有任务完成");
    }

    public static void Run() => AsyncIO.Run(Main());
}
