// Seed 001, "2.2 事件循环的机制和作用": create_task, then gather to wait for it.
//
//     import asyncio
//
//     async def coroutine_function():
//         print("Coroutine function started")
//         await asyncio.sleep(1)  # 暂停协程 1 秒
//         print("Coroutine function finished")
//
//     async def main():
//         task = asyncio.create_task(coroutine_function())
//         await asyncio.gather(task)  # 等待协程完成
//
//     asyncio.run(main())
//
// Output:
//     Coroutine function started
//     Coroutine function finished

namespace SeedTour.Seeds;

internal static class Seed001CreateTask
{
    private static async Coroutine CoroutineFunction()
    {
        Console.WriteLine("Coroutine function started");
        await AsyncIO.Sleep(1); // 暂停协程 1 秒
        Console.WriteLine("Coroutine function finished");
    }

    private static async Coroutine Main()
    {
        AioTask task = AsyncIO.CreateTask(CoroutineFunction());
        await AsyncIO.Gather(task); // 等待协程完成
    }

    public static void Run() => AsyncIO.Run(Main());
}
