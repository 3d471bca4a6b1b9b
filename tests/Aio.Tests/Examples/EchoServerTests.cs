using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Aio.Tests.Support;

namespace Aio.Tests.Examples;

/// <summary>examples/EchoServer as a user runs it: a real process on a loopback port, real clients, a
/// client that misbehaves, and SIGTERM.</summary>
public sealed class EchoServerTests
{
    [Theory]
    [InlineData("sock")]
    [InlineData("streams")]
    [InlineData("protocol")]
    public async Task EachMode_EchoesEveryClient_SurvivesAResetClient_AndStopsCleanlyOnSigterm(string mode)
    {
        using Process server = ExampleProcess.Start("EchoServer", "--port", "0", "--mode", mode);
        try
        {
            int port = await ReadPort(server);
            using var clients = new ClientSet();
            for (int i = 0; i < 10; i++)
            {
                clients.Add(Connect(port));
            }

            // A client that connects, sends, and resets without reading: its handler must end quietly.
            using (Socket rude = Connect(port))
            {
                rude.Send(new byte[5000]);
                rude.LingerState = new LingerOption(true, 0);
            }

            foreach (int size in new[] { 1, 1024, 1025, 200_000 })
            {
                for (int i = 0; i < clients.Count; i++)
                {
                    byte[] message = Pattern(size, seed: i + size);
                    Assert.Equal(message, Exchange(clients[i], message));
                }
            }

            Native.SendSignal(server.Id, 15);
            Assert.True(server.WaitForExit(10_000), "the server did not exit within 10 s of SIGTERM");
            Assert.Equal(0, server.ExitCode);
            string rest = await server.StandardOutput.ReadToEndAsync();
            Assert.Contains("stopped", rest);
            Assert.Equal(string.Empty, await server.StandardError.ReadToEndAsync());
        }
        finally
        {
            if (!server.HasExited)
            {
                server.Kill(entireProcessTree: true);
            }
        }
    }

    [Theory]
    [InlineData("sock")]
    [InlineData("streams")]
    [InlineData("protocol")]
    public async Task TwoLoops_EchoEveryClient_AndStopCleanlyOnSignals(string mode)
    {
        using Process server = ExampleProcess.Start("EchoServer", "--port", "0", "--mode", mode, "--loops", "2");
        try
        {
            int port = await ReadPort(server);
            Assert.Contains("aio-loop-0", ThreadNames(server));
            Assert.Contains("aio-loop-1", ThreadNames(server));

            // Enough clients that the kernel, hashing their ports, sends some to each loop's socket.
            using var clients = new ClientSet();
            for (int i = 0; i < 32; i++)
            {
                clients.Add(Connect(port));
            }

            foreach (int size in new[] { 1, 1024, 200_000 })
            {
                for (int i = 0; i < clients.Count; i++)
                {
                    byte[] message = Pattern(size, seed: i + size);
                    Assert.Equal(message, Exchange(clients[i], message));
                }
            }

            Native.SendSignal(server.Id, 15);
            if (mode != "sock")
            {
                // The first signal stops accepting on both loops; open connections are still served during
                // the grace period, until a second signal aborts them.
                Assert.True(SpinWait.SpinUntil(() => IsRefused(port), TimeSpan.FromSeconds(20)), "the loops kept accepting after SIGTERM");
                byte[] late = Pattern(1000, seed: 7);
                Assert.Equal(late, Exchange(clients[^1], late));
                Native.SendSignal(server.Id, 15);
            }

            Assert.True(server.WaitForExit(20_000), "the server did not exit within 20 s of SIGTERM");
            Assert.Equal(0, server.ExitCode);
            string rest = await server.StandardOutput.ReadToEndAsync();
            Assert.Contains("stopped", rest);
            Assert.Equal(string.Empty, await server.StandardError.ReadToEndAsync());
        }
        finally
        {
            if (!server.HasExited)
            {
                server.Kill(entireProcessTree: true);
            }
        }
    }

    [Fact]
    public async Task UnknownMode_ExitsWithUsage()
    {
        ExampleRun run = await ExampleProcess.RunAsync("EchoServer", "--port", "0", "--mode", "carrier-pigeon");
        Assert.Equal(2, run.ExitCode);
        Assert.Contains("unknown mode 'carrier-pigeon'", run.Stderr);
    }

    private static async Task<int> ReadPort(Process server)
    {
        Task<string?> line = server.StandardOutput.ReadLineAsync();
        Assert.True(await Task.WhenAny(line, Task.Delay(TimeSpan.FromSeconds(20))) == line, "the server did not start listening");
        string text = (await line) ?? throw new InvalidOperationException("the server exited: " + await server.StandardError.ReadToEndAsync());
        Assert.StartsWith("listening on 127.0.0.1:", text);
        return int.Parse(text["listening on 127.0.0.1:".Length..]);
    }

    /// <summary>The names of the process's threads, as Linux shows them.</summary>
    private static string[] ThreadNames(Process process) =>
        Directory.GetDirectories($"/proc/{process.Id}/task")
            .Select(task => File.ReadAllText(Path.Combine(task, "comm")).Trim())
            .ToArray();

    private static bool IsRefused(int port)
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            probe.Connect(new IPEndPoint(IPAddress.Loopback, port));
            return false;
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionRefused)
        {
            return true;
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
        {
            // It reached a listening socket that closed with it in its backlog: not refused yet.
            return false;
        }
    }

    private static Socket Connect(int port)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp)
        {
            ReceiveTimeout = 20_000,
            SendTimeout = 20_000,
        };
        socket.Connect(new IPEndPoint(IPAddress.Loopback, port));
        return socket;
    }

    private static byte[] Exchange(Socket client, byte[] message)
    {
        // Send and receive at once: a message larger than the socket buffers would otherwise deadlock
        // against a server that echoes while it reads.
        byte[] back = new byte[message.Length];
        Task send = Task.Run(() => client.Send(message));
        int got = 0;
        while (got < back.Length)
        {
            int n = client.Receive(back, got, back.Length - got, SocketFlags.None);
            Assert.NotEqual(0, n);
            got += n;
        }

        send.GetAwaiter().GetResult();
        return back;
    }

    private static byte[] Pattern(int size, int seed)
    {
        byte[] data = new byte[size];
        new Random(seed).NextBytes(data);
        return data;
    }

    /// <summary>Clients closed together at the end.</summary>
    private sealed class ClientSet : List<Socket>, IDisposable
    {
        public void Dispose()
        {
            foreach (Socket socket in this)
            {
                socket.Dispose();
            }
        }
    }
}
