// Seed 003, "避免阻塞事件循环": a coroutine that makes a synchronous call stops the whole event loop;
// debug mode names it, and the same call moved to a thread with to_thread stops nothing.
//
//     import asyncio
//     import logging
//     import sys
//     import time
//
//     logging.basicConfig(stream=sys.stdout, format="%(message)s")  # 调试报告打印到标准输出
//
//     def blocking_io(n):
//         time.sleep(n)  # 同步操作:整个事件循环都停住了
//         return f"阻塞操作完成,耗时 {n} 秒"
//
//     async def blocking():
//         await asyncio.sleep(0.1)
//         return blocking_io(0.2)  # 在协程里直接调用:阻塞事件循环
//
//     async def in_thread():
//         await asyncio.sleep(0.1)
//         return await asyncio.to_thread(blocking_io, 0.2)  # 放到线程里:事件循环不受影响
//
//     async def main():
//         print(await asyncio.create_task(blocking(), name="blocking"))
//         print(await asyncio.create_task(in_thread(), name="in_thread"))
//
//     asyncio.run(main(), debug=True)
//
// Output (the duration varies):
//     Executing <Task finished name='blocking' coro=<blocking() done, defined at blocking.py:15> result='阻塞操作完成,耗时 0.2 秒' created at blocking.py:24> took 0.201 seconds
//     阻塞操作完成,耗时 0.2 秒
//     阻塞操作完成,耗时 0.2 秒
//
// Only the blocking task is reported. Aio's report says where the step resumed instead of where the
// coroutine was defined: "coro=<Seed003Blocking.Blocking() resumed at Seed003Blocking.cs:50, then
// finished>".

namespace SeedTour.Seeds;

internal static class Seed003Blocking
{
    private static string BlockingIo(double n)
    {
        Thread.Sleep(TimeSpan.FromSeconds(n)); // 同步操作:整个事件循环都停住了
        return $"阻塞操作完成,耗时 {n} 秒";
    }

    private static async Coroutine<string> Blocking()
    {
        await AsyncIO.Sleep(0.1);
        return BlockingIo(0.2); // 在协程里直接调用:阻塞事件循环
    }

    private static async Coroutine<string> InThread()
    {
        await AsyncIO.Sleep(0.1);
        return await AsyncIO.ToThread(() => BlockingIo(0.2)); // 放到线程里:事件循环不受影响
    }

    private static async Coroutine Main()
    {
        // logging.basicConfig(stream=sys.stdout, format="%(message)s"): the report's message, on stdout.
        AsyncIO.GetRunningLoop().SetExceptionHandler(static (_, context) => Console.WriteLine(context.Message));

        Console.WriteLine(await AsyncIO.CreateTask(Blocking(), name: "blocking"));
        Console.WriteLine(await AsyncIO.CreateTask(InThread(), name: "in_thread"));
    }

    public static void Run() => AsyncIO.Run(Main(), new EventLoopOptions { Debug = true });
}
