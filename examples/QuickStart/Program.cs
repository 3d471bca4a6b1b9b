// Program.cs
using Aio;

try
{
    return AsyncIO.Run(Main());
}
catch (KeyboardInterruptException)
{
    return 130; // Ctrl+C: the main task was cancelled and everything shut down cleanly
}

static async Coroutine<int> Main()
{
    // Start two coroutines concurrently and wait for both: about 2 s, not 3.
    string[] pages = await AsyncIO.Gather(Fetch("a", 1), Fetch("b", 2));
    Console.WriteLine(string.Join(", ", pages));

    // A deadline that cancels the work inside it.
    try
    {
        await AsyncIO.WaitFor(Fetch("slow", 10), timeout: 0.5);
    }
    catch (TimeoutException)
    {
        Console.WriteLine("slow one timed out, and was cancelled");
    }

    // Structured concurrency: children cannot outlive the block; the first failure cancels the rest.
    await AsyncIO.TaskGroup(async group =>
    {
        group.StartSoon(Fetch("x", 0.1));
        group.StartSoon(Fetch("y", 0.2));
        await AsyncIO.Sleep(0);
    });

    // Blocking work goes to a thread; the loop keeps serving meanwhile.
    long sum = await AsyncIO.ToThread(() => Enumerable.Range(0, 1_000_000).Sum(i => (long)i));
    return sum > 0 ? 0 : 1;
}

static async Coroutine<string> Fetch(string name, double seconds)
{
    await AsyncIO.Sleep(seconds);
    return name;
}
