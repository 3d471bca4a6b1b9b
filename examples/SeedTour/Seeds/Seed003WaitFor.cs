// Seed 003, "限制协程的运行时间": wait_for gives up after the timeout and cancels the coroutine.
//
//     import asyncio
//
//     async def long_running_task():
//         await asyncio.sleep(5)
//         return "任务完成"
//
//     async def main():
//         try:
//             result = await asyncio.wait_for(long_running_task(), timeout=2)
//             print(result)
//         except asyncio.TimeoutError:
//             print("任务超时")
//
//     asyncio.run(main())
//
// Output:
//     任务超时
//
// The twin adds a last line proving that long_running_task saw the cancellation, and that wait_for
// waited for it to finish before raising the timeout.

namespace SeedTour.Seeds;

internal static class Seed003WaitFor
{
    private static bool _longRunningTaskCancelled;

    private static async Coroutine<string> LongRunningTask()
    {
        try
        {
            await AsyncIO.Sleep(5);
        }
        catch (CancelledException)
        {
            _longRunningTaskCancelled = true;
            throw;
        }

        return "任务完成";
    }

    private static async Coroutine Main()
    {
        try
        {
            string result = await AsyncIO.WaitFor(LongRunningTask(), timeout: 2);
            Console.WriteLine(result);
        }
        catch (TimeoutException)
        {
            Console.WriteLine("任务超时");
        }

        if (_longRunningTaskCancelled)
        {
            Console.WriteLine("(long_running_task was cancelled)");
        }
    }

    public static void Run()
    {
        _longRunningTaskCancelled = false;
        AsyncIO.Run(Main());
    }
}
