using System.Net;
using System.Net.Sockets;
using System.Text;
using Aio.Net;
using Aio.Tests.Support;

namespace Aio.Tests.Net;

/// <summary>Small writes a socket transport gathers while the loop runs a batch of callbacks, sent when the
/// batch ends: what the protocol sees is as if the kernel had taken them at once — no write buffer size, a
/// close or end of writing after them, an abort that still sends them — and large writes are not held.</summary>
[Collection(DescriptorCountingCollection.Name)]
public sealed class GatheredWriteTests
{
    [Fact]
    public void SmallWritesOfOneCallback_LeaveTogetherWhenTheBatchEnds_AndCountInNoBufferSize()
    {
        int before = Descriptors.Before();
        var seen = new List<string>();
        Transport? replied = null;
        LoopTest.WithinSeconds(20, () => LoopTest.Run(async loop =>
        {
            using Socket client = NewClient();
            await using Server server = await loop.CreateServerAsync(() => new Replier(transport =>
            {
                replied = transport;
                transport.Write("one "u8);
                transport.Write("two "u8);
                transport.Write("three"u8);

                // Still here: a loopback send would already be in the client's receive queue.
                seen.Add($"buffered {transport.WriteBufferSize}, at the client {client.Available}");
            }), "127.0.0.1", 0);
            await loop.SockConnectAsync(client, server.Sockets[0].LocalEndPoint!);
            await loop.SockSendAllAsync(client, "go"u8.ToArray());
            Assert.Equal("one two three", Encoding.ASCII.GetString(await LoopbackSockets.ReceiveExactly(loop, client, 13)));

            // The array they were gathered in went back to the loop: a busy connection keeps no write
            // buffer between messages.
            Assert.False(Assert.IsType<SocketTransport>(replied).HoldsWriteArray);
            client.Dispose(); // the server's close waits for its connections
        }));

        Assert.Equal(["buffered 0, at the client 0"], seen);
        Descriptors.AssertBackTo(before);
    }

    [Theory]
    [InlineData("close")]
    [InlineData("write_eof")]
    [InlineData("abort")]
    public void WriteThenEndInTheSameCallback_TheBytesArriveBeforeTheEnd(string end)
    {
        int before = Descriptors.Before();
        LoopTest.WithinSeconds(20, () => LoopTest.Run(async loop =>
        {
            using Socket client = NewClient();
            await using Server server = await loop.CreateServerAsync(() => new Replier(transport =>
            {
                transport.Write("last words"u8);
                switch (end)
                {
                    case "close":
                        transport.Close();
                        break;
                    case "write_eof":
                        transport.WriteEof();
                        break;
                    default:
                        // asyncio drops only what the kernel did not take; these bytes it would have taken.
                        transport.Abort();
                        break;
                }
            }), "127.0.0.1", 0);
            await loop.SockConnectAsync(client, server.Sockets[0].LocalEndPoint!);
            await loop.SockSendAllAsync(client, "go"u8.ToArray());
            Assert.Equal("last words", Encoding.ASCII.GetString(await ReceiveToEnd(loop, client)));
            client.Dispose();
        }));

        Descriptors.AssertBackTo(before);
    }

    [Theory]
    [InlineData(1, 20_000)]
    [InlineData(40, 1_000)]
    public void ALargeWrite_OrSmallOnesPastTheLimit_GoToTheKernelAtOnce(int writes, int size)
    {
        int before = Descriptors.Before();
        var seen = new List<bool>();
        LoopTest.WithinSeconds(20, () => LoopTest.Run(async loop =>
        {
            using Socket client = NewClient();
            await using Server server = await loop.CreateServerAsync(() => new Replier(transport =>
            {
                for (int i = 0; i < writes; i++)
                {
                    transport.Write(new byte[size]);
                }

                seen.Add(client.Available > 0);
            }), "127.0.0.1", 0);
            await loop.SockConnectAsync(client, server.Sockets[0].LocalEndPoint!);
            await loop.SockSendAllAsync(client, "go"u8.ToArray());
            Assert.Equal(writes * size, (await LoopbackSockets.ReceiveExactly(loop, client, writes * size)).Length);
            client.Dispose();
        }));

        Assert.Equal([true], seen);
        Descriptors.AssertBackTo(before);
    }

    private static Socket NewClient() => new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);

    private static async Coroutine<byte[]> ReceiveToEnd(EventLoop loop, Socket socket)
    {
        var got = new List<byte>();
        while (true)
        {
            byte[] part = await loop.SockRecvAsync(socket, 4096);
            if (part.Length == 0)
            {
                return [.. got];
            }

            got.AddRange(part);
        }
    }

    /// <summary>Answers the first bytes that come with <paramref name="reply"/>, called with the
    /// transport inside <c>DataReceived</c>.</summary>
    private sealed class Replier(Action<Transport> reply) : Protocol
    {
        private Transport? _transport;
        private bool _replied;

        public override void ConnectionMade(Transport transport) => _transport = transport;

        public override void DataReceived(ReadOnlySpan<byte> data)
        {
            if (!_replied)
            {
                _replied = true;
                reply(_transport!);
            }
        }
    }
}
