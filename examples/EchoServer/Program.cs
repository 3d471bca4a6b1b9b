using System.Net;
using System.Runtime.InteropServices;
using Aio;
using EchoServer;
using SeedTour.Seeds;

// Serves echo on 127.0.0.1 until SIGINT or SIGTERM, then exits cleanly with status 0.
//
//   dotnet run -c Release --project examples/EchoServer -- --port 8888 [--mode sock|streams|protocol] [--backlog 1024] [--loops N]
//
// Once listening it prints "listening on 127.0.0.1:PORT" (with --port 0, the port the kernel chose).
// --loops N (N > 1) runs the mode thread-per-core: N loops on N threads (LoopGroupMode.cs).

const string Usage = "usage: EchoServer --port PORT [--mode sock|streams|protocol] [--backlog N] [--loops N]";

int port = -1;
string mode = "sock";
int backlog = 1024;
int loops = 1;
for (int i = 0; i < args.Length; i++)
{
    string? value = i + 1 < args.Length ? args[i + 1] : null;
    switch (args[i])
    {
        case "--port" when int.TryParse(value, out int p) && p is >= 0 and <= 65535:
            port = p;
            i++;
            break;
        case "--mode" when value is not null:
            mode = value;
            i++;
            break;
        case "--backlog" when int.TryParse(value, out int b) && b > 0:
            backlog = b;
            i++;
            break;
        case "--loops" when int.TryParse(value, out int n) && n > 0:
            loops = n;
            i++;
            break;
        default:
            Console.Error.WriteLine($"EchoServer: unexpected argument '{args[i]}'.");
            Console.Error.WriteLine(Usage);
            return 2;
    }
}

if (port < 0)
{
    Console.Error.WriteLine(Usage);
    return 2;
}

Func<IPEndPoint, int, Action<EndPoint>, Coroutine>? serve = mode switch
{
    "sock" => static (address, backlog, listening) => Seed004Echo.EchoServer(address, backlog, listening),
    "streams" => StreamsMode.Serve,
    "protocol" => ProtocolMode.Serve,
    _ => null,
};
if (serve is null)
{
    Console.Error.WriteLine($"EchoServer: unknown mode '{mode}'; the modes are: sock, streams, protocol.");
    return 2;
}

if (loops > 1)
{
    if (!LoopGroupMode.Supports(mode))
    {
        Console.Error.WriteLine($"EchoServer: mode '{mode}' does not run with --loops yet.");
        return 2;
    }

    return LoopGroupMode.Run(mode, new IPEndPoint(IPAddress.Loopback, port), backlog, loops);
}

AsyncIO.Run(Main(serve, new IPEndPoint(IPAddress.Loopback, port), backlog));
return 0;

static async Coroutine Main(Func<IPEndPoint, int, Action<EndPoint>, Coroutine> serve, IPEndPoint address, int backlog)
{
    EventLoop loop = AsyncIO.GetRunningLoop();
    AioTask server = AsyncIO.CreateTask(serve(address, backlog, endPoint =>
    {
        Console.WriteLine($"listening on {endPoint}");
        Console.Out.Flush();
    }), "echo-server");

    // A signal stops the server: the accept loop is cancelled, then AsyncIO.Run cancels the handlers.
    loop.AddSignalHandler(PosixSignal.SIGINT, () => server.Cancel());
    loop.AddSignalHandler(PosixSignal.SIGTERM, () => server.Cancel());
    try
    {
        await server;
    }
    catch (CancelledException)
    {
        Console.WriteLine("stopped");
    }
}
