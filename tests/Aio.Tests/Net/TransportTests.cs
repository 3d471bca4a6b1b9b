using System.Net;
using System.Net.Sockets;
using System.Text;
using Aio.Net;
using Aio.Tests.Support;

namespace Aio.Tests.Net;

/// <summary>Servers, connections, transports and protocols over loopback: the callback order asyncio
/// promises, flow control both ways, half-close, faults from the peer and from the protocol itself, and
/// closing a server with its clients — each ending with no descriptor left open.</summary>
[Collection(DescriptorCountingCollection.Name)]
public sealed class TransportTests
{
    [Fact]
    public void EchoProtocol_ClientAndServer_SeeCallbacksInAsyncioOrder()
    {
        int before = Descriptors.Before();
        var serverLog = new List<string>();
        var clientLog = new List<string>();
        LoopTest.WithinSeconds(20, () => LoopTest.Run(async loop =>
        {
            await using Server server = await loop.CreateServerAsync(() => new EchoProtocol(serverLog), "127.0.0.1", 0);
            int port = ((IPEndPoint)server.Sockets[0].LocalEndPoint!).Port;
            var (transport, client) = await loop.CreateConnectionAsync(() => new Recorder(clientLog), "127.0.0.1", port);
            await client.Made;
            transport.Write("hello "u8);
            transport.Write("world"u8);
            await AioAssert.WaitUntil(() => client.Text == "hello world");
            transport.WriteEof();
            await client.Lost;
            Assert.True(transport.IsClosing);
        }));

        Assert.Equal("made", clientLog[0]);
        Assert.Equal(["eof", "lost: "], clientLog[^2..]);
        Assert.Equal("made", serverLog[0]);
        Assert.Equal(["eof", "lost: "], serverLog[^2..]);
        Descriptors.AssertBackTo(before);
    }

    [Fact]
    public void BufferedProtocol_ReceivesIntoItsOwnBuffer()
    {
        LoopTest.WithinSeconds(20, () => LoopTest.Run(async loop =>
        {
            var received = new MemoryStream();
            await using Server server = await loop.CreateServerAsync(() => new Collecting(received), "127.0.0.1", 0);
            int port = ((IPEndPoint)server.Sockets[0].LocalEndPoint!).Port;
            var (transport, client) = await loop.CreateConnectionAsync(() => new Recorder([]), "127.0.0.1", port);
            byte[] data = new byte[300_000];
            new Random(3).NextBytes(data);
            transport.Write(data);
            await AioAssert.WaitUntil(() => received.Length == data.Length);
            Assert.Equal(data, received.ToArray());
            transport.Close();
            await client.Lost;
        }));
    }

    [Fact]
    public void PeerStopsReading_WriterIsPausedAboveHighWater_AndResumedOnceDrained()
    {
        LoopTest.WithinSeconds(30, () => LoopTest.Run(async loop =>
        {
            Flooder? flooder = null;
            await using Server server = await loop.CreateServerAsync(() => flooder = new Flooder(), "127.0.0.1", 0);
            int port = ((IPEndPoint)server.Sockets[0].LocalEndPoint!).Port;
            var (transport, client) = await loop.CreateConnectionAsync(() => new Recorder([], keepText: false), "127.0.0.1", port);
            transport.PauseReading();
            Assert.False(transport.IsReading);

            await AioAssert.WaitUntil(() => flooder is { Paused: true });
            int buffered = flooder!.Transport!.WriteBufferSize;
            Assert.True(buffered > flooder.Transport.WriteBufferHighWater, $"{buffered} bytes buffered");
            Assert.True(buffered < 1024 * 1024, $"the writer stopped writing, so the buffer stays bounded ({buffered} bytes)");
            await AsyncIO.Sleep(0.05);
            Assert.Equal(buffered, flooder.Transport.WriteBufferSize);

            transport.ResumeReading();
            await AioAssert.WaitUntil(() => flooder.Resumed);
            Assert.True(flooder.Transport.WriteBufferSize <= flooder.Transport.WriteBufferLowWater);
            transport.Close();
            await client.Lost;
        }));
    }

    [Fact]
    public void HalfClose_ServerKeepsWritingAfterEof_ThenCloses()
    {
        LoopTest.WithinSeconds(20, () => LoopTest.Run(async loop =>
        {
            await using Server server = await loop.CreateServerAsync(() => new AnswerAtEof(), "127.0.0.1", 0);
            int port = ((IPEndPoint)server.Sockets[0].LocalEndPoint!).Port;
            var log = new List<string>();
            var (transport, client) = await loop.CreateConnectionAsync(() => new Recorder(log), "127.0.0.1", port);
            transport.Write("question"u8);
            transport.WriteEof();
            Assert.Throws<InvalidOperationException>(() => transport.Write("more"u8));
            await client.Lost;
            Assert.Equal("answer to 8 bytes", client.Text);
            Assert.Equal(["eof", "lost: "], log[^2..]);
        }));
    }

    [Fact]
    public void PeerResets_ConnectionLostGetsTheError_AndTheServerGoesOn()
    {
        int before = Descriptors.Before();
        LoopTest.WithinSeconds(20, () => LoopTest.Run(async loop =>
        {
            var logs = new List<List<string>>();
            await using Server server = await loop.CreateServerAsync(() =>
            {
                var log = new List<string>();
                logs.Add(log);
                return new EchoProtocol(log);
            }, "127.0.0.1", 0);
            var endPoint = (IPEndPoint)server.Sockets[0].LocalEndPoint!;

            using (var rude = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
            {
                rude.Connect(endPoint);
                await AioAssert.WaitUntil(() => logs.Count == 1 && logs[0].Contains("made"));
                rude.LingerState = new LingerOption(true, 0);
            }

            await AioAssert.WaitUntil(() => logs[0].Any(l => l.StartsWith("lost", StringComparison.Ordinal)));
            Assert.Contains("lost: ConnectionReset", logs[0]);

            var (transport, client) = await loop.CreateConnectionAsync(() => new Recorder([]), "127.0.0.1", endPoint.Port);
            transport.Write("still here"u8);
            await AioAssert.WaitUntil(() => client.Text == "still here");
            transport.Close();
            await client.Lost;
        }));
        Descriptors.AssertBackTo(before);
    }

    [Fact]
    public void SocketClosedUnderTheTransport_WriteEndsTheConnection_AndNeverReachesTheNumbersNextOwner()
    {
        int before = Descriptors.Before();
        string decoyPath = Path.GetTempFileName();
        try
        {
            LoopTest.WithinSeconds(20, () => LoopTest.Run(async loop =>
            {
                await using Server server = await loop.CreateServerAsync(() => new EchoProtocol([]), "127.0.0.1", 0);
                var endPoint = (IPEndPoint)server.Sockets[0].LocalEndPoint!;
                var log = new List<string>();
                var (transport, client) = await loop.CreateConnectionAsync(() => new Recorder(log), "127.0.0.1", endPoint.Port);
                transport.Write("before"u8);
                await AioAssert.WaitUntil(() => client.Text == "before");

                // The user closes the socket the transport exposes; the next descriptor opened takes its number.
                Socket socket = transport.Socket!;
                int number = (int)socket.Handle;
                socket.Dispose();
                using var decoy = new FileStream(decoyPath, FileMode.Open, FileAccess.ReadWrite);
                Assert.Equal(number, (int)decoy.SafeFileHandle.DangerousGetHandle());

                transport.Write("after"u8);
                await client.Lost;
                Assert.Contains("lost: OperationAborted", log);
                Assert.Equal(0, decoy.Length);
            }));
        }
        finally
        {
            File.Delete(decoyPath);
        }

        Descriptors.AssertBackTo(before);
    }

    [Fact]
    public void ProtocolThrows_ErrorIsReported_ConnectionAborted_OthersServed()
    {
        var reports = new List<LoopExceptionContext>();
        LoopTest.WithinSeconds(20, () => LoopTest.Run(async loop =>
        {
            loop.SetExceptionHandler((_, context) => reports.Add(context));
            await using Server server = await loop.CreateServerAsync(() => new ThrowsOnBang(), "127.0.0.1", 0);
            int port = ((IPEndPoint)server.Sockets[0].LocalEndPoint!).Port;

            var (bad, badClient) = await loop.CreateConnectionAsync(() => new Recorder([]), "127.0.0.1", port);
            var (good, goodClient) = await loop.CreateConnectionAsync(() => new Recorder([]), "127.0.0.1", port);
            bad.Write("bang"u8);
            await badClient.Lost;

            good.Write("fine"u8);
            await AioAssert.WaitUntil(() => goodClient.Text == "fine");
            good.Close();
            await goodClient.Lost;
        }, allowHandlerReports: true));

        LoopExceptionContext report = Assert.Single(reports);
        Assert.Contains("protocol.DataReceived() call failed", report.Message);
        Assert.IsType<InvalidDataException>(report.Exception);
    }

    [Fact]
    public void ServerClose_StopsListening_WaitClosedWaitsForItsClients()
    {
        int before = Descriptors.Before();
        LoopTest.WithinSeconds(20, () => LoopTest.Run(async loop =>
        {
            Server server = await loop.CreateServerAsync(() => new EchoProtocol([]), "127.0.0.1", 0);
            var endPoint = (IPEndPoint)server.Sockets[0].LocalEndPoint!;
            var (transport, client) = await loop.CreateConnectionAsync(() => new Recorder([]), "127.0.0.1", endPoint.Port);
            await client.Made;
            await AioAssert.WaitUntil(() => server.ActiveConnections == 1);

            server.Close();
            Assert.False(server.IsServing);
            Assert.Empty(server.Sockets);
            AioTask waiting = AsyncIO.CreateTask(server.WaitClosedAsync());
            await AsyncIO.Sleep(0.02);
            Assert.False(waiting.IsDone, "a client is still connected");

            using (var refused = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
            {
                SocketException error = await AioAssert.ThrowsAsync<SocketException>(async () => await loop.SockConnectAsync(refused, endPoint));
                Assert.Equal(SocketError.ConnectionRefused, error.SocketErrorCode);
            }

            server.CloseClients();
            await waiting;
            await client.Lost;
            Assert.True(transport.IsClosing);
        }));
        Descriptors.AssertBackTo(before);
    }

    [Fact]
    public void AbortClients_DropsBufferedData_AndServeForeverEndsWhenCancelled()
    {
        LoopTest.WithinSeconds(20, () => LoopTest.Run(async loop =>
        {
            Server server = await loop.CreateServerAsync(() => new EchoProtocol([]), "127.0.0.1", 0, startServing: false);
            Assert.False(server.IsServing);
            AioTask serving = AsyncIO.CreateTask(server.ServeForeverAsync());
            await AsyncIO.Sleep(0);
            Assert.True(server.IsServing);

            int port = ((IPEndPoint)server.Sockets[0].LocalEndPoint!).Port;
            var (_, client) = await loop.CreateConnectionAsync(() => new Recorder([]), "127.0.0.1", port);
            await AioAssert.WaitUntil(() => server.ActiveConnections == 1);
            server.AbortClients();
            await client.Lost;

            serving.Cancel();
            await AioAssert.ThrowsAsync<CancelledException>(serving);
            Assert.False(server.IsServing);
            Assert.Equal(0, server.ActiveConnections);
        }));
    }

    [Fact]
    public void UnixServerAndConnection_Echo_AndAStaleSocketFileIsReplaced()
    {
        string path = Path.Combine(Path.GetTempPath(), $"aio-{Guid.NewGuid():N}.sock");
        try
        {
            // A socket file left behind by a server that did not clean up.
            using (var stale = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified))
            {
                stale.Bind(new UnixDomainSocketEndPoint(path));
            }

            LoopTest.WithinSeconds(20, () => LoopTest.Run(async loop =>
            {
                await using Server server = loop.CreateUnixServer(() => new EchoProtocol([]), path);
                var (transport, client) = await loop.CreateUnixConnectionAsync(() => new Recorder([]), path);
                transport.Write("over a unix socket"u8);
                await AioAssert.WaitUntil(() => client.Text == "over a unix socket");
                transport.Close();
                await client.Lost;
            }));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void CreateConnection_NothingListening_ThrowsConnectionRefused()
    {
        LoopTest.WithinSeconds(20, () => LoopTest.Run(async loop =>
        {
            int port;
            using (Socket probe = LoopbackSockets.Listen())
            {
                port = ((IPEndPoint)probe.LocalEndPoint!).Port;
            }

            SocketException error = await AioAssert.ThrowsAsync<SocketException, (Transport, Recorder)>(
                () => loop.CreateConnectionAsync(() => new Recorder([]), "127.0.0.1", port));
            Assert.Equal(SocketError.ConnectionRefused, error.SocketErrorCode);
        }));
    }

    [Fact]
    public void CreateConnection_CancelledAtEachStep_LeavesNoDescriptorAndNoOrphanTransport()
    {
        int before = Descriptors.Before();
        LoopTest.WithinSeconds(30, () => LoopTest.Run(async loop =>
        {
            await using Server server = await loop.CreateServerAsync(() => new EchoProtocol([]), "127.0.0.1", 0);
            int port = ((IPEndPoint)server.Sockets[0].LocalEndPoint!).Port;

            // Cancelled after 0, 1, 2, ... turns of the loop: before, during and after the connect, and
            // while ConnectionMade is pending.
            for (int turns = 0; turns < 8; turns++)
            {
                AioTask<(Transport, Recorder)> connecting = AsyncIO.CreateTask(loop.CreateConnectionAsync(() => new Recorder([]), "127.0.0.1", port));
                for (int i = 0; i < turns; i++)
                {
                    await AsyncIO.Sleep(0);
                }

                if (connecting.Cancel())
                {
                    await AioAssert.ThrowsAsync<CancelledException>(connecting);
                }
                else
                {
                    var (transport, client) = await connecting;
                    transport.Close();
                    await client.Lost;
                }
            }

            server.CloseClients();
        }));
        Descriptors.AssertBackTo(before);
    }

    [Fact]
    public void ExtraInfo_NamesBothEnds()
    {
        LoopTest.WithinSeconds(20, () => LoopTest.Run(async loop =>
        {
            await using Server server = await loop.CreateServerAsync(() => new EchoProtocol([]), "127.0.0.1", 0);
            var endPoint = (IPEndPoint)server.Sockets[0].LocalEndPoint!;
            var (transport, client) = await loop.CreateConnectionAsync(() => new Recorder([]), "127.0.0.1", endPoint.Port);
            Assert.Equal(endPoint, transport.PeerName);
            Assert.Equal(endPoint, transport.GetExtraInfo("peername"));
            Assert.Equal(transport.SockName, transport.GetExtraInfo("sockname"));
            Assert.Same(transport.Socket, transport.GetExtraInfo("socket"));
            Assert.Equal("default", transport.GetExtraInfo("no-such-name", "default"));
            transport.Close();
            await client.Lost;
        }));
    }

    [Fact]
    public void DebugMode_ServerAndConnectionLeftOpenAtClose_AreReported()
    {
        var reports = new List<LoopExceptionContext>();
        var loop = new EventLoop(new EventLoopOptions { Debug = true });
        Server? server = null;
        Transport? transport = null;
        try
        {
            loop.SetExceptionHandler((_, context) => reports.Add(context));
            loop.RunUntilComplete(loop.CreateTask(Leave()));
        }
        finally
        {
            loop.Close();
        }

        int port = ((IPEndPoint)server!.Sockets[0].LocalEndPoint!).Port;
        Assert.Contains(reports, r => r.Message == $"Unclosed <Server sockets=[127.0.0.1:{port}]>");
        Assert.Contains(reports, r => r.Message.StartsWith("Unclosed transport fd=", StringComparison.Ordinal)
            && r.Message.EndsWith($"127.0.0.1:{port}", StringComparison.Ordinal));

        // The loop only reports them (as asyncio warns): closing is their owner's business.
        transport!.Socket!.Dispose();
        foreach (Transport accepted in server.Clients)
        {
            accepted.Socket!.Dispose();
        }

        foreach (Socket socket in server.Sockets)
        {
            socket.Dispose();
        }

        async Coroutine Leave()
        {
            server = await AsyncIO.GetRunningLoop().CreateServerAsync(() => new EchoProtocol([]), "127.0.0.1", 0);
            int port = ((IPEndPoint)server.Sockets[0].LocalEndPoint!).Port;
            (transport, _) = await AsyncIO.GetRunningLoop().CreateConnectionAsync(() => new Recorder([]), "127.0.0.1", port);
        }
    }

    // ---- protocols --------------------------------------------------------------------------------

    /// <summary>Echoes what it receives and logs its callbacks.</summary>
    private sealed class EchoProtocol(List<string> log) : Protocol
    {
        private Transport? _transport;

        public override void ConnectionMade(Transport transport)
        {
            _transport = transport;
            log.Add("made");
        }

        public override void DataReceived(ReadOnlySpan<byte> data)
        {
            log.Add("data");
            _transport!.Write(data);
        }

        public override bool EofReceived()
        {
            log.Add("eof");
            return false;
        }

        public override void ConnectionLost(Exception? exception) =>
            log.Add("lost: " + (exception as SocketException)?.SocketErrorCode.ToString());
    }

    /// <summary>A client side that records what came and when the connection was made and lost.</summary>
    internal sealed class Recorder(List<string> log, bool keepText = true) : Protocol
    {
        private readonly StringBuilder _text = new();
        private Future<bool>? _made;
        private Future<bool>? _lost;

        public string Text => _text.ToString();

        public Future<bool> Made => _made ??= AsyncIO.GetRunningLoop().CreateFuture<bool>();

        public Future<bool> Lost => _lost ??= AsyncIO.GetRunningLoop().CreateFuture<bool>();

        public override void ConnectionMade(Transport transport)
        {
            log.Add("made");
            Made.SetResult(true);
        }

        public override void DataReceived(ReadOnlySpan<byte> data)
        {
            log.Add("data");
            if (keepText)
            {
                _text.Append(Encoding.UTF8.GetString(data));
            }
        }

        public override bool EofReceived()
        {
            log.Add("eof");
            return false;
        }

        public override void ConnectionLost(Exception? exception)
        {
            log.Add("lost: " + (exception as SocketException)?.SocketErrorCode.ToString());
            Lost.SetResult(true);
        }
    }

    /// <summary>A buffered protocol that appends what it receives to a stream.</summary>
    private sealed class Collecting(MemoryStream into) : BufferedProtocol
    {
        private readonly byte[] _buffer = new byte[1000];

        public override Memory<byte> GetBuffer(int sizeHint) => _buffer;

        public override void BufferUpdated(int count) => into.Write(_buffer, 0, count);
    }

    /// <summary>Writes 64 KiB chunks as long as it is not paused.</summary>
    private sealed class Flooder : Protocol
    {
        private static readonly byte[] s_chunk = new byte[64 * 1024];

        public Transport? Transport { get; private set; }

        public bool Paused { get; private set; }

        public bool Resumed { get; private set; }

        public override void ConnectionMade(Transport transport)
        {
            Transport = transport;
            while (!Paused)
            {
                transport.Write(s_chunk);
            }
        }

        public override void PauseWriting() => Paused = true;

        public override void ResumeWriting() => Resumed = true;
    }

    /// <summary>Counts what it receives and answers once the peer closed its side.</summary>
    private sealed class AnswerAtEof : Protocol
    {
        private Transport? _transport;
        private int _count;

        public override void ConnectionMade(Transport transport) => _transport = transport;

        public override void DataReceived(ReadOnlySpan<byte> data) => _count += data.Length;

        public override bool EofReceived()
        {
            _transport!.Write(Encoding.UTF8.GetBytes($"answer to {_count} bytes"));
            _transport.Close();
            return true;
        }
    }

    /// <summary>Echoes, but throws on "bang".</summary>
    private sealed class ThrowsOnBang : Protocol
    {
        private Transport? _transport;

        public override void ConnectionMade(Transport transport) => _transport = transport;

        public override void DataReceived(ReadOnlySpan<byte> data)
        {
            if (data.SequenceEqual("bang"u8))
            {
                throw new InvalidDataException("bang");
            }

            _transport!.Write(data);
        }
    }
}
