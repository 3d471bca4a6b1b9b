using System.Net;
using System.Net.Sockets;

namespace Aio.Tests.Support;

/// <summary>Loopback sockets for tests: 127.0.0.1 only, ports chosen by the kernel.</summary>
public static class LoopbackSockets
{
    /// <summary>A TCP socket listening on 127.0.0.1 at a free port.</summary>
    public static Socket Listen(int backlog = 128)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        socket.Listen(backlog);
        return socket;
    }

    /// <summary>A connected pair of TCP sockets over loopback, made with blocking calls (before a loop
    /// touches them).</summary>
    public static (Socket Client, Socket Server) Pair()
    {
        using Socket listener = Listen(1);
        var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        client.Connect(listener.LocalEndPoint!);
        Socket server = listener.Accept();
        client.NoDelay = true;
        server.NoDelay = true;
        return (client, server);
    }

    /// <summary>Receives exactly <paramref name="length"/> bytes on <paramref name="socket"/> with the
    /// loop's <c>sock_recv_into</c>; the peer closing first fails the test.</summary>
    public static async Coroutine<byte[]> ReceiveExactly(EventLoop loop, Socket socket, int length)
    {
        byte[] received = new byte[length];
        int got = 0;
        while (got < length)
        {
            int n = await loop.SockRecvIntoAsync(socket, received.AsMemory(got, Math.Min(64 * 1024, length - got)));
            Assert.NotEqual(0, n);
            got += n;
        }

        return received;
    }
}

/// <summary>The process's open file descriptors, to check that a test leaked none.</summary>
public static class Descriptors
{
    static Descriptors()
    {
        // The runtime opens descriptors of its own the first time a process uses sockets (its socket
        // engine's epoll instance and wake-up pipes) or reads a stack trace's source lines (it maps
        // System.Diagnostics.StackTrace.dll): open them before the first count, so a test that happens
        // to run first does not see them as its leak.
        LoopTest.Run(async _ => await AsyncIO.Sleep(0));
        _ = new System.Diagnostics.StackTrace(fNeedFileInfo: true).ToString();

        // The runtime maps an assembly when the first method using it is compiled — sometimes by the tiered
        // compiler's background thread, in the middle of a test (System.Net.NameResolution, for the loop's
        // resolver, was seen so): map every assembly the library uses up front.
        foreach (System.Reflection.AssemblyName name in typeof(EventLoop).Assembly.GetReferencedAssemblies())
        {
            System.Reflection.Assembly.Load(name);
        }

        // Every assembly loaded keeps two descriptors open. The resolver's is loaded late and at no
        // predictable moment: GetAddrInfoAsync given an address literal never calls Dns, so the assembly
        // is loaded when the JIT recompiles that method after enough calls — possibly mid-count.
        _ = typeof(System.Net.Dns).Assembly.FullName;
        using Socket listener = LoopbackSockets.Listen(1);
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        client.ConnectAsync(listener.LocalEndPoint!).GetAwaiter().GetResult();
        using Socket accepted = listener.AcceptAsync().GetAwaiter().GetResult();
        accepted.Send(new byte[1]);
        client.ReceiveAsync(new byte[1].AsMemory()).AsTask().GetAwaiter().GetResult();
    }

    private static Dictionary<string, string> s_before = [];

    /// <summary>How many descriptors the process has open now.</summary>
    public static int Count() => Directory.GetFiles("/proc/self/fd").Length;

    /// <summary>Asserts that as many descriptors are open as <see cref="Before"/> counted, not counting
    /// assemblies the runtime mapped meanwhile; when not, the message names the descriptors opened or
    /// closed since, by what they point to.</summary>
    /// <param name="before">What <see cref="Before"/> returned.</param>
    /// <remarks>A loaded assembly keeps two descriptors open for good, and the runtime loads some at no
    /// predictable moment: the test runner's own threads were seen to load
    /// <c>Microsoft.Win32.Registry.dll</c> (through a type forwarded by <c>mscorlib</c>) in the middle of
    /// a test. Those are the runtime's, never the code under test's leak.</remarks>
    public static void AssertBackTo(int before)
    {
        Dictionary<string, string> now = Snapshot();
        var opened = now.Where(p => !s_before.TryGetValue(p.Key, out string? t) || t != p.Value).ToList();
        int assemblies = opened.Count(p => p.Value.EndsWith(".dll", StringComparison.Ordinal));
        if (now.Count - assemblies == before)
        {
            return;
        }

        IEnumerable<string> closed = s_before.Where(p => !now.TryGetValue(p.Key, out string? t) || t != p.Value)
            .Select(p => $"-{p.Key} -> {p.Value}");
        Assert.Fail($"{before} descriptors were open before the test and {now.Count} after: "
            + string.Join(", ", opened.Select(p => $"+{p.Key} -> {p.Value}").Concat(closed)));
    }

    /// <summary>The count to compare with at the end of a test. Handles that earlier tests dropped without
    /// disposing are closed by their finalizers whenever a collection runs, which could be in the middle of
    /// this test and look like descriptors closing under it: they are collected and finalized first.</summary>
    public static int Before()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        s_before = Snapshot();
        return s_before.Count;
    }

    private static Dictionary<string, string> Snapshot()
    {
        var descriptors = new Dictionary<string, string>();
        foreach (string path in Directory.GetFiles("/proc/self/fd"))
        {
            string target;
            try
            {
                target = new FileInfo(path).LinkTarget ?? "?";
            }
            catch (IOException)
            {
                // Closed between the listing and the read: the listing's own directory handle, for one.
                target = "?";
            }

            descriptors[Path.GetFileName(path)] = target;
        }

        return descriptors;
    }
}

/// <summary>Tests that count the process's descriptors run alone: a test of another class opening a pipe
/// meanwhile would look like their leak.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class DescriptorCountingCollection
{
    /// <summary>The collection's name.</summary>
    public const string Name = "Descriptor counting";
}
