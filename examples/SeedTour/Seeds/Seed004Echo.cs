// Seed 004, "纯Python异步协程示例": an echo server on sock_accept / sock_recv / sock_sendall.
//
//     import asyncio
//     import socket
//
//     async def echo_server(address):
//         server_socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
//         server_socket.bind(address)
//         server_socket.listen(10)
//         server_socket.setblocking(False) # 设置为非阻塞模式
//         while True:
//             client, addr = await asyncio.get_event_loop().sock_accept(server_socket)
//             asyncio.create_task(echo_handler(client))
//
//     async def echo_handler(client):
//         while True:
//             data = await asyncio.get_event_loop().sock_recv(client, 1024)
//             if not data:
//                 break
//             await asyncio.get_event_loop().sock_sendall(client, data)
//         client.close()
//
//     asyncio.run(echo_server(("127.0.0.1", 8888)))
//
// The snippet serves forever and prints nothing. The twin serves on a port the kernel picks, talks to
// itself with a client, prints what came back, and stops. examples/EchoServer runs the same two methods
// as a real server (`--mode sock`); for it, the backlog is a parameter (a thousand clients connecting at
// once overflow a backlog of 10) and a client that resets its connection ends its handler quietly.

using System.Net;
using System.Net.Sockets;
using System.Text;
using Aio;

namespace SeedTour.Seeds;

internal static class Seed004Echo
{
    public static async Coroutine EchoServer(IPEndPoint address, int backlog = 10, Action<EndPoint>? listening = null)
    {
        using var serverSocket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        serverSocket.Bind(address);
        serverSocket.Listen(backlog);
        serverSocket.Blocking = false; // 设置为非阻塞模式
        listening?.Invoke(serverSocket.LocalEndPoint!);
        while (true)
        {
            var (client, addr) = await AsyncIO.GetRunningLoop().SockAcceptAsync(serverSocket);
            _ = AsyncIO.CreateTask(EchoHandler(client));
        }
    }

    // The accept loop of EchoServer on a socket already bound and listening: `examples/EchoServer
    // --loops N` runs it on each loop's own SO_REUSEPORT socket. The seed tour does not use it.
    public static async Coroutine EchoServerOn(Socket serverSocket)
    {
        using (serverSocket)
        {
            serverSocket.Blocking = false;
            while (true)
            {
                var (client, addr) = await AsyncIO.GetRunningLoop().SockAcceptAsync(serverSocket);
                _ = AsyncIO.CreateTask(EchoHandler(client));
            }
        }
    }

    public static async Coroutine EchoHandler(Socket client)
    {
        try
        {
            while (true)
            {
                byte[] data = await AsyncIO.GetRunningLoop().SockRecvAsync(client, 1024);
                if (data.Length == 0)
                {
                    break;
                }

                await AsyncIO.GetRunningLoop().SockSendAllAsync(client, data);
            }
        }
        catch (SocketException)
        {
            // The client reset the connection: nothing more to echo.
        }
        finally
        {
            client.Close();
        }
    }

    public static void Run() => AsyncIO.Run(Main());

    private static async Coroutine Main()
    {
        EndPoint? listeningOn = null;
        AioTask server = AsyncIO.CreateTask(EchoServer(new IPEndPoint(IPAddress.Loopback, 0), listening: e => listeningOn = e));
        await AsyncIO.Sleep(0);

        EventLoop loop = AsyncIO.GetRunningLoop();
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await loop.SockConnectAsync(client, listeningOn!);
        foreach (string line in new[] { "hello", "你好,协程", "bye" })
        {
            byte[] message = Encoding.UTF8.GetBytes(line);
            await loop.SockSendAllAsync(client, message);
            byte[] echoed = new byte[message.Length];
            int received = 0;
            while (received < echoed.Length)
            {
                received += await loop.SockRecvIntoAsync(client, echoed.AsMemory(received));
            }

            Console.WriteLine($"echoed: {Encoding.UTF8.GetString(echoed)}");
        }

        server.Cancel();
        try
        {
            await server;
        }
        catch (CancelledException)
        {
        }
    }
}
