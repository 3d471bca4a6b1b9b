using System.Net;
using Aio;
using Aio.Net;

namespace EchoServer;

/// <summary><c>--mode streams</c>: <c>asyncio.start_server()</c> with a reader and a writer per
/// connection, as asyncio's documentation writes an echo server.</summary>
internal static class StreamsMode
{
    public static async Coroutine Serve(IPEndPoint address, int backlog, Action<EndPoint> listening)
    {
        await using Server server = await AsyncIO.StartServerAsync(HandleEcho, address.Address.ToString(), address.Port, backlog: backlog);
        listening(server.Sockets[0].LocalEndPoint!);
        await GracefulShutdown.ServeUntilCancelled(server);
    }

    internal static async Coroutine HandleEcho(AsyncStreamReader reader, AsyncStreamWriter writer)
    {
        try
        {
            while (true)
            {
                byte[] data = await reader.ReadAsync(65536);
                if (data.Length == 0)
                {
                    break;
                }

                writer.Write(data);
                await writer.DrainAsync();
            }
        }
        catch (System.Net.Sockets.SocketException)
        {
            // The client reset the connection: nothing more to echo.
        }
        finally
        {
            writer.Close();
        }
    }
}
