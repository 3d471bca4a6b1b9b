using System.Net.Sockets;
using Aio.Sockets;
using Aio.Tests.Support;

namespace Aio.Tests.Sockets;

/// <summary>How the reactor watches a socket used with <c>sock_*</c> operations: level-triggered reads
/// that need no "would block" call after a receive, writability watched only while a send or connect
/// waits, and the switch to edge triggering the first time a readiness finds nobody waiting — so that
/// unread bytes, a peer gone, or a writable socket never keep the loop from sleeping. With io_uring
/// switched off: where it is on, stream receives go through the ring instead.</summary>
[Collection(DescriptorCountingCollection.Name)]
public sealed class SockReadinessTests
{
    /// <summary>A sleeping loop goes round a few times in 200 ms; one that a readiness keeps awake, tens
    /// of thousands of times.</summary>
    private const long SleepingIterations = 20;

    /// <summary>What these tests watch is epoll's side of receiving: the ring, which takes stream receives
    /// where the kernel offers it, is tested in <see cref="SockRingTests"/>.</summary>
    private static readonly EventLoopOptions EpollOnly = new() { UseIoUring = false };

    [Fact]
    public void ReceivesThatFillTheirRequest_WithMoreQueued_GetTheRest_AndTheSocketStaysLevelTriggered()
    {
        LoopTest.WithinSeconds(20, () => LoopTest.Run(async loop =>
        {
            var (a, b) = LoopbackSockets.Pair();
            using (a)
            using (b)
            {
                byte[] sent = TestBytes.Pattern(4096);
                a.Send(sent);
                await AioAssert.WaitUntil(() => b.Available == sent.Length);

                // Each receive fills its request and parks the next one without asking whether more is
                // queued: the next poll reports the rest.
                var got = new List<byte>();
                for (int i = 0; i < 4; i++)
                {
                    byte[] part = await loop.SockRecvAsync(b, 1024);
                    Assert.Equal(1024, part.Length);
                    got.AddRange(part);
                }

                Assert.Equal(sent, got);
                Assert.True(WaitsOf(loop, b).ReadsAreLevelTriggered, "a receive was waiting at every poll");

                // Ping-pong, as the seed's echo: still level-triggered, and the loop sleeps in between. Each
                // receive fills its request, so now and then one asks whether more is queued — ever more
                // rarely, as none finds any.
                int probesBefore = WaitsOf(loop, b).QueuedBytesProbes;
                await PingPong(loop, a, b, messages: 50, size: 1024);

                Assert.InRange(WaitsOf(loop, b).QueuedBytesProbes - probesBefore, 1, 8);
                Assert.True(WaitsOf(loop, b).ReadsAreLevelTriggered);
                Assert.InRange(await IterationsWhileSleeping(loop), 0, SleepingIterations);
            }
        }, options: EpollOnly));
    }

    [Fact]
    public void MessagesShorterThanTheRequest_NeverAskWhetherMoreIsQueued()
    {
        LoopTest.WithinSeconds(20, () => LoopTest.Run(async loop =>
        {
            var (a, b) = LoopbackSockets.Pair();
            using (a)
            using (b)
            {
                // The seed's echo at 64 bytes: sock_recv(1024) never fills its request, so every receive
                // took all that was queued, and none follows a filled one.
                await PingPong(loop, a, b, messages: 50, size: 64);

                Assert.Equal(0, WaitsOf(loop, b).QueuedBytesProbes);
                Assert.True(WaitsOf(loop, b).ReadsAreLevelTriggered);
            }
        }, options: EpollOnly));
    }

    [Fact]
    public void BurstReadInSmallPieces_GoesOnWithoutALoopIterationPerPiece_AndStaysLevelTriggered()
    {
        LoopTest.WithinSeconds(20, () => LoopTest.Run(async loop =>
        {
            var (a, b) = LoopbackSockets.Pair();
            using (a)
            using (b)
            {
                await ExchangeOneByte(loop, a, b);

                // 64 pieces of 1 KiB, all queued at once, read while a receive waits at every poll. A receive
                // now and then asks TCP_INQ whether more is queued; once one finds more, the rest go on at
                // once instead of waiting for the next poll each.
                byte[] sent = TestBytes.Pattern(64 * 1024);
                AioTask<List<byte>> reader = AsyncIO.CreateTask(async () =>
                {
                    var got = new List<byte>();
                    while (got.Count < sent.Length)
                    {
                        got.AddRange(await loop.SockRecvAsync(b, 1024));
                    }

                    return got;
                });
                await AsyncIO.Sleep(0);
                long before = loop.Iterations;
                a.Send(sent);
                Assert.Equal(sent, await reader);
                Assert.InRange(loop.Iterations - before, 0, 16);
                Assert.True(WaitsOf(loop, b).ReadsAreLevelTriggered);
            }
        }, options: EpollOnly));
    }

    [Fact]
    public void BytesArrivingWhileNobodyReceives_TurnTheSocketEdgeTriggered_TheLoopSleeps_AndNothingIsLost()
    {
        LoopTest.WithinSeconds(20, () => LoopTest.Run(async loop =>
        {
            var (a, b) = LoopbackSockets.Pair();
            using (a)
            using (b)
            {
                await ExchangeOneByte(loop, a, b);
                Assert.True(WaitsOf(loop, b).ReadsAreLevelTriggered);

                byte[] sent = TestBytes.Pattern(3000);
                a.Send(sent);
                await AioAssert.WaitUntil(() => b.Available == sent.Length);

                // Level triggering would report the unread bytes at every poll: the first report that
                // finds no receive waiting turns the socket edge-triggered, and the loop sleeps.
                Assert.InRange(await IterationsWhileSleeping(loop), 0, SleepingIterations);
                Assert.False(WaitsOf(loop, b).ReadsAreLevelTriggered);

                // Every byte, in order, through receives that fill their request (TCP_INQ now says whether
                // more is queued), then one that falls short.
                var got = new List<byte>();
                while (got.Count < sent.Length)
                {
                    got.AddRange(await loop.SockRecvAsync(b, 1024));
                }

                Assert.Equal(sent, got);

                // Edge-triggered from now on: a receive that waits still wakes when bytes come.
                AioTask<byte[]> receive = AsyncIO.CreateTask(async () => await loop.SockRecvAsync(b, 1024));
                await AsyncIO.Sleep(0.01);
                Assert.False(receive.IsDone);
                a.Send("later"u8);
                Assert.Equal("later"u8.ToArray(), await receive);
                Assert.InRange(await IterationsWhileSleeping(loop), 0, SleepingIterations);
            }
        }, options: EpollOnly));
    }

    [Fact]
    public void PeerClosesOrResets_WhileNobodyReceives_TheLoopSleeps_AndTheNextReceiveSeesIt()
    {
        int before = Descriptors.Before();
        LoopTest.WithinSeconds(20, () => LoopTest.Run(async loop =>
        {
            var (a, b) = LoopbackSockets.Pair();
            using (a)
            using (b)
            {
                await ExchangeOneByte(loop, a, b);
                a.Shutdown(SocketShutdown.Send);

                // The end of the stream stays readable for good.
                Assert.InRange(await IterationsWhileSleeping(loop), 0, SleepingIterations);
                Assert.Empty(await loop.SockRecvAsync(b, 1024));
                Assert.Empty(await loop.SockRecvAsync(b, 1024));
            }

            var (c, d) = LoopbackSockets.Pair();
            using (c)
            using (d)
            {
                await ExchangeOneByte(loop, c, d);
                c.LingerState = new LingerOption(true, 0);
                c.Close();

                // A reset reports an error (EPOLLERR, EPOLLHUP) whatever the socket is watched for.
                Assert.InRange(await IterationsWhileSleeping(loop), 0, SleepingIterations);
                var reset = await AioAssert.ThrowsAsync<SocketException>(async () => await loop.SockRecvAsync(d, 1024));
                Assert.Equal(SocketError.ConnectionReset, reset.SocketErrorCode);
            }
        }, options: EpollOnly));
        Descriptors.AssertBackTo(before);
    }

    [Fact]
    public void SendThatWaitedForRoom_StopsWatchingWritability_OnceOver_AndTheLoopSleeps()
    {
        LoopTest.WithinSeconds(30, () => LoopTest.Run(async loop =>
        {
            var (a, b) = LoopbackSockets.Pair();
            using (a)
            using (b)
            {
                a.SendBufferSize = 16 * 1024;
                b.ReceiveBufferSize = 16 * 1024;
                byte[] data = TestBytes.Pattern(1024 * 1024);
                AioTask sender = AsyncIO.CreateTask(async () => await loop.SockSendAllAsync(a, data));
                await AsyncIO.Sleep(0.01);
                Assert.False(sender.IsDone, "1 MiB cannot fit in the socket buffers: the send must wait");
                Assert.True(WaitsOf(loop, a).WatchesWrites);

                Assert.Equal(data, await LoopbackSockets.ReceiveExactly(loop, b, data.Length));
                await sender;

                // A writable socket that level triggering still watched would be reported at every poll.
                Assert.InRange(await IterationsWhileSleeping(loop), 0, SleepingIterations);
                Assert.False(WaitsOf(loop, a).WatchesWrites);
                Assert.True(WaitsOf(loop, a).ReadsAreLevelTriggered);

                // And the next send that must wait watches it again.
                sender = AsyncIO.CreateTask(async () => await loop.SockSendAllAsync(a, data));
                await AsyncIO.Sleep(0.01);
                Assert.False(sender.IsDone);
                Assert.Equal(data, await LoopbackSockets.ReceiveExactly(loop, b, data.Length));
                await sender;
            }
        }, options: EpollOnly));
    }

    [Fact]
    public void Connect_StopsWatchingWritability_OnceConnected_AndTheLoopSleeps()
    {
        int before = Descriptors.Before();
        LoopTest.WithinSeconds(20, () => LoopTest.Run(async loop =>
        {
            using Socket listener = LoopbackSockets.Listen();
            using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            await loop.SockConnectAsync(client, listener.LocalEndPoint!);
            using Socket server = listener.Accept();

            Assert.InRange(await IterationsWhileSleeping(loop), 0, SleepingIterations);
            Assert.False(WaitsOf(loop, client).WatchesWrites);
            Assert.True(WaitsOf(loop, client).ReadsAreLevelTriggered);

            await loop.SockSendAllAsync(client, "ping"u8.ToArray());
            byte[] buffer = new byte[4];
            Assert.Equal(4, server.Receive(buffer));
            server.Send("pong"u8);
            Assert.Equal("pong"u8.ToArray(), await loop.SockRecvAsync(client, 4));
        }, options: EpollOnly));
        Descriptors.AssertBackTo(before);
    }

    [Fact]
    public void SocketDisposedWhileADuplicateKeepsItInEpoll_TheWaitingReceiveIsAborted_AndTheNumbersNextOwnerKeepsItsBytes()
    {
        int before = Descriptors.Before();
        LoopTest.WithinSeconds(20, () => LoopTest.Run(async loop =>
        {
            var (a, b) = LoopbackSockets.Pair();
            using Socket listener = LoopbackSockets.Listen();
            var decoys = new List<Socket>();
            int duplicate = -1;
            try
            {
                await ExchangeOneByte(loop, a, b);
                int number = (int)b.Handle;
                duplicate = Native.Duplicate(number);

                AioTask<byte[]> waiting = AsyncIO.CreateTask(async () => await loop.SockRecvAsync(b, 8));
                await AsyncIO.Sleep(0);
                b.Dispose();

                // Another socket, with bytes of its own waiting, takes the disposed socket's number (lowest
                // numbers first: within a few sockets, one gets it).
                Socket? owner = null;
                while (owner is null && decoys.Count < 16)
                {
                    var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                    decoys.Add(socket);
                    owner = (int)socket.Handle == number ? socket : null;
                }

                Assert.NotNull(owner);
                owner!.Connect(listener.LocalEndPoint!);
                Socket ownersPeer = listener.Accept();
                decoys.Add(ownersPeer);
                ownersPeer.Send("theirs"u8);
                await AioAssert.WaitUntil(() => owner!.Available == 6);

                // Bytes for the disposed socket: the duplicate keeps its registration, which reports them.
                a.Send("y"u8);
                var aborted = await AioAssert.ThrowsAsync<SocketException>(waiting);
                Assert.Equal(SocketError.OperationAborted, aborted.SocketErrorCode);
                Assert.Equal(6, owner!.Available);

                // Closing the duplicate takes the registration away, and the loop sleeps again.
                Native.Close(duplicate);
                duplicate = -1;
                Assert.InRange(await IterationsWhileSleeping(loop), 0, SleepingIterations);
            }
            finally
            {
                if (duplicate >= 0)
                {
                    Native.Close(duplicate);
                }

                decoys.ForEach(s => s.Dispose());
                a.Dispose();
                b.Dispose();
            }
        }, options: EpollOnly));
        Descriptors.AssertBackTo(before);
    }

    /// <summary>Sends one byte from <paramref name="peer"/> and receives it on <paramref name="socket"/>
    /// with the loop: the socket's first operation, which registers it (level-triggered for reading).</summary>
    private static async Coroutine ExchangeOneByte(EventLoop loop, Socket peer, Socket socket)
    {
        peer.Send("x"u8);
        Assert.Equal("x"u8.ToArray(), await loop.SockRecvAsync(socket, 1));
    }

    /// <summary>The seed's echo, one way: <paramref name="messages"/> times, a <c>sock_recv(1024)</c> waits
    /// on <paramref name="socket"/> before <paramref name="peer"/> sends <paramref name="size"/> bytes, which
    /// it must get whole.</summary>
    private static async Coroutine PingPong(EventLoop loop, Socket peer, Socket socket, int messages, int size)
    {
        for (int i = 0; i < messages; i++)
        {
            AioTask<byte[]> receive = AsyncIO.CreateTask(async () => await loop.SockRecvAsync(socket, 1024));
            await AsyncIO.Sleep(0);
            peer.Send(TestBytes.Pattern(size, seed: i));
            Assert.Equal(TestBytes.Pattern(size, seed: i), await receive);
        }
    }

    private static SocketWaits WaitsOf(EventLoop loop, Socket socket) =>
        Assert.IsType<SocketWaits>(loop.SourceOf((int)socket.Handle));

    /// <summary>How many times the loop goes round while the calling task sleeps 200 ms.</summary>
    private static async Coroutine<long> IterationsWhileSleeping(EventLoop loop)
    {
        long before = loop.Iterations;
        await AsyncIO.Sleep(0.2);
        return loop.Iterations - before;
    }
}
