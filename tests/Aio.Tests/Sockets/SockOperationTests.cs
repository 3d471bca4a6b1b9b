using System.Net;
using System.Net.Sockets;
using System.Text;
using Aio.Tests.Support;

namespace Aio.Tests.Sockets;

/// <summary>The loop's <c>sock_*</c> operations on real loopback sockets: the seed's echo program, waits
/// that end on readiness, faults from the peer, cancellation that loses nothing, and no descriptor left
/// behind.</summary>
[Collection(DescriptorCountingCollection.Name)]
public sealed class SockOperationTests
{
    [Fact]
    public void SeedEchoProgram_ServesTwoClients_AndLeaksNoDescriptor()
    {
        int before = Descriptors.Before();
        LoopTest.WithinSeconds(20, () => LoopTest.Run(async loop =>
        {
            using Socket server = LoopbackSockets.Listen();
            AioTask acceptor = AsyncIO.CreateTask(EchoServer(loop, server));

            string first = await Exchange(loop, server, "hello");
            string second = await Exchange(loop, server, "world, a little longer");
            Assert.Equal("hello", first);
            Assert.Equal("world, a little longer", second);

            acceptor.Cancel();
            await AioAssert.ThrowsAsync<CancelledException>(acceptor);
        }));
        Descriptors.AssertBackTo(before);

        // The seed's program, line for line: accept, then a task per client that echoes until EOF.
        static async Coroutine EchoServer(EventLoop loop, Socket server)
        {
            while (true)
            {
                var (client, _) = await loop.SockAcceptAsync(server);
                _ = AsyncIO.CreateTask(EchoHandler(loop, client));
            }
        }

        static async Coroutine EchoHandler(EventLoop loop, Socket client)
        {
            while (true)
            {
                byte[] data = await loop.SockRecvAsync(client, 1024);
                if (data.Length == 0)
                {
                    break;
                }

                await loop.SockSendAllAsync(client, data);
            }

            client.Close();
        }

        static async Coroutine<string> Exchange(EventLoop loop, Socket server, string text)
        {
            using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            await loop.SockConnectAsync(client, server.LocalEndPoint!);
            byte[] message = Encoding.UTF8.GetBytes(text);
            await loop.SockSendAllAsync(client, message);
            byte[] echoed = new byte[message.Length];
            int got = 0;
            while (got < echoed.Length)
            {
                int n = await loop.SockRecvIntoAsync(client, echoed.AsMemory(got));
                Assert.NotEqual(0, n);
                got += n;
            }

            client.Shutdown(SocketShutdown.Send);
            Assert.Empty(await loop.SockRecvAsync(client, 16));
            return Encoding.UTF8.GetString(echoed);
        }
    }

    [Fact]
    public void SockRecvInto_WaitsUntilBytesArrive_WhileTheLoopRunsOtherTasks()
    {
        LoopTest.WithinSeconds(20, () => LoopTest.Run(async loop =>
        {
            var (a, b) = LoopbackSockets.Pair();
            using (a)
            using (b)
            {
                int ticks = 0;
                AioTask ticker = AsyncIO.CreateTask(async () =>
                {
                    while (true)
                    {
                        ticks++;
                        await AsyncIO.Sleep(0.001);
                    }
                });

                byte[] buffer = new byte[16];
                AioTask<int> receiver = AsyncIO.CreateTask(Receive(loop, b, buffer));
                await AsyncIO.Sleep(0.05);
                Assert.False(receiver.IsDone);
                Assert.True(ticks > 5, $"the loop kept running other tasks ({ticks} ticks)");

                a.Send("abc"u8);
                Assert.Equal(3, await receiver);
                Assert.Equal("abc", Encoding.ASCII.GetString(buffer, 0, 3));
                ticker.Cancel();
                await AioAssert.ThrowsAsync<CancelledException>(ticker);
            }
        }));

        static async Coroutine<int> Receive(EventLoop loop, Socket socket, byte[] buffer) =>
            await loop.SockRecvIntoAsync(socket, buffer);
    }

    [Fact]
    public void SockSendAll_PeerReadsSlowly_WaitsForRoom_AndDeliversEveryByteInOrder()
    {
        LoopTest.WithinSeconds(30, () => LoopTest.Run(async loop =>
        {
            var (a, b) = LoopbackSockets.Pair();
            using (a)
            using (b)
            {
                a.SendBufferSize = 16 * 1024;
                b.ReceiveBufferSize = 16 * 1024;
                byte[] data = new byte[4 * 1024 * 1024];
                new Random(7).NextBytes(data);
                AioTask sender = AsyncIO.CreateTask(async () => await loop.SockSendAllAsync(a, data));
                await AsyncIO.Sleep(0.01);
                Assert.False(sender.IsDone, "4 MiB cannot fit in the socket buffers: the send must wait");

                byte[] received = new byte[data.Length];
                int got = 0;
                while (got < received.Length)
                {
                    got += await loop.SockRecvIntoAsync(b, received.AsMemory(got, Math.Min(64 * 1024, received.Length - got)));
                }

                await sender;
                Assert.Equal(data, received);
            }
        }));
    }

    [Fact]
    public void SockRecv_PeerClosed_ReturnsEmpty_AndPeerReset_Throws()
    {
        LoopTest.WithinSeconds(20, () => LoopTest.Run(async loop =>
        {
            var (a, b) = LoopbackSockets.Pair();
            using (b)
            {
                AioTask<byte[]> waiting = AsyncIO.CreateTask(Recv(loop, b));
                await AsyncIO.Sleep(0);
                a.Shutdown(SocketShutdown.Send);
                Assert.Empty(await waiting);
                a.Close();
            }

            var (c, d) = LoopbackSockets.Pair();
            using (d)
            {
                AioTask<byte[]> reset = AsyncIO.CreateTask(Recv(loop, d));
                await AsyncIO.Sleep(0);
                c.LingerState = new LingerOption(true, 0);
                c.Close();
                SocketException error = await AioAssert.ThrowsAsync<SocketException>(reset);
                Assert.Equal(SocketError.ConnectionReset, error.SocketErrorCode);
            }
        }));

        static async Coroutine<byte[]> Recv(EventLoop loop, Socket socket) => await loop.SockRecvAsync(socket, 100);
    }

    [Fact]
    public void SockSendAll_PeerGone_ThrowsInsteadOfKillingTheProcess()
    {
        LoopTest.WithinSeconds(20, () => LoopTest.Run(async loop =>
        {
            var (a, b) = LoopbackSockets.Pair();
            using (a)
            {
                b.LingerState = new LingerOption(true, 0);
                b.Close();
                await AsyncIO.Sleep(0.01);
                byte[] chunk = new byte[64 * 1024];
                SocketException error = await AioAssert.ThrowsAsync<SocketException>(async () =>
                {
                    for (int i = 0; i < 100; i++)
                    {
                        await loop.SockSendAllAsync(a, chunk);
                    }
                });
                Assert.Contains(error.SocketErrorCode, new[] { SocketError.ConnectionReset, SocketError.Shutdown });
            }
        }));
    }

    [Fact]
    public void SockConnect_ClosedPort_ThrowsConnectionRefused_AndLeaksNothing()
    {
        int before = Descriptors.Before();
        LoopTest.WithinSeconds(20, () => LoopTest.Run(async loop =>
        {
            int port;
            using (Socket probe = LoopbackSockets.Listen())
            {
                port = ((IPEndPoint)probe.LocalEndPoint!).Port;
            }

            using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            SocketException error = await AioAssert.ThrowsAsync<SocketException>(
                async () => await loop.SockConnectAsync(client, new IPEndPoint(IPAddress.Loopback, port)));
            Assert.Equal(SocketError.ConnectionRefused, error.SocketErrorCode);
        }));
        Descriptors.AssertBackTo(before);
    }

    [Fact]
    public void SockConnect_HostName_IsResolvedOffTheLoop()
    {
        LoopTest.WithinSeconds(20, () => LoopTest.Run(async loop =>
        {
            using Socket server = LoopbackSockets.Listen();
            int port = ((IPEndPoint)server.LocalEndPoint!).Port;
            IPEndPoint[] resolved = await loop.GetAddrInfoAsync("localhost", port, AddressFamily.InterNetwork);
            Assert.Contains(new IPEndPoint(IPAddress.Loopback, port), resolved);

            using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            await loop.SockConnectAsync(client, new DnsEndPoint("localhost", port));
            var (accepted, peer) = await loop.SockAcceptAsync(server);
            using (accepted)
            {
                Assert.Equal(client.LocalEndPoint, peer);
            }
        }));
    }

    [Fact]
    public void NameThatDoesNotResolve_SocketException_WhileTheLoopKeepsServing()
    {
        LoopTest.WithinSeconds(60, () => LoopTest.Run(async loop =>
        {
            int ticks = 0;
            AioTask ticker = AsyncIO.CreateTask(async () =>
            {
                while (true)
                {
                    ticks++;
                    await AsyncIO.Sleep(0.001);
                }
            });

            // ".invalid" is reserved never to resolve (RFC 2606). Without a reachable name server the
            // resolver answers "try again" instead of "no such host": a SocketException all the same.
            SocketException error = await AioAssert.ThrowsAsync<SocketException, IPEndPoint[]>(
                () => loop.GetAddrInfoAsync("no-such-host.invalid", 80));
            Assert.Contains(error.SocketErrorCode, new[] { SocketError.HostNotFound, SocketError.TryAgain, SocketError.NoData });

            using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            await AioAssert.ThrowsAsync<SocketException>(async () => await loop.SockConnectAsync(client, new DnsEndPoint("no-such-host.invalid", 80)));
            Assert.True(ticks > 0);
            ticker.Cancel();
            await AioAssert.ThrowsAsync<CancelledException>(ticker);
        }));
    }

    [Fact]
    public void GetAddrInfo_AddressLiteral_IsReturnedWithoutALookup()
    {
        LoopTest.Run(async loop =>
        {
            IPEndPoint[] resolved = await loop.GetAddrInfoAsync("::1", 80);
            Assert.Equal([new IPEndPoint(IPAddress.IPv6Loopback, 80)], resolved);
            await AioAssert.ThrowsAsync<SocketException, IPEndPoint[]>(() => loop.GetAddrInfoAsync("127.0.0.1", 80, AddressFamily.InterNetworkV6));
        });
    }

    [Fact]
    public void SecondReceiveOnASocket_WhileOneWaits_IsRefused_AndTheFirstStillWorks()
    {
        LoopTest.WithinSeconds(20, () => LoopTest.Run(async loop =>
        {
            var (a, b) = LoopbackSockets.Pair();
            using (a)
            using (b)
            {
                AioTask<byte[]> first = AsyncIO.CreateTask(Recv(loop, b));
                await AsyncIO.Sleep(0);
                InvalidOperationException refused = Assert.Throws<InvalidOperationException>(() => { _ = loop.SockRecvAsync(b, 10); });
                Assert.Contains("already receiving", refused.Message);

                a.Send("x"u8);
                Assert.Equal("x"u8.ToArray(), await first);
            }
        }));

        static async Coroutine<byte[]> Recv(EventLoop loop, Socket socket) => await loop.SockRecvAsync(socket, 10);
    }

    [Fact]
    public void CancelledWaitingReceive_TakesNothing_TheNextOneGetsTheBytes()
    {
        LoopTest.WithinSeconds(20, () => LoopTest.Run(async loop =>
        {
            var (a, b) = LoopbackSockets.Pair();
            using (a)
            using (b)
            {
                byte[] buffer = new byte[8];
                AioTask<int> waiting = AsyncIO.CreateTask(RecvInto(loop, b, buffer));
                await AsyncIO.Sleep(0);
                waiting.Cancel();
                await AioAssert.ThrowsAsync<CancelledException>(waiting);

                // The next receive can start at once, before anything arrives: the cancelled one has left.
                ValueTask<byte[]> next = loop.SockRecvAsync(b, 8);
                a.Send("late"u8);
                await AsyncIO.Sleep(0.01);
                Assert.All(buffer, x => Assert.Equal(0, x));
                Assert.Equal("late"u8.ToArray(), await next);
            }
        }));
    }

    [Fact]
    public void ReceiveCompleted_ThenTaskCancelledBeforeItResumed_TheBytesGoToTheNextReceive()
    {
        LoopTest.WithinSeconds(20, () => LoopTest.Run(async loop =>
        {
            var (a, b) = LoopbackSockets.Pair();
            using (a)
            using (b)
            {
                byte[] buffer = new byte[8];
                AioTask<int> waiting = AsyncIO.CreateTask(RecvInto(loop, b, buffer));
                await AsyncIO.Sleep(0);
                a.Send("kept"u8);

                // This task resumes first in the next iteration, whose poll completes the receive: the
                // cancellation then reaches a task whose receive is done but which has not resumed.
                await AsyncIO.Sleep(0);
                Assert.True(waiting.Cancel());
                await AioAssert.ThrowsAsync<CancelledException>(waiting);

                Assert.Equal("kept"u8.ToArray(), await loop.SockRecvAsync(b, 8));
            }
        }));
    }

    [Fact]
    public void AcceptCompleted_ThenTaskCancelledBeforeItResumed_TheConnectionGoesToTheNextAccept()
    {
        int before = Descriptors.Before();
        LoopTest.WithinSeconds(20, () => LoopTest.Run(async loop =>
        {
            using Socket server = LoopbackSockets.Listen();
            AioTask<(Socket, EndPoint)> waiting = AsyncIO.CreateTask(Accept(loop, server));
            await AsyncIO.Sleep(0);
            using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            client.Connect(server.LocalEndPoint!);
            await AsyncIO.Sleep(0);
            Assert.True(waiting.Cancel());
            await AioAssert.ThrowsAsync<CancelledException>(waiting);

            var (accepted, peer) = await loop.SockAcceptAsync(server);
            using (accepted)
            {
                Assert.Equal(client.LocalEndPoint, peer);
            }
        }));
        Descriptors.AssertBackTo(before);

        static async Coroutine<(Socket, EndPoint)> Accept(EventLoop loop, Socket server) => await loop.SockAcceptAsync(server);
    }

    [Fact]
    public void Datagrams_SendToAndReceiveFrom_WaitForEachOther()
    {
        LoopTest.WithinSeconds(20, () => LoopTest.Run(async loop =>
        {
            using var a = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            using var b = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            a.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            b.Bind(new IPEndPoint(IPAddress.Loopback, 0));

            AioTask<(byte[], EndPoint)> receiving = AsyncIO.CreateTask(RecvFrom(loop, b));
            await AsyncIO.Sleep(0);
            Assert.False(receiving.IsDone);
            Assert.Equal(5, await loop.SockSendToAsync(a, "ping!"u8.ToArray(), b.LocalEndPoint!));
            var (data, from) = await receiving;
            Assert.Equal("ping!"u8.ToArray(), data);
            Assert.Equal(a.LocalEndPoint, from);

            await loop.SockSendToAsync(b, "pong"u8.ToArray(), from);
            byte[] buffer = new byte[16];
            SocketReceiveFromResult result = await loop.SockRecvFromIntoAsync(a, buffer);
            Assert.Equal(4, result.ReceivedBytes);
            Assert.Equal(b.LocalEndPoint, result.RemoteEndPoint);
        }));

        static async Coroutine<(byte[], EndPoint)> RecvFrom(EventLoop loop, Socket socket) => await loop.SockRecvFromAsync(socket, 64);
    }

    [Fact]
    public void UnixStreamSockets_EchoThroughTheSameOperations()
    {
        string path = Path.Combine(Path.GetTempPath(), $"aio-test-{Guid.NewGuid():N}.sock");
        try
        {
            LoopTest.WithinSeconds(20, () => LoopTest.Run(async loop =>
            {
                using var server = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                server.Bind(new UnixDomainSocketEndPoint(path));
                server.Listen();
                using var client = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                await loop.SockConnectAsync(client, new UnixDomainSocketEndPoint(path));
                var (accepted, _) = await loop.SockAcceptAsync(server);
                using (accepted)
                {
                    await loop.SockSendAllAsync(client, "over unix"u8.ToArray());
                    Assert.Equal("over unix"u8.ToArray(), await loop.SockRecvAsync(accepted, 64));
                }
            }));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void SockRecv_ReturnsWhatCame_WhetherEachReceiveFillsTheRequestOrNot()
    {
        LoopTest.Run(async loop =>
        {
            var (a, b) = LoopbackSockets.Pair();
            using (a)
            using (b)
            {
                // Two receives that fill the request, then one that falls short of it, then one that asks
                // for more than came: each returns an array of exactly the bytes it got, in order.
                a.Send("abcdefghij"u8);
                await AioAssert.WaitUntil(() => b.Available == 10);
                Assert.Equal("abcd"u8.ToArray(), await loop.SockRecvAsync(b, 4));
                Assert.Equal("efgh"u8.ToArray(), await loop.SockRecvAsync(b, 4));
                Assert.Equal("ij"u8.ToArray(), await loop.SockRecvAsync(b, 4));

                a.Send("klm"u8);
                Assert.Equal("klm"u8.ToArray(), await loop.SockRecvAsync(b, 8));
                a.Send("nopq"u8);
                Assert.Equal("nopq"u8.ToArray(), await loop.SockRecvAsync(b, 4));
                a.Shutdown(SocketShutdown.Send);
                Assert.Empty(await loop.SockRecvAsync(b, 4));
            }
        });
    }

    [Fact]
    public void DescriptorWithSocketOperations_RefusesReaderCallbacks_AndTheOtherWayRound()
    {
        LoopTest.Run(async loop =>
        {
            var (a, b) = LoopbackSockets.Pair();
            using (a)
            using (b)
            {
                a.Send("x"u8);
                Assert.Equal("x"u8.ToArray(), await loop.SockRecvAsync(b, 1));
                Assert.Throws<InvalidOperationException>(() => loop.AddReader(b, () => { }));

                loop.AddReader(a, () => { });
                InvalidOperationException refused = Assert.Throws<InvalidOperationException>(() => { _ = loop.SockRecvAsync(a, 1); });
                Assert.Contains("reader or writer callbacks", refused.Message);
                loop.RemoveReader(a);
            }
        });
    }

    [Fact]
    public void ClosedSocketsDescriptorReused_TheNewSocketWorks_AndAWaiterOnTheOldOneIsAborted()
    {
        LoopTest.WithinSeconds(20, () => LoopTest.Run(async loop =>
        {
            var (a, b) = LoopbackSockets.Pair();
            AioTask<byte[]> orphan = AsyncIO.CreateTask(Recv(loop, b));
            await AsyncIO.Sleep(0);
            int oldFd = (int)b.Handle;
            b.Close();
            a.Close();

            // Descriptor numbers are reused lowest first: the next pair very likely gets the old number.
            var (c, d) = LoopbackSockets.Pair();
            using (c)
            using (d)
            {
                Socket reused = (int)c.Handle == oldFd ? c : d;
                Socket other = ReferenceEquals(reused, c) ? d : c;
                other.Send("new"u8);
                Assert.Equal("new"u8.ToArray(), await loop.SockRecvAsync(reused, 8));
                if ((int)reused.Handle == oldFd)
                {
                    SocketException aborted = await AioAssert.ThrowsAsync<SocketException>(orphan);
                    Assert.Equal(SocketError.OperationAborted, aborted.SocketErrorCode);
                }
                else
                {
                    orphan.Cancel();
                    await AioAssert.ThrowsAsync<CancelledException>(orphan);
                }
            }
        }));

        static async Coroutine<byte[]> Recv(EventLoop loop, Socket socket) => await loop.SockRecvAsync(socket, 8);
    }

    [Fact]
    public void OperationsOnADisposedSocket_Throw_AndNeverReachTheDescriptorThatTookItsNumber()
    {
        string decoyPath = Path.GetTempFileName();
        try
        {
            LoopTest.Run(async loop =>
            {
                var (a, b) = LoopbackSockets.Pair();
                using (a)
                {
                    a.Send("x"u8);
                    Assert.Equal("x"u8.ToArray(), await loop.SockRecvAsync(b, 1));
                    int number = (int)b.Handle;
                    b.Dispose();

                    // Descriptor numbers are reused lowest first: within a few files opened, one takes the
                    // socket's (lower ones, such as the pair's listener's, go first).
                    var decoys = new List<FileStream>();
                    try
                    {
                        while (decoys.Count < 16 && !decoys.Exists(f => (int)f.SafeFileHandle.DangerousGetHandle() == number))
                        {
                            decoys.Add(new FileStream(decoyPath, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite));
                        }

                        FileStream decoy = decoys.Single(f => (int)f.SafeFileHandle.DangerousGetHandle() == number);
                        Assert.Equal(number, (int)b.Handle);

                        Assert.Throws<ObjectDisposedException>(() => loop.SockSendAllAsync(b, "written"u8.ToArray()));
                        Assert.Throws<ObjectDisposedException>(() => loop.SockRecvAsync(b, 8));
                        Assert.Throws<ObjectDisposedException>(() => loop.SockRecvIntoAsync(b, new byte[8]));
                        Assert.Equal(0, decoy.Length);
                    }
                    finally
                    {
                        decoys.ForEach(f => f.Dispose());
                    }
                }
            });

            // A socket disposed before the loop ever saw it.
            LoopTest.Run(async loop =>
            {
                var unseen = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                unseen.Dispose();
                Assert.Throws<ObjectDisposedException>(() => loop.SockRecvAsync(unseen, 8));
                await AsyncIO.Sleep(0);
            });
        }
        finally
        {
            File.Delete(decoyPath);
        }
    }

    [Fact]
    public void ASocketATransportTookOver_RefusesLoopSocketOperations_AndTheTransportGetsTheBytes()
    {
        int before = Descriptors.Before();
        LoopTest.WithinSeconds(20, () => LoopTest.Run(async loop =>
        {
            var (client, server) = LoopbackSockets.Pair();
            using (client)
            {
                // The socket the loop used last: its record is the one a next call would find first.
                client.Send("x"u8);
                Assert.Equal("x"u8.ToArray(), await loop.SockRecvAsync(server, 1));

                // A transport takes the socket over: the descriptor is the transport's from now on.
                var log = new List<string>();
                var recorder = new Net.TransportTests.Recorder(log);
                var (transport, _) = loop.ConnectAcceptedSocket(() => recorder, server);
                await recorder.Made;
                client.Send("for the transport"u8);

                InvalidOperationException refused = Assert.Throws<InvalidOperationException>(() => loop.SockRecvAsync(server, 64));
                Assert.Contains("is used by", refused.Message);
                while (recorder.Text.Length < "for the transport".Length)
                {
                    await AsyncIO.Sleep(0.01);
                }

                Assert.Equal("for the transport", recorder.Text);
                transport.Close();
                await recorder.Lost;
            }
        }));
        Descriptors.AssertBackTo(before);
    }

    [Fact]
    public void ManyConnections_OneResetsMidway_TheOthersAreStillServed()
    {
        int before = Descriptors.Before();
        LoopTest.WithinSeconds(30, () => LoopTest.Run(async loop =>
        {
            var pairs = Enumerable.Range(0, 50).Select(_ => LoopbackSockets.Pair()).ToList();
            var echoes = pairs.Select(p => AsyncIO.CreateTask(EchoOnce(loop, p.Server))).ToList();
            await AsyncIO.Sleep(0);

            // One peer resets its connection; everyone else sends and must get its bytes back.
            pairs[7].Client.LingerState = new LingerOption(true, 0);
            pairs[7].Client.Close();
            for (int i = 0; i < pairs.Count; i++)
            {
                if (i != 7)
                {
                    pairs[i].Client.Send(BitConverter.GetBytes(i));
                }
            }

            await AioAssert.ThrowsAsync<SocketException>(echoes[7]);
            for (int i = 0; i < pairs.Count; i++)
            {
                if (i == 7)
                {
                    continue;
                }

                await echoes[i];
                byte[] back = new byte[4];
                int n = await loop.SockRecvIntoAsync(pairs[i].Client, back);
                Assert.Equal(4, n);
                Assert.Equal(i, BitConverter.ToInt32(back));
            }

            foreach (var (client, server) in pairs)
            {
                client.Dispose();
                server.Dispose();
            }
        }));
        Descriptors.AssertBackTo(before);

        static async Coroutine EchoOnce(EventLoop loop, Socket socket)
        {
            byte[] data = await loop.SockRecvAsync(socket, 64);
            await loop.SockSendAllAsync(socket, data);
        }
    }

    private static async Coroutine<int> RecvInto(EventLoop loop, Socket socket, byte[] buffer) =>
        await loop.SockRecvIntoAsync(socket, buffer);
}
