using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Aio;
using Aio.Net;
using SeedTour.Seeds;

namespace EchoServer;

/// <summary>
/// <c>--loops N</c>: the chosen mode thread-per-core — a <see cref="LoopGroup"/> of N loops on N threads,
/// each accepting on its own <c>SO_REUSEPORT</c> socket on the same port, so the kernel spreads the
/// clients over the loops and no loop ever touches another's connections.
/// </summary>
/// <remarks>
/// <para><c>sock</c>: each loop runs the seed's accept loop on its own socket; the sockets are bound here,
/// the first on the port asked for (0 lets the kernel choose) and the others on the port it got.
/// <c>protocol</c> and <c>streams</c>: each loop starts its share of the server with
/// <see cref="LoopGroup.CreateServerAsync"/> or <see cref="LoopGroup.StartServerAsync"/>.</para>
/// <para>The first SIGINT or SIGTERM shuts the group down gracefully: the loops stop accepting; in
/// <c>protocol</c> and <c>streams</c> modes open connections get <see cref="GracePeriod"/> to finish before they are aborted
/// (a second signal aborts them at once), while in <c>sock</c> mode, which keeps no server object, the
/// handlers are cancelled at once, as the single-loop mode does.</para>
/// </remarks>
internal static class LoopGroupMode
{
    /// <summary>How long open connections may take to finish after the first signal.</summary>
    private static readonly TimeSpan GracePeriod = TimeSpan.FromSeconds(30);

    public static bool Supports(string mode) => mode is "sock" or "streams" or "protocol";

    public static int Run(string mode, IPEndPoint address, int backlog, int loops)
    {
        using var group = new LoopGroup(loops);
        int signals = 0;
        void OnSignal(PosixSignalContext context)
        {
            context.Cancel = true;
            if (Interlocked.Increment(ref signals) == 1)
            {
                Console.WriteLine("stopping (signal again to stop at once)");
                group.Shutdown(GracePeriod);
            }
            else
            {
                group.Shutdown(TimeSpan.Zero);
            }
        }

        using PosixSignalRegistration sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        using PosixSignalRegistration sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
        try
        {
            if (mode == "sock")
            {
                RunSock(group, address, backlog);
            }
            else
            {
                RunServer(group, address, backlog, streams: mode == "streams");
            }
        }
        catch (AggregateException e)
        {
            foreach (Exception failure in e.InnerExceptions)
            {
                Console.Error.WriteLine($"EchoServer: a loop failed: {failure}");
            }

            return 1;
        }

        Console.WriteLine("stopped");
        return 0;
    }

    private static void RunSock(LoopGroup group, IPEndPoint address, int backlog)
    {
        var sockets = new Socket[group.Count];
        try
        {
            for (int i = 0; i < sockets.Length; i++)
            {
                IPEndPoint bindTo = i == 0 ? address : new IPEndPoint(address.Address, ((IPEndPoint)sockets[0].LocalEndPoint!).Port);
                sockets[i] = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);

                // SO_REUSEPORT (15 on Linux, at SOL_SOCKET 1): one listening socket per loop on one port.
                sockets[i].SetRawSocketOption(1, 15, BitConverter.GetBytes(1));
                sockets[i].Bind(bindTo);
                sockets[i].Listen(backlog);
            }

            int running = 0;
            group.Run(async index =>
            {
                // Said once every loop runs, so that a client reading it finds every loop there.
                if (Interlocked.Increment(ref running) == group.Count)
                {
                    Listening(sockets[0].LocalEndPoint!);
                }

                await Seed004Echo.EchoServerOn(sockets[index]);
            });
        }
        finally
        {
            // A loop stopped before its main coroutine started never took its socket over.
            foreach (Socket? socket in sockets)
            {
                socket?.Dispose();
            }
        }
    }

    private static void RunServer(LoopGroup group, IPEndPoint address, int backlog, bool streams)
    {
        int listening = 0;
        group.Run(async index =>
        {
            Server server = streams
                ? await group.StartServerAsync(StreamsMode.HandleEcho, address.Address.ToString(), address.Port, backlog: backlog)
                : await group.CreateServerAsync(() => new ProtocolMode.EchoProtocol(), address.Address.ToString(), address.Port, backlog);
            if (Interlocked.Increment(ref listening) == group.Count)
            {
                Listening(server.Sockets[0].LocalEndPoint!);
            }

            await server.ServeForeverAsync();
        });
    }

    private static void Listening(EndPoint endPoint)
    {
        Console.WriteLine($"listening on {endPoint}");
        Console.Out.Flush();
    }
}
