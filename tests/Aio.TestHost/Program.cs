using Aio;

// Prints "ready" once the main task runs, then sleeps until interrupted. The first Ctrl+C cancels the
// main task, whose finally prints "cleanup"; AsyncIO.Run then throws KeyboardInterruptException.
try
{
    AsyncIO.Run(Serve());
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
