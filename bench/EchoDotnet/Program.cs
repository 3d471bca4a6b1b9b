// An echo server the way .NET does it without an event loop: an accept loop, and for each connection an
// async method that awaits Socket.ReceiveAsync and Socket.SendAsync, its continuations running on the
// thread pool. The baseline for bench/compare-echo.sh.
//
//     dotnet EchoDotnet.dll --port P
//
// Listens on 127.0.0.1:P; SIGINT or SIGTERM stops it, and it exits 0.

using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

if (args is not ["--port", string portText] || !int.TryParse(portText, out int port) || port is <= 0 or > 65535)
{
    Console.Error.WriteLine("usage: EchoDotnet --port P");
    return 2;
}

using var stop = new CancellationTokenSource();
// Cancelling the signal's default action lets the accept loop and the connections end on their own.
using PosixSignalRegistration onInterrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
using PosixSignalRegistration onTerminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);

using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
listener.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
listener.Bind(new IPEndPoint(IPAddress.Loopback, port));
// Connections arrive in bursts of hundreds when a benchmark starts.
listener.Listen(4096);

try
{
    while (true)
    {
        Socket client = await listener.AcceptAsync(stop.Token);
        // Not awaited: each connection runs on its own; on stop its pending receive is cancelled and it
        // closes itself, and whatever is still open when the process ends, the kernel closes.
        _ = Echo.Serve(client, stop.Token);
    }
}
catch (OperationCanceledException) when (stop.IsCancellationRequested)
{
}

return 0;

void Stop(PosixSignalContext context)
{
    context.Cancel = true;
    stop.Cancel();
}

internal static class Echo
{
    // Holds one message of the benchmark whole, and is small enough that thousands of idle connections
    // measure the runtime rather than their buffers.
    private const int BufferSize = 4096;

    public static async Task Serve(Socket client, CancellationToken stop)
    {
        using (client)
        {
            // Replies are written whole as soon as they are read; Nagle's delay would only add latency.
            client.NoDelay = true;
            byte[] buffer = new byte[BufferSize];
            try
            {
                while (true)
                {
                    int received = await client.ReceiveAsync(buffer, SocketFlags.None, stop);
                    if (received == 0)
                    {
                        return;
                    }

                    int sent = 0;
                    while (sent < received)
                    {
                        sent += await client.SendAsync(buffer.AsMemory(sent, received - sent), SocketFlags.None, stop);
                    }
                }
            }
            catch (Exception e) when (e is SocketException or OperationCanceledException)
            {
                // A client that went away, or the server stopping: either way this connection is done.
            }
        }
    }
}
