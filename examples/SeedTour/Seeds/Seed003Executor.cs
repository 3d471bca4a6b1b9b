// Seed 003, "避免CPU密集型任务": blocking work goes to an executor so the event loop stays free.
//
//     import asyncio
//     import concurrent.futures
//     import time
//
//     def cpu_bound_task(n):
//         time.sleep(n)  # 模拟耗时操作
//         return f"CPU密集型任务完成,耗时 {n} 秒"
//
//     async def main():
//         loop = asyncio.get_running_loop()
//         with concurrent.futures.ProcessPoolExecutor() as pool:
//             result = await loop.run_in_executor(pool, cpu_bound_task, 2)  # 放在进程池中运行
//             print(result)
//
//     asyncio.run(main())
//
// Output:
//     CPU密集型任务完成,耗时 2 秒
//
// The twin adds a task ticking every 0.1 s and reports how often it ran while the executor worked:
// the proof that the blocking call did not hold the loop.

namespace SeedTour.Seeds;

internal static class Seed003Executor
{
    private static string CpuBoundTask(int n)
    {
        Thread.Sleep(n * 1000); // 模拟耗时操作
        return $"CPU密集型任务完成,耗时 {n} 秒";
    }

    private static async Coroutine Main()
    {
        int ticks = 0;
        AioTask ticker = AsyncIO.CreateTask(Tick());

        EventLoop loop = AsyncIO.GetRunningLoop();
        // .NET cannot ship a delegate to another process, so there is no process pool to mirror;
        // worker threads keep the loop free just as well.
        using (var pool = new ThreadPoolExecutor())
        {
            string result = await loop.RunInExecutor(pool, () => CpuBoundTask(2)); // 放在进程池中运行
            Console.WriteLine(result);
        }

        ticker.Cancel();
        try
        {
            await ticker;
        }
        catch (CancelledException)
        {
        }

        Console.WriteLine($"(the loop ticked {ticks} times meanwhile)");

        async Coroutine Tick()
        {
            while (true)
            {
                await AsyncIO.Sleep(0.1);
                ticks++;
            }
        }
    }

    public static void Run() => AsyncIO.Run(Main());
}
