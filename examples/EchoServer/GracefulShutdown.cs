using Aio;
using Aio.Net;

namespace EchoServer;

/// <summary>How the server modes stop: the task serving is cancelled (by SIGINT or SIGTERM); the server
/// stops accepting, asks its connections to close, gives them a moment, then aborts the rest.</summary>
internal static class GracefulShutdown
{
    /// <summary>How long open connections get to finish after a signal.</summary>
    private static readonly double Deadline = 2.0;

    /// <summary>Serves until the calling task is cancelled, then shuts <paramref name="server"/> down.</summary>
    public static async Coroutine ServeUntilCancelled(Server server)
    {
        EventLoop loop = AsyncIO.GetRunningLoop();
        server.StartServing();
        try
        {
            // asyncio's serve_forever() waits, once cancelled, for every connection to close by itself;
            // a server that must stop on a signal cannot wait for its clients' good will.
            await loop.CreateFuture<bool>();
        }
        finally
        {
            server.Close();
            server.CloseClients();
            try
            {
                await AsyncIO.WaitFor(server.WaitClosedAsync(), Deadline);
            }
            catch (TimeoutException)
            {
                server.AbortClients();
                await server.WaitClosedAsync();
            }
        }
    }
}
