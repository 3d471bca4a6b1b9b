using System.Net.Sockets;
using Aio.Sockets;
using Aio.Tests.Support;

namespace Aio.Tests.Sockets;

/// <summary>Stream receives handed to the kernel through io_uring (<see cref="EventLoopOptions.UseIoUring"/>,
/// on by default): the bytes, the end of the stream and errors arrive as they do through epoll; a cancelled
/// receive loses nothing; a socket closed under a receive is let go; and a loop that stops while the ring
/// holds receives hands them back, so that its next run — on any thread — goes on with them.</summary>
[Collection(DescriptorCountingCollection.Name)]
public sealed class SockRingTests
{
    [Fact]
    public void PingPong_GoesThroughTheRing_EveryMessageWhole_AndTheLoopSleepsInBetween()
    {
        LoopTest.WithinSeconds(20, () => LoopTest.Run(async loop =>
        {
            var (a, b) = LoopbackSockets.Pair();
            using (a)
            using (b)
            {
                for (int i = 0; i < 50; i++)
                {
                    AioTask<byte[]> receive = AsyncIO.CreateTask(async () => await loop.SockRecvAsync(b, 1024));
                    await AsyncIO.Sleep(0);
                    Assert.True(WaitsOf(loop, b).RingReceivePending, "the receive waits in the ring");
                    a.Send(TestBytes.Pattern(1024, seed: i));
                    Assert.Equal(TestBytes.Pattern(1024, seed: i), await receive);
                }

                Assert.True(WaitsOf(loop, b).ReceivesThroughRing);

                // A receive waiting in the ring keeps no poll busy: a few iterations in 200 ms.
                AioTask<byte[]> waiting = AsyncIO.CreateTask(async () => await loop.SockRecvAsync(b, 1024));
                long before = loop.Iterations;
                await AsyncIO.Sleep(0.2);
                Assert.InRange(loop.Iterations - before, 0, 20);
                a.Send("last"u8);
                Assert.Equal("last"u8.ToArray(), await waiting);
            }
        }));
    }

    [Fact]
    public void ALargeTransfer_ArrivesInOrder_ThroughReceivesAndReceivesInto_AndAskingForMoreThanTheRingTakesWaitsOnEpoll()
    {
        LoopTest.WithinSeconds(20, () => LoopTest.Run(async loop =>
        {
            var (a, b) = LoopbackSockets.Pair();
            using (a)
            using (b)
            {
                byte[] sent = TestBytes.Pattern(1 << 20);
                Task sending = Task.Run(() => a.Send(sent));
                var got = new List<byte>(sent.Length);
                byte[] buffer = new byte[3000];
                while (got.Count < sent.Length)
                {
                    if (got.Count % 2 == 0)
                    {
                        got.AddRange(await loop.SockRecvAsync(b, 4096));
                    }
                    else
                    {
                        int n = await loop.SockRecvIntoAsync(b, buffer);
                        Assert.InRange(n, 1, buffer.Length);
                        got.AddRange(buffer.AsSpan(0, n).ToArray());
                    }
                }

                await sending;
                Assert.Equal(sent, got);
                Assert.True(WaitsOf(loop, b).ReceivesThroughRing);

                // More than the ring takes (EventLoop.RingReceiveLimit): the receive waits on epoll, and the
                // next small one goes back to the ring.
                AioTask<byte[]> large = AsyncIO.CreateTask(async () => await loop.SockRecvAsync(b, 65536));
                await AsyncIO.Sleep(0.01);
                Assert.False(WaitsOf(loop, b).ReceivesThroughRing);
                a.Send(TestBytes.Pattern(3000));
                Assert.Equal(TestBytes.Pattern(3000), await large);
                AioTask<byte[]> small = AsyncIO.CreateTask(async () => await loop.SockRecvAsync(b, 1024));
                await AsyncIO.Sleep(0.01);
                Assert.True(WaitsOf(loop, b).RingReceivePending);
                a.Send("small"u8);
                Assert.Equal("small"u8.ToArray(), await small);
            }
        }));
    }

    [Fact]
    public void EndOfStreamAndReset_ReachTheReceiveWaitingInTheRing()
    {
        int before = Descriptors.Before();
        LoopTest.WithinSeconds(20, () => LoopTest.Run(async loop =>
        {
            var (a, b) = LoopbackSockets.Pair();
            using (a)
            using (b)
            {
                AioTask<byte[]> end = AsyncIO.CreateTask(async () => await loop.SockRecvAsync(b, 1024));
                await AsyncIO.Sleep(0.01);
                Assert.True(WaitsOf(loop, b).RingReceivePending);
                a.Shutdown(SocketShutdown.Send);
                Assert.Empty(await end);
                Assert.Empty(await loop.SockRecvAsync(b, 1024));
            }

            var (c, d) = LoopbackSockets.Pair();
            using (c)
            using (d)
            {
                AioTask<byte[]> reset = AsyncIO.CreateTask(async () => await loop.SockRecvAsync(d, 1024));
                await AsyncIO.Sleep(0.01);
                Assert.True(WaitsOf(loop, d).RingReceivePending);
                c.LingerState = new LingerOption(true, 0);
                c.Close();
                var error = await AioAssert.ThrowsAsync<SocketException>(reset);
                Assert.Equal(SocketError.ConnectionReset, error.SocketErrorCode);
            }
        }));
        Descriptors.AssertBackTo(before);
    }

    [Fact]
    public void CancelledReceive_TheBytesGoToTheNextReceive_AndClosingAfterwardsClosesTheConnection()
    {
        int before = Descriptors.Before();
        LoopTest.WithinSeconds(20, () => LoopTest.Run(async loop =>
        {
            var (a, b) = LoopbackSockets.Pair();
            using (a)
            {
                for (int i = 0; i < 20; i++)
                {
                    // The cancel races the bytes: either the ring gives the receive up, or it got them first
                    // and they wait for the next receive. Nothing is lost either way.
                    AioTask<byte[]> first = AsyncIO.CreateTask(async () => await loop.SockRecvAsync(b, 1024));
                    await AsyncIO.Sleep(0);
                    a.Send(TestBytes.Pattern(100, seed: i));
                    first.Cancel();
                    await AioAssert.ThrowsAsync<CancelledException>(first);
                    Assert.Equal(TestBytes.Pattern(100, seed: i), await loop.SockRecvAsync(b, 1024));
                }

                AioTask<byte[]> abandoned = AsyncIO.CreateTask(async () => await loop.SockRecvAsync(b, 1024));
                await AsyncIO.Sleep(0.01);
                abandoned.Cancel();
                await AioAssert.ThrowsAsync<CancelledException>(abandoned);
                b.Dispose();

                // The ring let go of the socket: the peer sees the end of the stream.
                a.ReceiveTimeout = 5000;
                Assert.Equal(0, a.Receive(new byte[16]));
            }
        }));
        Descriptors.AssertBackTo(before);
    }

    [Fact]
    public void SocketClosedUnderAWaitingReceive_TheReceiveIsAborted_AndThePeerSeesTheClose()
    {
        int before = Descriptors.Before();
        LoopTest.WithinSeconds(20, () => LoopTest.Run(async loop =>
        {
            var (a, b) = LoopbackSockets.Pair();
            using (a)
            {
                AioTask<byte[]> waiting = AsyncIO.CreateTask(async () => await loop.SockRecvAsync(b, 1024));
                await AsyncIO.Sleep(0.01);
                Assert.True(WaitsOf(loop, b).RingReceivePending);

                // Nothing tells the loop: it finds the closed socket within a second, cancels the receive,
                // and the kernel then drops its last reference to the connection.
                b.Dispose();
                var aborted = await AioAssert.ThrowsAsync<SocketException>(waiting);
                Assert.Equal(SocketError.OperationAborted, aborted.SocketErrorCode);
                await AsyncIO.Sleep(0.05);
                a.ReceiveTimeout = 5000;
                Assert.Equal(0, a.Receive(new byte[16]));
            }
        }));
        Descriptors.AssertBackTo(before);
    }

    [Fact]
    public void LoopStoppedWhileTheRingHoldsAReceive_ItsNextRunOnAnotherThreadGoesOn()
    {
        int before = Descriptors.Before();
        var (a, b) = LoopbackSockets.Pair();
        using (a)
        using (b)
        using (var loop = new EventLoop())
        {
            AioTask<byte[]> receive = null!;
            loop.RunUntilComplete(loop.CreateTask(Start()));
            async Coroutine Start()
            {
                receive = AsyncIO.CreateTask(async () => await loop.SockRecvAsync(b, 1024));
                await AsyncIO.Sleep(0.01);
                Assert.True(WaitsOf(loop, b).RingReceivePending);
            }

            // Stopped: the ring gave the receive back, and it waits on epoll now.
            Assert.False(WaitsOf(loop, b).RingReceivePending);
            Assert.False(receive.IsDone);
            a.Send("after"u8);

            byte[]? got = null;
            var other = new Thread(() => got = loop.RunUntilComplete(receive));
            other.Start();
            Assert.True(other.Join(TimeSpan.FromSeconds(10)), "the second run finished");
            Assert.Equal("after"u8.ToArray(), got);

            // And on the first thread again, later receives use the ring once more.
            byte[] again = loop.RunUntilComplete(loop.CreateTask(async () =>
            {
                AioTask<byte[]> next = AsyncIO.CreateTask(async () => await loop.SockRecvAsync(b, 1024));
                await AsyncIO.Sleep(0.01);
                a.Send("again"u8);
                return await next;
            }));
            Assert.Equal("again"u8.ToArray(), again);
        }

        Descriptors.AssertBackTo(before);
    }

    [Fact]
    public void ManyReceivesWokenTogether_AllCompleteInTheSameIteration()
    {
        // The kernel runs 20 woken receives per wait at most; the loop asks it for the rest before it goes
        // on, so that none waits for later iterations behind receives submitted meanwhile. Here the
        // receives, their tasks and the gather take 4 to 6 iterations; a batch of 20 per iteration took
        // 17 or 18.
        const int Count = 250;
        int before = Descriptors.Before();
        LoopTest.WithinSeconds(20, () => LoopTest.Run(async loop =>
        {
            var pairs = new (Socket A, Socket B)[Count];
            try
            {
                for (int i = 0; i < Count; i++)
                {
                    pairs[i] = LoopbackSockets.Pair();
                }

                var receives = new AioTask<byte[]>[Count];
                for (int i = 0; i < Count; i++)
                {
                    Socket b = pairs[i].B;
                    receives[i] = AsyncIO.CreateTask(async () => await loop.SockRecvAsync(b, 64));
                }

                await AsyncIO.Sleep(0.01);
                Assert.All(pairs, pair => Assert.True(WaitsOf(loop, pair.B).RingReceivePending));

                // Every receive is woken while the loop runs this step, before its next wait.
                for (int i = 0; i < Count; i++)
                {
                    pairs[i].A.Send(TestBytes.Pattern(64, seed: i));
                }

                long iterationsBefore = loop.Iterations;
                byte[][] received = await AsyncIO.Gather(receives);
                Assert.InRange(loop.Iterations - iterationsBefore, 0, 8);
                for (int i = 0; i < Count; i++)
                {
                    Assert.Equal(TestBytes.Pattern(64, seed: i), received[i]);
                }
            }
            finally
            {
                foreach (var (a, b) in pairs)
                {
                    a?.Dispose();
                    b?.Dispose();
                }
            }
        }));
        Descriptors.AssertBackTo(before);
    }

    [Fact]
    public void WithTheRingSwitchedOff_ReceivesWaitOnEpoll()
    {
        LoopTest.WithinSeconds(20, () => LoopTest.Run(async loop =>
        {
            var (a, b) = LoopbackSockets.Pair();
            using (a)
            using (b)
            {
                AioTask<byte[]> receive = AsyncIO.CreateTask(async () => await loop.SockRecvAsync(b, 1024));
                await AsyncIO.Sleep(0.01);
                a.Send("epoll"u8);
                Assert.Equal("epoll"u8.ToArray(), await receive);
                Assert.False(WaitsOf(loop, b).ReceivesThroughRing);
            }
        }, options: new EventLoopOptions { UseIoUring = false }));
    }

    private static SocketWaits WaitsOf(EventLoop loop, Socket socket) =>
        Assert.IsType<SocketWaits>(loop.SourceOf((int)socket.Handle));
}
