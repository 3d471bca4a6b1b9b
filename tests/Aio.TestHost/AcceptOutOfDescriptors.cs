using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using Aio;
using Aio.Net;

namespace Aio.TestHost;

/// <summary>
/// "accept-emfile": a server whose process runs out of descriptors while a client waits in its backlog.
/// RLIMIT_NOFILE drops to the lowest free descriptor number, so the next descriptor anyone asks for fails
/// with EMFILE; this takes a process of its own, since the limit is the whole process's. The scenario
/// checks that the loop's exception handler hears about it, that an accepted connection is still served
/// while accepting pauses, and that once descriptors are free again the waiting client is accepted and
/// served after the retry delay. Each check prints a line; the exit status is 0 when all passed.
/// </summary>
/// <remarks>Nothing may load an assembly or open a file while the limit is down: the code that runs then
/// (sockets, the handler, this class) has run once before, and the limit is restored before anything
/// else is printed.</remarks>
internal static partial class AcceptOutOfDescriptors
{
    private const int RLIMIT_NOFILE = 7;
    private const double TimeoutSeconds = 5;

    /// <param name="debug">Debug mode, whatever AIO_DEBUG says. On, it loads code and reads symbol files
    /// the first time it meets a coroutine type, which takes descriptors this scenario does not have:
    /// that must cost it its descriptions, never the loop.</param>
    public static int Run(bool debug)
    {
        // Short, so that the scenario takes well under a second of waiting.
        Server.AcceptRetryDelay = 0.2;
        return AsyncIO.Run(ServeAsync(), new EventLoopOptions { Debug = debug });
    }

    private static async Coroutine<int> ServeAsync()
    {
        EventLoop loop = AsyncIO.GetRunningLoop();
        var reports = new List<LoopExceptionContext>();
        loop.SetExceptionHandler((_, context) => reports.Add(context));
        await using Server server = await loop.CreateServerAsync(() => new Echo(), "127.0.0.1", 0);
        EndPoint address = server.Sockets[0].LocalEndPoint!;

        using var served = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await loop.SockConnectAsync(served, address);
        await AsyncIO.WaitFor(Exchange(served, "before"), TimeoutSeconds);

        // Made now: while the limit is down, creating a socket would fail like accepting does.
        using var waiting = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        Console.WriteLine("ready");

        Rlimit original = GetLimit();
        List<string> results = [];
        string? failure = null;
        SetLimit(original with { Current = (ulong)LowestFreeDescriptor() });
        try
        {
            // The handshake completes in the kernel; the server's accept4 then fails with EMFILE.
            await loop.SockConnectAsync(waiting, address);
            await AsyncIO.WaitFor(WaitUntil(() => reports.Count > 0), TimeoutSeconds);
            LoopExceptionContext report = reports[0];
            results.Add("reported: " + report.Message);
            if (report.Exception is not SocketException { SocketErrorCode: SocketError.TooManyOpenSockets })
            {
                failure = "the report's exception is not EMFILE";
            }

            // Still serving the connection it had.
            await AsyncIO.WaitFor(Exchange(served, "while paused"), TimeoutSeconds);
            results.Add($"served while paused, connections: {server.ActiveConnections}");

            // The client leaves and the server closes its end: two descriptors free below the limit.
            served.Close();
            await AsyncIO.WaitFor(WaitUntil(() => server.ActiveConnections == 0), TimeoutSeconds);

            // The next retry accepts the client that waited, and serves it.
            await AsyncIO.WaitFor(Exchange(waiting, "after"), TimeoutSeconds);
            results.Add($"resumed, connections: {server.ActiveConnections}");
        }
        catch (Exception e)
        {
            failure = e.GetType().Name + ": " + e.Message;
        }
        finally
        {
            SetLimit(original);
        }

        foreach (string line in results)
        {
            Console.WriteLine(line);
        }

        foreach (LoopExceptionContext report in reports)
        {
            Console.Error.WriteLine(report);
        }

        if (failure is not null)
        {
            Console.WriteLine("FAIL: " + failure);
            return 1;
        }

        waiting.Close();
        await AsyncIO.WaitFor(WaitUntil(() => server.ActiveConnections == 0), TimeoutSeconds);
        Console.WriteLine("passed");
        return 0;
    }

    /// <summary>Sends <paramref name="text"/> and reads its echo.</summary>
    private static async Coroutine Exchange(Socket client, string text)
    {
        EventLoop loop = AsyncIO.GetRunningLoop();
        byte[] message = Encoding.ASCII.GetBytes(text);
        await loop.SockSendAllAsync(client, message);
        byte[] echoed = new byte[message.Length];
        int got = 0;
        while (got < echoed.Length)
        {
            int n = await loop.SockRecvIntoAsync(client, echoed.AsMemory(got));
            if (n == 0)
            {
                throw new IOException($"The server closed the connection instead of echoing '{text}'.");
            }

            got += n;
        }

        if (!echoed.AsSpan().SequenceEqual(message))
        {
            throw new IOException($"The echo of '{text}' came back different.");
        }
    }

    private static async Coroutine WaitUntil(Func<bool> condition)
    {
        while (!condition())
        {
            await AsyncIO.Sleep(0.005);
        }
    }

    /// <summary>The number the next descriptor would get: the lowest one free.</summary>
    private static int LowestFreeDescriptor()
    {
        int probe = Dup(0);
        if (probe < 0)
        {
            throw new IOException("dup failed: errno " + Marshal.GetLastPInvokeError());
        }

        CloseDescriptor(probe);
        return probe;
    }

    private static Rlimit GetLimit()
    {
        if (GetRlimit(RLIMIT_NOFILE, out Rlimit limit) != 0)
        {
            throw new IOException("getrlimit failed: errno " + Marshal.GetLastPInvokeError());
        }

        return limit;
    }

    private static void SetLimit(Rlimit limit)
    {
        if (SetRlimit(RLIMIT_NOFILE, in limit) != 0)
        {
            throw new IOException("setrlimit failed: errno " + Marshal.GetLastPInvokeError());
        }
    }

    [LibraryImport("libc", EntryPoint = "getrlimit", SetLastError = true)]
    private static partial int GetRlimit(int resource, out Rlimit limit);

    [LibraryImport("libc", EntryPoint = "setrlimit", SetLastError = true)]
    private static partial int SetRlimit(int resource, in Rlimit limit);

    [LibraryImport("libc", EntryPoint = "dup", SetLastError = true)]
    private static partial int Dup(int fd);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int CloseDescriptor(int fd);

    /// <summary><c>struct rlimit</c> on 64-bit Linux.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private record struct Rlimit(ulong Current, ulong Maximum);

    /// <summary>Echoes what it receives.</summary>
    private sealed class Echo : Protocol
    {
        private Transport? _transport;

        public override void ConnectionMade(Transport transport) => _transport = transport;

        public override void DataReceived(ReadOnlySpan<byte> data) => _transport!.Write(data);
    }
}
