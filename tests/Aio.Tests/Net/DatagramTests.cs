using System.Net;
using System.Net.Sockets;
using System.Text;
using Aio.Net;
using Aio.Tests.Support;

namespace Aio.Tests.Net;

/// <summary>Datagram endpoints: asyncio's UDP echo pair, a connected endpoint's address rules, errors
/// reported to the protocol without ending the endpoint, and no descriptor left.</summary>
[Collection(DescriptorCountingCollection.Name)]
public sealed class DatagramTests
{
    [Fact]
    public void UdpEchoServerAndClient_ExchangeDatagrams()
    {
        int before = Descriptors.Before();
        LoopTest.WithinSeconds(20, () => LoopTest.Run(async loop =>
        {
            var (serverTransport, _) = await loop.CreateDatagramEndpointAsync(() => new Echo(), localAddress: new IPEndPoint(IPAddress.Loopback, 0));
            EndPoint serverAddress = serverTransport.SockName!;
            var (client, collector) = await loop.CreateDatagramEndpointAsync(() => new Collector(), remoteAddress: serverAddress);
            Assert.Equal(serverAddress, client.PeerName);

            for (int i = 0; i < 20; i++)
            {
                client.SendTo(Encoding.ASCII.GetBytes($"datagram {i}"));
            }

            await AioAssert.WaitUntil(() => collector.Received.Count == 20);
            Assert.Equal(Enumerable.Range(0, 20).Select(i => $"datagram {i}").ToHashSet(), collector.Received.ToHashSet());
            Assert.All(collector.From, from => Assert.Equal(serverAddress, from));

            client.Close();
            serverTransport.Close();
            await collector.Lost;
        }));
        Descriptors.AssertBackTo(before);
    }

    [Fact]
    public void ConnectedEndpoint_RefusesOtherAddresses_UnconnectedOneNeedsAnAddress()
    {
        LoopTest.WithinSeconds(20, () => LoopTest.Run(async loop =>
        {
            var (connected, c) = await loop.CreateDatagramEndpointAsync(() => new Collector(), remoteAddress: new IPEndPoint(IPAddress.Loopback, 9));
            Assert.Throws<ArgumentException>(() => connected.SendTo("x"u8, new IPEndPoint(IPAddress.Loopback, 10)));
            var (unconnected, u) = await loop.CreateDatagramEndpointAsync(() => new Collector(), localAddress: new IPEndPoint(IPAddress.Loopback, 0));
            Assert.Throws<ArgumentException>(() => unconnected.SendTo("x"u8));
            await AioAssert.ThrowsAsync<ArgumentException, (DatagramTransport, Collector)>(() => loop.CreateDatagramEndpointAsync(() => new Collector()));
            connected.Abort();
            unconnected.Abort();
            await c.Lost;
            await u.Lost;
        }));
    }

    [Fact]
    public void SendToAClosedPort_ErrorReceived_AndTheEndpointGoesOn()
    {
        LoopTest.WithinSeconds(20, () => LoopTest.Run(async loop =>
        {
            int closedPort;
            using (var probe = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp))
            {
                probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
                closedPort = ((IPEndPoint)probe.LocalEndPoint!).Port;
            }

            var (client, collector) = await loop.CreateDatagramEndpointAsync(() => new Collector(), remoteAddress: new IPEndPoint(IPAddress.Loopback, closedPort));
            client.SendTo("anyone?"u8);

            // Linux reports the ICMP "port unreachable" to a connected UDP socket at its next call.
            await AioAssert.WaitUntil(() =>
            {
                if (collector.Errors.Count == 0)
                {
                    client.SendTo("anyone?"u8);
                }

                return collector.Errors.Count > 0;
            });
            SocketException error = Assert.IsType<SocketException>(collector.Errors[0]);
            Assert.Equal(SocketError.ConnectionRefused, error.SocketErrorCode);
            Assert.False(client.IsClosing);
            client.Close();
            await collector.Lost;
        }));
    }

    private sealed class Echo : DatagramProtocol
    {
        private DatagramTransport? _transport;

        public override void ConnectionMade(DatagramTransport transport) => _transport = transport;

        public override void DatagramReceived(ReadOnlySpan<byte> data, EndPoint address) => _transport!.SendTo(data, address);
    }

    private sealed class Collector : DatagramProtocol
    {
        private Future<bool>? _lost;

        public List<string> Received { get; } = [];

        public List<EndPoint> From { get; } = [];

        public List<Exception> Errors { get; } = [];

        public Future<bool> Lost => _lost ??= AsyncIO.GetRunningLoop().CreateFuture<bool>();

        public override void DatagramReceived(ReadOnlySpan<byte> data, EndPoint address)
        {
            Received.Add(Encoding.ASCII.GetString(data));
            From.Add(address);
        }

        public override void ErrorReceived(Exception exception) => Errors.Add(exception);

        public override void ConnectionLost(Exception? exception) => Lost.SetResult(true);
    }
}
