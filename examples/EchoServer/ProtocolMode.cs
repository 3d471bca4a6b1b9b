using System.Net;
using Aio;
using Aio.Net;

namespace EchoServer;

/// <summary><c>--mode protocol</c>: <c>loop.create_server()</c> with a protocol that writes back what it
/// receives — asyncio's fastest way to serve, with no task per connection.</summary>
internal static class ProtocolMode
{
    public static async Coroutine Serve(IPEndPoint address, int backlog, Action<EndPoint> listening)
    {
        EventLoop loop = AsyncIO.GetRunningLoop();
        await using Server server = await loop.CreateServerAsync(() => new EchoProtocol(), address.Address.ToString(), address.Port, backlog);
        listening(server.Sockets[0].LocalEndPoint!);
        await GracefulShutdown.ServeUntilCancelled(server);
    }

    /// <summary>Echoes; stops reading while the peer does not read its echoes, so nothing piles up.</summary>
    internal sealed class EchoProtocol : Protocol
    {
        private Transport? _transport;

        public override void ConnectionMade(Transport transport) => _transport = transport;

        public override void DataReceived(ReadOnlySpan<byte> data) => _transport!.Write(data);

        public override void PauseWriting() => _transport!.PauseReading();

        public override void ResumeWriting() => _transport!.ResumeReading();
    }
}
