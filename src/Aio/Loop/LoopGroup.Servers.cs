using System.Net;
using Aio.Net;

namespace Aio;

public sealed partial class LoopGroup
{
    /// <summary>The ports the kernel chose for collective server calls made with port 0, by call number;
    /// under the group's lock.</summary>
    private readonly Dictionary<int, TaskCompletionSource<int>> _chosenPorts = [];

    /// <summary>
    /// Starts this loop's share of a server of the group: a TCP server on
    /// <paramref name="host"/>:<paramref name="port"/> whose sockets have <c>SO_REUSEPORT</c>, as
    /// <c>loop.CreateServerAsync(..., reusePort: true)</c> makes them, so that the kernel spreads the
    /// connections over the loops. The group closes it on <see cref="Shutdown(TimeSpan)"/>, or when this
    /// loop's main coroutine ends.
    /// </summary>
    /// <param name="protocolFactory">Makes the protocol of each connection this loop accepts.</param>
    /// <param name="host">A host name or address to listen on; null for every interface. With port 0, give
    /// a host with one address: as with <c>create_server</c>, each address gets a port of its own, and the
    /// group follows the first.</param>
    /// <param name="port">The port; 0 lets the kernel choose one for the whole group.</param>
    /// <param name="backlog">Each socket's listen backlog, and how many connections one turn accepts.</param>
    /// <returns>This loop's server.</returns>
    /// <remarks>
    /// <para>A collective call: every loop of the group makes it, and in the same order as its other calls
    /// of this method, so that the first call on every loop makes one server, the second another, and so on.
    /// With port 0, the loop that gets to a call first binds a port the kernel chooses; the others wait for
    /// it and bind the same port. A loop that never makes the call leaves the others waiting (a cancellation
    /// point: a shutdown ends the wait).</para>
    /// <para>Each loop accepts on its own socket, so a loop that is busy does not slow the others' accepting
    /// down; the kernel's choice is a hash of the connection's addresses and ports, not a measure of load.</para>
    /// </remarks>
    /// <exception cref="InvalidOperationException">Not called on a loop of this group.</exception>
    /// <exception cref="System.Net.Sockets.SocketException">The address is in use, or the host does not resolve
    /// (on every loop waiting for the port, too).</exception>
    public async Coroutine<Server> CreateServerAsync(Func<BaseProtocol> protocolFactory, string? host, int port, int backlog = 100)
    {
        ArgumentNullException.ThrowIfNull(protocolFactory);
        ArgumentOutOfRangeException.ThrowIfNegative(port);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(port, IPEndPoint.MaxPort);
        LoopGroupMember member = CurrentMember(nameof(CreateServerAsync));
        EventLoop loop = member.Loop!;
        int call = member.ServerCalls++;
        TaskCompletionSource<int>? binding = null;
        if (port == 0)
        {
            (TaskCompletionSource<int> chosen, bool first) = ClaimPort(call);
            if (first)
            {
                binding = chosen;
            }
            else
            {
                port = await chosen.Task.WaitAsync(AsyncIO.CancellationToken);
            }
        }

        Server server;
        try
        {
            server = await loop.CreateServerAsync(protocolFactory, host, port, backlog, reusePort: true);
        }
        catch (Exception e)
        {
            // The loops waiting for the port fail too, instead of waiting for ever.
            binding?.TrySetException(e is OperationCanceledException
                ? new InvalidOperationException($"Loop {member.Index} of the group was stopped before it bound the port.", e)
                : e);
            throw;
        }

        binding?.TrySetResult(((IPEndPoint)server.Sockets[0].LocalEndPoint!).Port);
        member.AddServer(server);
        return server;
    }

    /// <summary>
    /// Starts this loop's share of a stream server of the group: <c>asyncio.start_server()</c> on every
    /// loop, each share accepting on its own <c>SO_REUSEPORT</c> socket; see
    /// <see cref="CreateServerAsync"/> for how the collective call works.
    /// </summary>
    /// <param name="clientConnected">The handler of one connection, run as a task on the loop that
    /// accepted it.</param>
    /// <param name="host">A host name or address to listen on; null for every interface.</param>
    /// <param name="port">The port; 0 lets the kernel choose one for the whole group.</param>
    /// <param name="limit">Each reader's limit.</param>
    /// <param name="backlog">Each socket's listen backlog.</param>
    /// <returns>This loop's server.</returns>
    /// <exception cref="InvalidOperationException">Not called on a loop of this group.</exception>
    public Coroutine<Server> StartServerAsync(Func<AsyncStreamReader, AsyncStreamWriter, Coroutine> clientConnected,
        string? host, int port, int limit = AsyncStreamReader.DefaultLimit, int backlog = 100)
    {
        ArgumentNullException.ThrowIfNull(clientConnected);
        EventLoop loop = CurrentMember(nameof(StartServerAsync)).Loop!;
        return CreateServerAsync(() => new StreamProtocol(loop, new AsyncStreamReader(loop, limit), clientConnected), host, port, backlog);
    }

    /// <summary>The rendezvous of collective call number <paramref name="call"/> with port 0, and whether
    /// the caller is the first to get there (and so binds the port).</summary>
    private (TaskCompletionSource<int> Chosen, bool First) ClaimPort(int call)
    {
        lock (_lock)
        {
            if (_chosenPorts.TryGetValue(call, out TaskCompletionSource<int>? chosen))
            {
                return (chosen, false);
            }

            chosen = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
            _chosenPorts.Add(call, chosen);
            return (chosen, true);
        }
    }
}
