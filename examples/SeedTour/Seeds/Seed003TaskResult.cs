// Seed 003: task.result() raises the exception a finished task failed with.
//
//     import asyncio
//
//     async def task_that_fails():
//         await asyncio.sleep(0.5)
//         raise ValueError("Task failed!")
//
//     async def main():
//         task = asyncio.create_task(task_that_fails())
//         await asyncio.sleep(1)
//         try:
//             task.result()  # 重新抛出异常
//         except ValueError as e:
//             print(f"Caught error from task: {e}")
//
//     asyncio.run(main())
//
// Output:
//     Caught error from task: Task failed!
//
// ValueError becomes ArgumentException, as in 003-exception.

namespace SeedTour.Seeds;

internal static class Seed003TaskResult
{
    private static async Coroutine TaskThatFails()
    {
        await AsyncIO.Sleep(0.5);
        throw new ArgumentException("Task failed!");
    }

    private static async Coroutine Main()
    {
        AioTask task = AsyncIO.CreateTask(TaskThatFails());
        await AsyncIO.Sleep(1);
        try
        {
            _ = task.Result; // 重新抛出异常
        }
        catch (ArgumentException e)
        {
            Console.WriteLine($"Caught error from task: {e.Message}");
        }
    }

    public static void Run() => AsyncIO.Run(Main());
}
