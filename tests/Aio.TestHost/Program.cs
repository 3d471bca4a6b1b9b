using System.Runtime.InteropServices;
using Aio;

// Prints "ready" once the main task runs, then sleeps until interrupted. The first Ctrl+C cancels the
// main task, whose finally prints "cleanup"; AsyncIO.Run then throws KeyboardInterruptException.
// With "own-sigint", the program installs its own SIGINT handler instead and shuts down gracefully on
// its own terms: the runner's Ctrl+C handling must then stay out of the way.
try
{
    AsyncIO.Run(args.Length > 0 && args[0] == "own-sigint" ? ServeWithOwnHandler() : Serve());
    Console.WriteLine("finished");
    return 0;
}
catch (KeyboardInterruptException)
{
    Console.WriteLine("interrupted");
    return 130;
}

static async Coroutine Serve()
{
    Console.WriteLine("ready");
    try
    {
        await AsyncIO.Sleep(3600);
    }
    finally
    {
        Console.WriteLine("cleanup");
    }
}

static async Coroutine ServeWithOwnHandler()
{
    EventLoop loop = AsyncIO.GetRunningLoop();
    Future<bool> stop = loop.CreateFuture<bool>();
    loop.AddSignalHandler(PosixSignal.SIGINT, () => stop.TrySetResult(true));
    Console.WriteLine("ready");
    await stop;
    Console.WriteLine("graceful shutdown requested");
    await AsyncIO.Sleep(0.05);
    Console.WriteLine("cleanup done");
}
