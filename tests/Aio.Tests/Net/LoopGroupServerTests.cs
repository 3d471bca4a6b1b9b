using System.Net;
using System.Net.Sockets;
using System.Text;
using Aio.Net;
using Aio.Tests.Support;

namespace Aio.Tests.Net;

/// <summary>A server on a <see cref="LoopGroup"/>: one <c>SO_REUSEPORT</c> socket per loop on one port, the
/// kernel spreading connections over the loops, every loop echoing, and a graceful shutdown that lets an
/// exchange in flight finish and aborts an idle connection at the deadline — ending with every thread
/// gone and no descriptor left open.</summary>
[Collection(DescriptorCountingCollection.Name)]
public sealed class LoopGroupServerTests
{
    private const int Loops = 4;

    [Fact]
    public void ManyClients_AreSpreadOverTheLoops_EveryLoopEchoes_AndNothingIsLeftAfterShutdown()
    {
        int before = Descriptors.Before();
        LoopTest.WithinSeconds(60, () =>
        {
            int[] accepted = new int[Loops];
            var running = new GroupServer(Loops, () => index => new CountingEcho(accepted, index));
            using (running.Group)
            {
                var clients = new List<Socket>();
                try
                {
                    // The kernel picks a loop by hashing the connection's addresses and ports: 64 clients
                    // all landing on one of four loops has a chance of about 1 in 10^38.
                    for (int i = 0; i < 64; i++)
                    {
                        clients.Add(Connect(running.Port));
                    }

                    foreach (Socket client in clients)
                    {
                        AssertEchoes(client, $"hello from port {((IPEndPoint)client.LocalEndPoint!).Port}");
                    }

                    int[] counts = ReadCounts(accepted);
                    Assert.Equal(64, counts.Sum());
                    Assert.True(counts.Count(c => c > 0) >= 2, "connections on: " + string.Join(", ", counts));

                    // Every loop echoes: more clients until each loop has accepted one (each was checked).
                    for (int extra = 0; ReadCounts(accepted).Any(c => c == 0) && extra < 1000; extra++)
                    {
                        Socket client = Connect(running.Port);
                        clients.Add(client);
                        AssertEchoes(client, "one more");
                    }

                    Assert.All(ReadCounts(accepted), c => Assert.True(c > 0, "connections on: " + string.Join(", ", ReadCounts(accepted))));
                }
                finally
                {
                    clients.ForEach(c => c.Dispose());
                }

                running.Group.Shutdown(TimeSpan.FromSeconds(30));
                Assert.True(running.Group.Wait(TimeSpan.FromSeconds(30)), "the group did not end after the clients left");
            }

            Assert.All(running.Ports, port => Assert.Equal(running.Port, port));
            Assert.Equal(Loops, running.Threads.Distinct().Count());
            Assert.All(running.Threads, thread => Assert.False(thread!.IsAlive, $"{thread.Name} is still alive"));
        });
        Descriptors.AssertBackTo(before);
    }

    [Fact]
    public void Shutdown_LetsAnExchangeInFlightFinish_RefusesNewClients_AndAbortsAnIdleConnectionAtTheDeadline()
    {
        int before = Descriptors.Before();
        LoopTest.WithinSeconds(60, () =>
        {
            var progress = new Progress();
            var running = new GroupServer(2, () => _ => new AnswerAtNewline(progress));
            using (running.Group)
            {
                using Socket inFlight = Connect(running.Port);
                using Socket idle = Connect(running.Port);
                inFlight.Send("first half, "u8);
                SpinUntil(() => Volatile.Read(ref progress.Connections) == 2 && Volatile.Read(ref progress.Chunks) >= 1, "both connections accepted, the first half received");

                // A long grace period: both connections stay open until they finish or a shorter one comes.
                running.Group.Shutdown(TimeSpan.FromSeconds(120));
                Assert.True(running.Group.IsShutdownRequested);
                SpinUntil(() => IsRefused(running.Port), "new connections refused on every loop");

                inFlight.Send("second half\n"u8);
                Assert.Equal("answered 24 bytes\n", ReadToEnd(inFlight));
                Assert.False(idle.Poll(0, SelectMode.SelectRead), "the idle connection was closed before its deadline");
                Assert.False(running.Group.Wait(TimeSpan.Zero), "the group ended while a connection was still open");

                // A second call can only bring the deadline closer: this one passes shortly.
                running.Group.Shutdown(TimeSpan.FromMilliseconds(200));
                Assert.Equal(string.Empty, ReadToEnd(idle));
                Assert.True(running.Group.Wait(TimeSpan.FromSeconds(30)), "the group did not end after aborting the idle connection");
            }

            Assert.All(running.Threads, thread => Assert.False(thread!.IsAlive, $"{thread.Name} is still alive"));
        });
        Descriptors.AssertBackTo(before);
    }

    [Fact]
    public void Shutdown_WithoutGracePeriod_AbortsOpenConnectionsAtOnce()
    {
        LoopTest.WithinSeconds(60, () =>
        {
            int[] accepted = new int[2];
            var running = new GroupServer(2, () => index => new CountingEcho(accepted, index));
            using (running.Group)
            {
                using Socket client = Connect(running.Port);
                AssertEchoes(client, "still here");
                running.Group.Shutdown(TimeSpan.Zero);
                Assert.Equal(string.Empty, ReadToEnd(client));
                Assert.True(running.Group.Wait(TimeSpan.FromSeconds(30)));
            }
        });
    }

    private static Socket Connect(int port)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp)
        {
            ReceiveTimeout = 20_000,
            SendTimeout = 20_000,
            NoDelay = true,
        };
        socket.Connect(new IPEndPoint(IPAddress.Loopback, port));
        return socket;
    }

    private static void AssertEchoes(Socket client, string text)
    {
        byte[] message = Encoding.UTF8.GetBytes(text);
        client.Send(message);
        byte[] back = new byte[message.Length];
        int got = 0;
        while (got < back.Length)
        {
            int n = client.Receive(back, got, back.Length - got, SocketFlags.None);
            Assert.NotEqual(0, n);
            got += n;
        }

        Assert.Equal(text, Encoding.UTF8.GetString(back));
    }

    /// <summary>Reads until the server closes the connection (an abort may reset it instead).</summary>
    private static string ReadToEnd(Socket client)
    {
        var text = new StringBuilder();
        byte[] buffer = new byte[256];
        try
        {
            int n;
            while ((n = client.Receive(buffer)) > 0)
            {
                text.Append(Encoding.UTF8.GetString(buffer, 0, n));
            }
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
        {
            // Closed by an abort with bytes unread: the end as well.
        }

        return text.ToString();
    }

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

    private static int[] ReadCounts(int[] counts) => Enumerable.Range(0, counts.Length).Select(i => Volatile.Read(ref counts[i])).ToArray();

    /// <summary>Polls a condition another thread makes true; a guard, not a timing assertion.</summary>
    private static void SpinUntil(Func<bool> condition, string what)
    {
        Assert.True(SpinWait.SpinUntil(condition, TimeSpan.FromSeconds(20)), "not within 20 s: " + what);
    }

    /// <summary>A group whose every loop serves one protocol on one port chosen by the kernel, started
    /// and listening on every loop when the constructor returns.</summary>
    private sealed class GroupServer
    {
        public GroupServer(int loops, Func<Func<int, BaseProtocol>> protocols)
        {
            Group = new LoopGroup(loops);
            Ports = new int[loops];
            Threads = new Thread[loops];
            Func<int, BaseProtocol> make = protocols();
            using var listening = new CountdownEvent(loops);
            Group.Start(async index =>
            {
                Server server = await Group.CreateServerAsync(() => make(index), "127.0.0.1", 0);
                Ports[index] = ((IPEndPoint)server.Sockets[0].LocalEndPoint!).Port;
                Threads[index] = Thread.CurrentThread;
                listening.Signal();
                await server.ServeForeverAsync();
            });
            Assert.True(listening.Wait(TimeSpan.FromSeconds(20)), "the loops did not all start listening");
            Port = Ports[0];
        }

        public LoopGroup Group { get; }

        public int Port { get; }

        public int[] Ports { get; }

        public Thread?[] Threads { get; }
    }

    /// <summary>Echoes, and counts the connections of its loop.</summary>
    private sealed class CountingEcho(int[] accepted, int loop) : Protocol
    {
        private Transport? _transport;

        public override void ConnectionMade(Transport transport)
        {
            _transport = transport;
            Interlocked.Increment(ref accepted[loop]);
        }

        public override void DataReceived(ReadOnlySpan<byte> data) => _transport!.Write(data);
    }

    /// <summary>What the servers of every loop saw, read by the test's thread.</summary>
    private sealed class Progress
    {
        public int Connections;
        public int Chunks;
    }

    /// <summary>Collects a request until a newline, then answers with its length and closes.</summary>
    private sealed class AnswerAtNewline(Progress progress) : Protocol
    {
        private Transport? _transport;
        private int _received;

        public override void ConnectionMade(Transport transport)
        {
            _transport = transport;
            Interlocked.Increment(ref progress.Connections);
        }

        public override void DataReceived(ReadOnlySpan<byte> data)
        {
            _received += data.Length;
            Interlocked.Increment(ref progress.Chunks);
            if (data.Contains((byte)'\n'))
            {
                _transport!.Write(Encoding.UTF8.GetBytes($"answered {_received} bytes\n"));
                _transport.Close();
            }
        }
    }
}
