using System.Runtime.InteropServices;
using Aio;

// Prints "ready" once the main task runs, then sleeps until interrupted. The first Ctrl+C cancels the
// main task, whose finally prints "cleanup"; AsyncIO.Run then throws KeyboardInterruptException.
// With "own-sigint", the program installs its own SIGINT handler instead and shuts down gracefully on
// its own terms: the runner's Ctrl+C handling must then stay out of the way.
// With "task-tree", the loop writes its task tree to stderr on SIGUSR1, and the program says whether
// debug mode is on (AIO_DEBUG decides) before printing "ready".
// With "accept-emfile", a server runs out of descriptors while accepting (AcceptOutOfDescriptors.cs).
try
{
    switch (args.Length > 0 ? args[0] : "")
    {
        case "own-sigint":
            AsyncIO.Run(ServeWithOwnHandler());
            break;
        case "accept-emfile":
            return Aio.TestHost.AcceptOutOfDescriptors.Run(debug: false);
        case "accept-emfile-debug":
            return Aio.TestHost.AcceptOutOfDescriptors.Run(debug: true);
        case "task-tree":
            // SIGUSR1 is 10 on Linux.
            AsyncIO.Run(ServeTaskTree(), new EventLoopOptions { TaskTreeSignal = (PosixSignal)10 });
            break;
        default:
            AsyncIO.Run(Serve());
            break;
    }

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

static async Coroutine ServeTaskTree()
{
    Console.WriteLine($"debug={AsyncIO.GetRunningLoop().Debug}");
    AioTask napper = AsyncIO.CreateTask(Nap(), "napper");
    await AsyncIO.Sleep(0);
    Console.WriteLine("ready");
    await napper;
}

static async Coroutine Nap() => await AsyncIO.Sleep(3600);
