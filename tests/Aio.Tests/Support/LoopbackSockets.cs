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
}

/// <summary>The process's open file descriptors, to check that a test leaked none.</summary>
public static class Descriptors
{
    /// <summary>How many descriptors the process has open now.</summary>
    public static int Count() => Directory.GetFiles("/proc/self/fd").Length;
}
