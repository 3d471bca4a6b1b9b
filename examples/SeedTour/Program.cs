using System.Text;
using SeedTour;
using SeedTour.Seeds;

// The tutorials print Chinese text; the terminal's locale must not decide whether it survives.
Console.OutputEncoding = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false);

Twin[] twins =
[
    new("001-generator", "a generator driven with send(), the idea coroutines grew from", Seed001Generator.Run),
    new("001-create-task", "create_task + gather: one coroutine sleeping one second", Seed001CreateTask.Run),
    new("001-open-file", "async with asyncio.open(...): a file opened, read and closed off the loop", Seed001OpenFile.Run),
    new("003-await", "await my_coroutine(2) from main", Seed003Await.Run),
    new("003-await-another", "await another_coroutine() from main", Seed003AwaitAnother.Run),
    new("003-create-task", "two tasks of 1 s and 2 s running concurrently", Seed003CreateTask.Run),
    new("003-gather", "gather three coroutines, results in order", Seed003Gather.Run),
    new("003-exception", "catch an exception raised by an awaited coroutine", Seed003Exception.Run),
    new("003-task-exception", "a task's exception, stored and rethrown on await", Seed003TaskException.Run),
    new("003-task-result", "a task's exception, rethrown by task.result()", Seed003TaskResult.Run),
    new("003-executor", "blocking work in an executor while the loop keeps ticking", Seed003Executor.Run),
    new("003-blocking", "debug mode reports a coroutine blocking the loop; to_thread does not block it", Seed003Blocking.Run),
    new("003-wait-for", "wait_for times out and cancels the inner coroutine", Seed003WaitFor.Run),
    new("003-sleep0", "a long loop yielding with sleep(0) so another task runs", Seed003Sleep0.Run),
    new("004-echo", "the sock_accept / sock_recv / sock_sendall echo server, and a client talking to it", Seed004Echo.Run),
];

try
{
    switch (args)
    {
        case []:
            foreach (Twin twin in twins)
            {
                Console.WriteLine($"== {twin.Name} ==");
                twin.Run();
            }

            return 0;

        case ["--list"]:
            int width = twins.Max(t => t.Name.Length);
            foreach (Twin twin in twins)
            {
                Console.WriteLine($"{twin.Name.PadRight(width)}  {twin.Description}");
            }

            return 0;

        case [string name] when twins.FirstOrDefault(t => t.Name == name) is { } chosen:
            chosen.Run();
            return 0;

        case [string name] when !name.StartsWith('-'):
            Console.Error.WriteLine($"SeedTour: no twin named '{name}'; --list shows the names.");
            return 2;

        default:
            Console.Error.WriteLine("usage: SeedTour [NAME | --list]   (no argument runs every twin in order)");
            return 2;
    }
}
catch (KeyboardInterruptException)
{
    // Python's exit status after an uncaught KeyboardInterrupt.
    return 130;
}
