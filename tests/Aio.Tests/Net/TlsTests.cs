using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Aio.Net;
using Aio.Tests.Support;
using Recorder = Aio.Tests.Net.TransportTests.Recorder;

namespace Aio.Tests.Net;

/// <summary>TLS through SslStream on the loop: streams and protocols with <c>ssl=</c>, <c>start_tls</c>
/// after a line of plaintext, the TLS names of <c>get_extra_info</c>, flow control through encryption, and
/// what goes wrong — garbage instead of a handshake, a refused certificate, a silent peer, a reset — each
/// closing cleanly and leaking nothing. Certificates are made at run time and pinned.</summary>
[Collection(DescriptorCountingCollection.Name)]
public sealed class TlsTests
{
    static TlsTests()
    {
        // The first handshake of the process loads OpenSSL and whatever it opens for good; count after it.
        LoopTest.Run(async loop =>
        {
            await using Server server = await AsyncIO.StartServerAsync(EchoAll, "127.0.0.1", 0, ssl: TestCertificates.ServerOptions());
            var (reader, writer) = await AsyncIO.OpenConnectionAsync("127.0.0.1", PortOf(server), ssl: TestCertificates.ClientOptions());
            writer.Write("warm\n"u8);
            await reader.ReadLineAsync();
            writer.Close();
            await writer.WaitClosedAsync();
        });
    }

    [Fact]
    public void Streams_EchoOverTls_WithTheTlsNamesOfGetExtraInfo_AndLeakNothing()
    {
        int before = Descriptors.Before();
        LoopTest.WithinSeconds(20, () => LoopTest.Run(async loop =>
        {
            await using Server server = await AsyncIO.StartServerAsync(EchoAll, "127.0.0.1", 0, ssl: TestCertificates.ServerOptions());
            var (reader, writer) = await AsyncIO.OpenConnectionAsync("127.0.0.1", PortOf(server), ssl: TestCertificates.ClientOptions());
            writer.Write("hello\n"u8);
            Assert.Equal("hello\n", Text(await reader.ReadLineAsync()));

            SslStream ssl = Assert.IsType<SslStream>(writer.GetExtraInfo("ssl_object"));
            Assert.True(ssl.IsAuthenticated);
            var certificate = Assert.IsAssignableFrom<X509Certificate>(writer.GetExtraInfo("peercert"));
            Assert.Equal(TestCertificates.Server.RawData, certificate.GetRawCertData());
            var (cipher, version) = Assert.IsType<(string, string)>(writer.GetExtraInfo("cipher"));
            Assert.StartsWith("TLS_", cipher);
            Assert.StartsWith("TLSv1.", version);
            Assert.Null(writer.GetExtraInfo("compression", "unknown"));
            Assert.IsType<SslClientAuthenticationOptions>(writer.GetExtraInfo("sslcontext"));
            Assert.Equal(server.Sockets[0].LocalEndPoint, writer.GetExtraInfo("peername"));
            Assert.IsType<Socket>(writer.GetExtraInfo("socket"));
            Assert.Equal("unknown", writer.GetExtraInfo("no-such-name", "unknown"));

            // Enough to back both transports up, so that encryption waits on drains and plaintext queues.
            byte[] payload = new byte[3_000_000];
            new Random(3).NextBytes(payload);
            AioTask sending = AsyncIO.CreateTask(Send(writer, payload));
            Assert.Equal(payload, await reader.ReadExactlyAsync(payload.Length));
            await sending;

            // SslStream ran on the loop thread all along: it never called its stream from another thread.
            Assert.Equal(0, ((TlsTransport)writer.Transport).Ciphertext!.CallsFromOtherThreads);

            writer.Close();
            await writer.WaitClosedAsync();
        }));
        Descriptors.AssertBackTo(before);

        static async Coroutine Send(AsyncStreamWriter writer, byte[] payload)
        {
            for (int offset = 0; offset < payload.Length; offset += 100_000)
            {
                writer.Write(payload.AsSpan(offset, Math.Min(100_000, payload.Length - offset)));
                await writer.DrainAsync();
            }
        }
    }

    [Fact]
    public void Protocols_OverTls_SeeCallbacksInAsyncioOrder()
    {
        var serverLog = new List<string>();
        var clientLog = new List<string>();
        LoopTest.WithinSeconds(20, () => LoopTest.Run(async loop =>
        {
            EchoProtocol? echo = null;
            await using Server server = await loop.CreateServerAsync(() => echo = new EchoProtocol(serverLog), "127.0.0.1", 0,
                ssl: TestCertificates.ServerOptions(), sslHandshakeTimeout: 10);

            // No target host: the host connected to is the name checked, as asyncio's server_hostname.
            var (transport, client) = await loop.CreateConnectionAsync(() => new Recorder(clientLog), "127.0.0.1", PortOf(server),
                ssl: TestCertificates.ClientOptions(targetHost: null));
            Assert.Equal(["made"], clientLog);
            Assert.Equal("127.0.0.1", ((SslStream)transport.GetExtraInfo("ssl_object")!).TargetHostName);
            Assert.False(transport.CanWriteEof);
            Assert.Throws<NotSupportedException>(transport.WriteEof);

            transport.Write("hello "u8);
            transport.Write("world"u8);
            await AioAssert.WaitUntil(() => client.Text == "hello world");
            transport.Close();
            Assert.True(transport.IsClosing);
            await client.Lost;
            await echo!.Lost;
        }));

        Assert.Equal("made", clientLog[0]);
        Assert.Equal("lost: ", clientLog[^1]);
        Assert.DoesNotContain("eof", clientLog);
        Assert.Equal("made", serverLog[0]);
        Assert.Equal(["eof", "lost: "], serverLog[^2..]);
    }

    [Fact]
    public void BufferedProtocol_OverTls_ReceivesIntoItsOwnBuffer()
    {
        LoopTest.WithinSeconds(20, () => LoopTest.Run(async loop =>
        {
            var received = new MemoryStream();
            await using Server server = await loop.CreateServerAsync(() => new Collecting(received), "127.0.0.1", 0,
                ssl: TestCertificates.ServerOptions());
            var (transport, client) = await loop.CreateConnectionAsync(() => new Recorder([]), "127.0.0.1", PortOf(server),
                ssl: TestCertificates.ClientOptions());
            byte[] data = new byte[200_000];
            new Random(4).NextBytes(data);
            transport.Write(data);
            await AioAssert.WaitUntil(() => received.Length == data.Length);
            Assert.Equal(data, received.ToArray());
            transport.Close();
            await client.Lost;
        }));
    }

    [Fact]
    public void PeerStopsReading_TlsWriterIsPaused_AndResumedOnceDrained()
    {
        LoopTest.WithinSeconds(30, () => LoopTest.Run(async loop =>
        {
            Flooder? flooder = null;
            await using Server server = await loop.CreateServerAsync(() => flooder = new Flooder(), "127.0.0.1", 0,
                ssl: TestCertificates.ServerOptions());
            var (transport, client) = await loop.CreateConnectionAsync(() => new Recorder([], keepText: false), "127.0.0.1", PortOf(server),
                ssl: TestCertificates.ClientOptions());
            transport.PauseReading();
            Assert.False(transport.IsReading);

            await AioAssert.WaitUntil(() => flooder is { Paused: true });
            int buffered = flooder!.Transport!.WriteBufferSize;
            Assert.True(buffered < 2 * 1024 * 1024, $"the writer stopped writing, so the buffer stays bounded ({buffered} bytes)");

            transport.ResumeReading();
            Assert.True(transport.IsReading);
            await AioAssert.WaitUntil(() => flooder.Resumed);
            Assert.Equal(0, ((TlsTransport)flooder.Transport).Ciphertext!.CallsFromOtherThreads);
            Assert.Equal(0, ((TlsTransport)transport).Ciphertext!.CallsFromOtherThreads);
            transport.Close();
            await client.Lost;
        }));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void StartTls_UpgradesAPlainConnection_AfterALineOfPlaintext(bool clientUsesStreams)
    {
        var clientLog = new List<string>();
        LoopTest.WithinSeconds(20, () => LoopTest.Run(async loop =>
        {
            object? serverTls = null;
            await using Server server = await AsyncIO.StartServerAsync(async (r, w) =>
            {
                Assert.Equal("STARTTLS\n", Text(await r.ReadLineAsync()));
                Assert.Null(w.GetExtraInfo("ssl_object"));
                w.Write("GO\n"u8);
                await w.StartTlsAsync(TestCertificates.ServerOptions(), sslHandshakeTimeout: 10);
                serverTls = w.GetExtraInfo("ssl_object");
                byte[] secret = await r.ReadLineAsync();
                w.Write("got "u8);
                w.Write(secret);
                await w.DrainAsync();
                w.Close();
            }, "127.0.0.1", 0);

            if (clientUsesStreams)
            {
                var (reader, writer) = await AsyncIO.OpenConnectionAsync("127.0.0.1", PortOf(server));
                writer.Write("STARTTLS\n"u8);
                Assert.Equal("GO\n", Text(await reader.ReadLineAsync()));
                Transport plain = writer.Transport;
                await writer.StartTlsAsync(TestCertificates.ClientOptions());
                Assert.NotSame(plain, writer.Transport);
                Assert.IsType<SslStream>(writer.GetExtraInfo("ssl_object"));
                writer.Write("secret\n"u8);
                Assert.Equal("got secret\n", Text(await reader.ReadLineAsync()));
                Assert.Empty(await reader.ReadAsync());
                writer.Close();
                await writer.WaitClosedAsync();
            }
            else
            {
                var (plain, client) = await loop.CreateConnectionAsync(() => new Recorder(clientLog), "127.0.0.1", PortOf(server));
                plain.Write("STARTTLS\n"u8);
                await AioAssert.WaitUntil(() => client.Text == "GO\n");
                Transport tls = await loop.StartTlsAsync(plain, client, TestCertificates.ClientOptions());
                Assert.IsType<SslStream>(tls.GetExtraInfo("ssl_object"));
                Assert.Null(plain.GetExtraInfo("ssl_object"));
                Assert.Same(client, tls.Protocol);
                tls.Write("secret\n"u8);
                await client.Lost;
                Assert.Equal("GO\ngot secret\n", client.Text);
                Assert.Equal(1, clientLog.Count(e => e == "made"));
                Assert.Equal(["eof", "lost: "], clientLog[^2..]);
            }

            Assert.IsType<SslStream>(serverTls);
        }));
    }

    [Fact]
    public void UserSslStream_OverAConnectionStream_TalksToATlsServer()
    {
        LoopTest.WithinSeconds(20, () => LoopTest.Run(async loop =>
        {
            await using Server server = await AsyncIO.StartServerAsync(EchoAll, "127.0.0.1", 0, ssl: TestCertificates.ServerOptions());
            var (reader, writer) = await AsyncIO.OpenConnectionAsync("127.0.0.1", PortOf(server));

            // Plain .NET code from here on: an ordinary async method, SslStream over the connection's stream.
            string answer = await AsyncIO.CreateTask(async () =>
            {
                await using var ssl = new SslStream(writer.AsStream());
                await ssl.AuthenticateAsClientAsync(TestCertificates.ClientOptions());
                await ssl.WriteAsync("over SslStream\n"u8.ToArray());
                byte[] back = new byte[15];
                await ssl.ReadExactlyAsync(back);
                return Text(back);
            });
            Assert.Equal("over SslStream\n", answer);
            Assert.Equal(0, ((ConnectionStream)writer.AsStream()).CallsFromOtherThreads);
            await writer.WaitClosedAsync();
        }));
    }

    [Fact]
    public void GarbageInsteadOfAHandshake_ClosesThatConnection_TheServerGoesOn_AndNothingLeaks()
    {
        // In debug mode the failed handshake is reported, and only then, as asyncio does (its SSLError is an
        // OSError). Debug mode opens symbol files for good, so descriptors are counted on the second run.
        var reports = new List<LoopExceptionContext>();
        LoopTest.WithinSeconds(20, () => LoopTest.Run(loop => GarbageThenAProperClient(loop, reports),
            allowHandlerReports: true, options: new EventLoopOptions { Debug = true }));
        LoopExceptionContext report = Assert.Single(reports, r => r.Message.StartsWith("TLS handshake failed", StringComparison.Ordinal));
        Assert.True(report.Exception is AuthenticationException or IOException, report.Exception?.ToString());

        reports.Clear();
        int before = Descriptors.Before();
        LoopTest.WithinSeconds(20, () => LoopTest.Run(loop => GarbageThenAProperClient(loop, reports),
            options: new EventLoopOptions { Debug = false }));
        Assert.Empty(reports);
        Descriptors.AssertBackTo(before);

        static async Coroutine GarbageThenAProperClient(EventLoop loop, List<LoopExceptionContext> reports)
        {
            loop.SetExceptionHandler((_, context) => reports.Add(context));
            int handlers = 0;
            await using Server server = await AsyncIO.StartServerAsync(async (r, w) =>
            {
                handlers++;
                await EchoAll(r, w);
            }, "127.0.0.1", 0, ssl: TestCertificates.ServerOptions());

            using (var garbage = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
            {
                await loop.SockConnectAsync(garbage, new IPEndPoint(IPAddress.Loopback, PortOf(server)));
                byte[] noise = new byte[2048];
                new Random(7).NextBytes(noise);
                noise[0] = 0xFF; // no TLS record starts so
                await loop.SockSendAllAsync(garbage, noise);
                await ReadToTheEnd(loop, garbage);
            }

            var (reader, writer) = await AsyncIO.OpenConnectionAsync("127.0.0.1", PortOf(server), ssl: TestCertificates.ClientOptions());
            writer.Write("still serving\n"u8);
            Assert.Equal("still serving\n", Text(await reader.ReadLineAsync()));
            writer.Close();
            await writer.WaitClosedAsync();
            Assert.Equal(1, handlers);
        }
    }

    [Fact]
    public void ClientRefusingTheCertificate_GetsAClearAuthenticationException_AndTheServerGoesOn()
    {
        int before = Descriptors.Before();
        LoopTest.WithinSeconds(20, () => LoopTest.Run(async loop =>
        {
            // In TLS 1.3 the client judges the certificate after its side of the handshake is done, so the
            // server may already run its handler for that connection; when the client then closes with the
            // server's session ticket unread, its kernel resets the connection, and the handler's read says
            // so. The server going on is what counts here.
            await using Server server = await AsyncIO.StartServerAsync(async (reader, writer) =>
            {
                try
                {
                    await EchoAll(reader, writer);
                }
                catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
                {
                    writer.Close();
                }
            }, "127.0.0.1", 0, ssl: TestCertificates.ServerOptions());
            AuthenticationException refused = await AioAssert.ThrowsAsync<AuthenticationException, (AsyncStreamReader, AsyncStreamWriter)>(
                () => AsyncIO.OpenConnectionAsync("127.0.0.1", PortOf(server), ssl: TestCertificates.ClientOptions(pinned: TestCertificates.Other)));
            Assert.Contains("RemoteCertificateValidationCallback", refused.Message);

            var (reader, writer) = await AsyncIO.OpenConnectionAsync("127.0.0.1", PortOf(server), ssl: TestCertificates.ClientOptions());
            writer.Write("ok\n"u8);
            Assert.Equal("ok\n", Text(await reader.ReadLineAsync()));
            writer.Close();
            await writer.WaitClosedAsync();
        }));
        Descriptors.AssertBackTo(before);
    }

    [Fact]
    public void SilentPeer_HandshakeTimesOut_OnTheClientAndOnTheServer()
    {
        int before = Descriptors.Before();
        LoopTest.WithinSeconds(20, () => LoopTest.Run(async loop =>
        {
            // A server that accepts (the kernel does, into the backlog) and never says a word.
            using (Socket silent = LoopbackSockets.Listen())
            {
                TimeoutException timeout = await AioAssert.ThrowsAsync<TimeoutException, (AsyncStreamReader, AsyncStreamWriter)>(
                    () => AsyncIO.OpenConnectionAsync("127.0.0.1", PortOf(silent), ssl: TestCertificates.ClientOptions(), sslHandshakeTimeout: 0.2));
                Assert.Contains("TLS handshake", timeout.Message);
            }

            // A client that connects and never says a word: the server drops it, and never runs a handler.
            bool handled = false;
            await using Server server = await AsyncIO.StartServerAsync(async (r, w) =>
            {
                handled = true;
                await EchoAll(r, w);
            }, "127.0.0.1", 0,
                ssl: TestCertificates.ServerOptions(), sslHandshakeTimeout: 0.2);
            using (var mute = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
            {
                await loop.SockConnectAsync(mute, new IPEndPoint(IPAddress.Loopback, PortOf(server)));
                await ReadToTheEnd(loop, mute);
            }

            Assert.False(handled);
            Assert.Equal(0, server.ActiveConnections);
        }));
        Descriptors.AssertBackTo(before);
    }

    [Fact]
    public void PeerResetsMidTls_ReadRaisesTheReset_AndDrainToo()
    {
        LoopTest.WithinSeconds(20, () => LoopTest.Run(async loop =>
        {
            await using Server server = await AsyncIO.StartServerAsync(async (r, w) =>
            {
                w.Write("ready\n"u8);
                await r.ReadLineAsync();
                ((Socket)w.GetExtraInfo("socket")!).LingerState = new LingerOption(true, 0);
                w.Transport.Abort();
            }, "127.0.0.1", 0, ssl: TestCertificates.ServerOptions());
            var (reader, writer) = await AsyncIO.OpenConnectionAsync("127.0.0.1", PortOf(server), ssl: TestCertificates.ClientOptions());
            Assert.Equal("ready\n", Text(await reader.ReadLineAsync()));
            AioTask<byte[]> reading = AsyncIO.CreateTask(Read(reader));
            await AsyncIO.Sleep(0);
            writer.Write("go\n"u8);

            SocketException error = await AioAssert.ThrowsAsync<SocketException>(reading);
            Assert.Equal(SocketError.ConnectionReset, error.SocketErrorCode);
            Assert.Same(error, reader.Exception);
            await AioAssert.ThrowsAsync<SocketException>(async () => await writer.DrainAsync());
            Assert.True(writer.IsClosing);
        }));

        static async Coroutine<byte[]> Read(AsyncStreamReader reader) => await reader.ReadAsync(100);
    }

    [Fact]
    public void TimeoutWithoutTls_IsRefused()
    {
        LoopTest.WithinSeconds(20, () => LoopTest.Run(async loop =>
        {
            await AioAssert.ThrowsAsync<ArgumentException, (AsyncStreamReader, AsyncStreamWriter)>(
                () => AsyncIO.OpenConnectionAsync("127.0.0.1", 1, sslHandshakeTimeout: 5));
            await AioAssert.ThrowsAsync<ArgumentOutOfRangeException, (AsyncStreamReader, AsyncStreamWriter)>(
                () => AsyncIO.OpenConnectionAsync("127.0.0.1", 1, ssl: TestCertificates.ClientOptions(), sslHandshakeTimeout: 0));
        }));
    }

    [Fact]
    public void ClientOptionsCopiedForTheTargetHost_CarryEverySetting()
    {
        // The copy names each property: when .NET adds one, this fails until the copy carries it too.
        string[] copied =
        [
            "AllowRenegotiation", "AllowTlsResume", "LocalCertificateSelectionCallback", "RemoteCertificateValidationCallback",
            "ApplicationProtocols", "TargetHost", "ClientCertificates", "ClientCertificateContext", "CertificateRevocationCheckMode",
            "EncryptionPolicy", "EnabledSslProtocols", "CipherSuitesPolicy", "CertificateChainPolicy", "AllowRsaPssPadding",
            "AllowRsaPkcs1Padding",
        ];
        string[] settable = typeof(SslClientAuthenticationOptions).GetProperties().Where(p => p.CanWrite).Select(p => p.Name).ToArray();
        Assert.Equal(copied.Order(), settable.Order());

        SslClientAuthenticationOptions original = TestCertificates.ClientOptions(targetHost: null);
        original.EnabledSslProtocols = SslProtocols.Tls13;
        original.AllowRenegotiation = false;
        original.ApplicationProtocols = [SslApplicationProtocol.Http11];
        SslClientAuthenticationOptions copy = TlsSettings.WithTargetHost(original, "example.test");
        Assert.Equal("example.test", copy.TargetHost);
        Assert.Null(original.TargetHost);
        Assert.Same(original.RemoteCertificateValidationCallback, copy.RemoteCertificateValidationCallback);
        Assert.Equal(SslProtocols.Tls13, copy.EnabledSslProtocols);
        Assert.False(copy.AllowRenegotiation);
        Assert.Same(original.ApplicationProtocols, copy.ApplicationProtocols);
    }


    // ---- helpers --------------------------------------------------------------------------------

    [Fact]
    public void UnixStreams_EchoOverTls_AndRefuseTlsWithoutAServerName()
    {
        string dir = Directory.CreateTempSubdirectory("aio-tls-unix-").FullName;
        try
        {
            string path = Path.Combine(dir, "tls.sock");
            GuardedLoop.Run(async _ =>
            {
                await using Server server = AsyncIO.StartUnixServer(EchoAll, path, ssl: TestCertificates.ServerOptions());
                var (reader, writer) = await AsyncIO.OpenUnixConnectionAsync(path, ssl: TestCertificates.ClientOptions());
                Assert.IsType<SslStream>(writer.GetExtraInfo("ssl_object"));
                writer.Write("over a unix socket\n"u8);
                Assert.Equal("over a unix socket\n", Text(await reader.ReadLineAsync()));
                writer.Close();
                await writer.WaitClosedAsync();

                // No host name to check the certificate against: refused before connecting, as asyncio
                // refuses ssl without server_hostname.
                await Assert.ThrowsAsync<ArgumentException>(async () =>
                    await AsyncIO.OpenUnixConnectionAsync(path, ssl: TestCertificates.ClientOptions(targetHost: null)));
            });
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void CreateServer_OnACallersSocket_ServesTls()
    {
        GuardedLoop.Run(async loop =>
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            var log = new List<string>();
            await using Server server = loop.CreateServer(() => new EchoProtocol(log), socket, ssl: TestCertificates.ServerOptions());
            var (reader, writer) = await AsyncIO.OpenConnectionAsync("127.0.0.1", PortOf(socket), ssl: TestCertificates.ClientOptions());
            writer.Write("bound by the caller\n"u8);
            Assert.Equal("bound by the caller\n", Text(await reader.ReadLineAsync()));
            writer.Close();
            await writer.WaitClosedAsync();
        });
    }

    [Fact]
    public void ConnectAcceptedSocketAsync_ServesTlsOnASocketAcceptedElsewhere()
    {
        GuardedLoop.Run(async loop =>
        {
            using Socket listener = LoopbackSockets.Listen(1);
            var log = new List<string>();
            AioTask<(AsyncStreamReader, AsyncStreamWriter)> client = AsyncIO.CreateTask(
                AsyncIO.OpenConnectionAsync("127.0.0.1", PortOf(listener), ssl: TestCertificates.ClientOptions()));
            var (accepted, _) = await loop.SockAcceptAsync(listener);
            var (transport, protocol) = await loop.ConnectAcceptedSocketAsync(() => new EchoProtocol(log), accepted, ssl: TestCertificates.ServerOptions());
            Assert.IsType<SslStream>(transport.GetExtraInfo("ssl_object"));
            var (reader, writer) = await client;
            writer.Write("accepted elsewhere\n"u8);
            Assert.Equal("accepted elsewhere\n", Text(await reader.ReadLineAsync()));
            writer.Close();
            await writer.WaitClosedAsync();
            await protocol.Lost;
        });
    }

    private static async Coroutine EchoAll(AsyncStreamReader reader, AsyncStreamWriter writer)
    {
        byte[] buffer = new byte[64 * 1024];
        int count;
        while ((count = await reader.ReadAsync(buffer)) > 0)
        {
            writer.Write(buffer.AsSpan(0, count));
            await writer.DrainAsync();
        }

        writer.Close();
    }

    /// <summary>Reads a raw socket until the peer closes or resets it.</summary>
    private static async Coroutine ReadToTheEnd(EventLoop loop, Socket socket)
    {
        try
        {
            while ((await loop.SockRecvAsync(socket, 4096)).Length > 0)
            {
            }
        }
        catch (SocketException)
        {
            // Reset: the server closed with our bytes unread.
        }
    }

    private static int PortOf(Server server) => ((IPEndPoint)server.Sockets[0].LocalEndPoint!).Port;

    private static int PortOf(Socket socket) => ((IPEndPoint)socket.LocalEndPoint!).Port;

    private static string Text(byte[] bytes) => Encoding.UTF8.GetString(bytes);

    /// <summary>Echoes what it receives, logs its callbacks, and says when the connection is lost.</summary>
    private sealed class EchoProtocol(List<string> log) : Protocol
    {
        private Transport? _transport;

        public Future<bool> Lost { get; } = AsyncIO.GetRunningLoop().CreateFuture<bool>();

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
}
