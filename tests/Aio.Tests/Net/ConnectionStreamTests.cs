using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using Aio.Net;
using Aio.Tests.Support;

namespace Aio.Tests.Net;

/// <summary>A connection as a <see cref="Stream"/> and a duplex pipe: ordinary .NET code (async Task
/// methods, WebSocket, Pipelines) over Aio connections on the loop, calls from other threads, cancellation
/// that leaves the connection usable, and what a stream must refuse.</summary>
[Collection(DescriptorCountingCollection.Name)]
public sealed class ConnectionStreamTests
{
    [Fact]
    public void Stream_EchoesThroughOrdinaryAsyncCode_AndDisposeClosesTheConnection()
    {
        int before = Descriptors.Before();
        LoopTest.WithinSeconds(20, () => LoopTest.Run(async loop =>
        {
            await using Server server = await AsyncIO.StartServerAsync(async (r, w) => await EchoAsync(w.AsStream()), "127.0.0.1", 0);
            var (reader, writer) = await AsyncIO.OpenConnectionAsync("127.0.0.1", PortOf(server));
            Stream stream = writer.AsStream();
            Assert.Same(stream, writer.AsStream());
            Assert.True(stream.CanRead);
            Assert.True(stream.CanWrite);
            Assert.False(stream.CanSeek);

            await stream.WriteAsync("hello "u8.ToArray());
            await stream.WriteAsync("world"u8.ToArray(), 0, 5);
            await stream.FlushAsync();
            byte[] echoed = new byte[11];
            await stream.ReadExactlyAsync(echoed);
            Assert.Equal("hello world", Text(echoed));

            // Big enough to fill the kernel's buffers both ways, so that writes wait on drain and reads on data.
            byte[] payload = new byte[2_000_000];
            new Random(11).NextBytes(payload);
            AioTask sending = AsyncIO.CreateTask(async () => await stream.WriteAsync(payload));
            byte[] back = new byte[payload.Length];
            await stream.ReadExactlyAsync(back);
            await sending;
            Assert.Equal(payload, back);

            stream.Dispose();
            Assert.False(stream.CanRead);
            Assert.True(writer.IsClosing);
            Assert.Throws<ObjectDisposedException>(() => { _ = stream.ReadAsync(new byte[1]); });
            await writer.WaitClosedAsync();
        }));
        Descriptors.AssertBackTo(before);

        static async Task EchoAsync(Stream stream)
        {
            byte[] buffer = new byte[16 * 1024];
            int count;
            while ((count = await stream.ReadAsync(buffer)) > 0)
            {
                await stream.WriteAsync(buffer.AsMemory(0, count));
            }

            await stream.DisposeAsync();
        }
    }

    [Fact]
    public void SynchronousReadsAndSeeking_AreRefused_SynchronousWritesOnlyOffTheLoop()
    {
        LoopTest.WithinSeconds(20, () => LoopTest.Run(async loop =>
        {
            await using Server server = await AsyncIO.StartServerAsync(async (r, w) =>
            {
                w.Write(await r.ReadLineAsync());
                await r.ReadAsync();
                w.Close();
            }, "127.0.0.1", 0);
            var (reader, writer) = await AsyncIO.OpenConnectionAsync("127.0.0.1", PortOf(server));
            Stream stream = writer.AsStream();
            byte[] buffer = new byte[4];
            NotSupportedException blocking = Assert.Throws<NotSupportedException>(() => stream.Read(buffer, 0, 4));
            Assert.Contains("block the event loop", blocking.Message);
            Assert.Throws<NotSupportedException>(() => stream.Read(buffer.AsSpan()));
            Assert.Throws<NotSupportedException>(() => stream.ReadByte());

            // A synchronous write never blocks on the loop thread: it goes to the transport, as Write does.
            stream.Write("sync"u8.ToArray(), 0, 4);
            stream.WriteByte((byte)'\n');
            Assert.Equal("sync\n", Text(await reader.ReadLineAsync()));
            await Assert.ThrowsAsync<NotSupportedException>(() => Task.Run(() => stream.Write(buffer, 0, 4)));

            Assert.Throws<NotSupportedException>(() => stream.Seek(0, SeekOrigin.Begin));
            Assert.Throws<NotSupportedException>(() => stream.Length);
            Assert.Throws<NotSupportedException>(() => stream.Position);
            Assert.Throws<NotSupportedException>(() => stream.SetLength(1));
            stream.Flush();
            writer.Close();
        }));
    }

    [Fact]
    public void CancelledRead_ThroughItsTaskOrItsToken_TakesNothing_AndTheConnectionStaysUsable()
    {
        LoopTest.WithinSeconds(20, () => LoopTest.Run(async loop =>
        {
            AsyncStreamWriter? serverWriter = null;
            await using Server server = await AsyncIO.StartServerAsync(async (r, w) =>
            {
                serverWriter = w;
                await r.ReadAsync();
                w.Close();
            }, "127.0.0.1", 0);
            var (reader, writer) = await AsyncIO.OpenConnectionAsync("127.0.0.1", PortOf(server));
            Stream stream = writer.AsStream();
            await AioAssert.WaitUntil(() => serverWriter is not null);

            // Through the task that waits.
            AioTask<int> viaTask = AsyncIO.CreateTask(ReadSome(stream));
            await AsyncIO.Sleep(0);
            viaTask.Cancel();
            await AioAssert.ThrowsAsync<CancelledException>(viaTask);

            // Through the token given to ReadAsync, cancelled on another thread, in an ordinary async method:
            // the read ends with that token's cancellation, and the task itself was not cancelled.
            using var cancellation = new CancellationTokenSource();
            AioTask<int> viaToken = AsyncIO.CreateTask(async () => await stream.ReadAsync(new byte[10], cancellation.Token));
            await AsyncIO.Sleep(0);
            await Task.Run(cancellation.Cancel);
            OperationCanceledException cancelled = await AioAssert.ThrowsAsync<OperationCanceledException>(viaToken);
            Assert.Equal(cancellation.Token, cancelled.CancellationToken);
            Assert.False(viaToken.IsCancelled);

            // An already cancelled token reads nothing.
            await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => _ = await stream.ReadAsync(new byte[10], cancellation.Token));

            serverWriter!.Write("after\n"u8);
            byte[] after = new byte[6];
            await stream.ReadExactlyAsync(after);
            Assert.Equal("after\n", Text(after));
            writer.Close();
        }));

        static async Coroutine<int> ReadSome(Stream stream) => await stream.ReadAsync(new byte[10]);
    }

    [Fact]
    public void ZeroByteRead_WaitsForData_WithoutTakingIt()
    {
        LoopTest.WithinSeconds(20, () => LoopTest.Run(async loop =>
        {
            AsyncStreamWriter? serverWriter = null;
            await using Server server = await AsyncIO.StartServerAsync(async (r, w) =>
            {
                serverWriter = w;
                await r.ReadAsync();
                w.Close();
            }, "127.0.0.1", 0);
            var (reader, writer) = await AsyncIO.OpenConnectionAsync("127.0.0.1", PortOf(server));
            Stream stream = writer.AsStream();
            await AioAssert.WaitUntil(() => serverWriter is not null);

            AioTask<int> waiting = AsyncIO.CreateTask(async () => await stream.ReadAsync(Memory<byte>.Empty));
            await AsyncIO.Sleep(0.01);
            Assert.False(waiting.IsDone);
            serverWriter!.Write("x"u8);
            Assert.Equal(0, await waiting);
            Assert.Equal(1, reader.BufferedCount);

            writer.WriteEof();
            serverWriter.Close();
            byte[] rest = new byte[8];
            Assert.Equal(1, await stream.ReadAsync(rest));
            Assert.Equal(0, await stream.ReadAsync(Memory<byte>.Empty));
            Assert.Equal(0, await stream.ReadAsync(rest));
            writer.Close();
        }));
    }

    [Fact]
    public void PeerResets_StreamReadFailsWithAnIOExceptionAroundTheSocketError()
    {
        LoopTest.WithinSeconds(20, () => LoopTest.Run(async loop =>
        {
            using Socket listener = LoopbackSockets.Listen();
            AioTask<(AsyncStreamReader, AsyncStreamWriter)> connecting = AsyncIO.CreateTask(
                AsyncIO.OpenConnectionAsync("127.0.0.1", ((IPEndPoint)listener.LocalEndPoint!).Port));
            var (peer, _) = await loop.SockAcceptAsync(listener);
            var (_, writer) = await connecting;
            Stream stream = writer.AsStream();
            AioTask<int> reading = AsyncIO.CreateTask(async () => await stream.ReadAsync(new byte[10]));
            await AsyncIO.Sleep(0);
            peer.LingerState = new LingerOption(true, 0);
            peer.Close();

            IOException error = await AioAssert.ThrowsAsync<IOException>(reading);
            Assert.Equal(SocketError.ConnectionReset, Assert.IsType<SocketException>(error.InnerException).SocketErrorCode);
            await Assert.ThrowsAsync<IOException>(async () => await stream.WriteAsync(new byte[10]));
        }));
    }

    [Fact]
    public void CalledFromOtherThreads_OperationsAreHandedToTheLoop()
    {
        LoopTest.WithinSeconds(20, () => LoopTest.Run(async loop =>
        {
            await using Server server = await AsyncIO.StartServerAsync(async (r, w) =>
            {
                await foreach (byte[] line in r)
                {
                    w.Write(line);
                    await w.DrainAsync();
                }

                w.Close();
            }, "127.0.0.1", 0);
            var (reader, writer) = await AsyncIO.OpenConnectionAsync("127.0.0.1", PortOf(server));
            Stream stream = writer.AsStream();
            int loopThread = Environment.CurrentManagedThreadId;

            // A read that waits, started on a pool thread, is completed by the loop when the echo comes.
            Task<int> waiting = Task.Run(async () =>
            {
                Assert.NotEqual(loopThread, Environment.CurrentManagedThreadId);
                return await stream.ReadAsync(new byte[64]);
            });
            await Task.Run(async () =>
            {
                await stream.WriteAsync("across threads\n"u8.ToArray());
                await stream.FlushAsync();
            });
            Assert.Equal(15, await waiting);

            await Task.Run(stream.Dispose);
            await writer.WaitClosedAsync();
        }));
    }

    [Fact]
    public void DuplexPipe_ServesALineProtocolParsedThroughPipeReader()
    {
        LoopTest.WithinSeconds(20, () => LoopTest.Run(async loop =>
        {
            await using Server server = await AsyncIO.StartServerAsync(async (r, w) => await ServeSumsAsync(w), "127.0.0.1", 0);
            var (reader, writer) = await AsyncIO.OpenConnectionAsync("127.0.0.1", PortOf(server));

            // Lines cut at awkward places, in several writes, so the parser sees partial lines.
            writer.Write("ADD 1 2\nADD 40 "u8);
            await AsyncIO.Sleep(0.01);
            writer.Write("2\nAD"u8);
            await AsyncIO.Sleep(0.01);
            writer.Write("D 5 5\nQUIT\n"u8);
            Assert.Equal("= 3\n", Text(await reader.ReadLineAsync()));
            Assert.Equal("= 42\n", Text(await reader.ReadLineAsync()));
            Assert.Equal("= 10\n", Text(await reader.ReadLineAsync()));
            Assert.Equal("bye\n", Text(await reader.ReadLineAsync()));
            Assert.Empty(await reader.ReadAsync());
            writer.Close();
        }));

        // An ordinary Pipelines parser, as a third-party protocol library would write it.
        static async Task ServeSumsAsync(AsyncStreamWriter connection)
        {
            IDuplexPipe pipe = connection.AsDuplexPipe();
            while (true)
            {
                ReadResult result = await pipe.Input.ReadAsync();
                ReadOnlySequence<byte> buffer = result.Buffer;
                while (buffer.PositionOf((byte)'\n') is { } end)
                {
                    string line = Encoding.ASCII.GetString(buffer.Slice(0, end));
                    buffer = buffer.Slice(buffer.GetPosition(1, end));
                    if (line == "QUIT")
                    {
                        pipe.Input.AdvanceTo(buffer.Start);
                        await pipe.Output.WriteAsync("bye\n"u8.ToArray());
                        await pipe.Input.CompleteAsync();
                        await pipe.Output.CompleteAsync();
                        connection.Close();
                        return;
                    }

                    string[] words = line.Split(' ');
                    pipe.Output.Write(Encoding.ASCII.GetBytes($"= {int.Parse(words[1]) + int.Parse(words[2])}\n"));
                }

                await pipe.Output.FlushAsync();
                pipe.Input.AdvanceTo(buffer.Start, buffer.End);
                if (result.IsCompleted)
                {
                    connection.Close();
                    return;
                }
            }
        }
    }

    [Fact]
    public void WebSocket_OverAConnectionPair_ExchangesTextAndBinary_AndClosesWithAHandshake()
    {
        int before = Descriptors.Before();
        LoopTest.WithinSeconds(20, () => LoopTest.Run(async loop =>
        {
            WebSocketCloseStatus? serverSawClose = null;
            await using Server server = await AsyncIO.StartServerAsync(async (r, w) =>
                serverSawClose = await EchoMessagesAsync(w.AsStream()), "127.0.0.1", 0);
            var (reader, writer) = await AsyncIO.OpenConnectionAsync("127.0.0.1", PortOf(server));
            using WebSocket client = WebSocket.CreateFromStream(writer.AsStream(),
                new WebSocketCreationOptions { IsServer = false, KeepAliveInterval = TimeSpan.Zero });

            await client.SendAsync("héllo"u8.ToArray(), WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None);
            var (type, text) = await ReceiveMessageAsync(client);
            Assert.Equal(WebSocketMessageType.Text, type);
            Assert.Equal("héllo", Encoding.UTF8.GetString(text));

            byte[] binary = new byte[300_000];
            new Random(5).NextBytes(binary);
            await client.SendAsync(binary, WebSocketMessageType.Binary, endOfMessage: true, CancellationToken.None);
            (type, byte[] echoed) = await ReceiveMessageAsync(client);
            Assert.Equal(WebSocketMessageType.Binary, type);
            Assert.Equal(binary, echoed);

            await client.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", CancellationToken.None);
            Assert.Equal(WebSocketState.Closed, client.State);
            Assert.Equal(WebSocketCloseStatus.NormalClosure, client.CloseStatus);
            Assert.Equal("bye", client.CloseStatusDescription);
            client.Dispose();
            await writer.WaitClosedAsync();
            await AioAssert.WaitUntil(() => serverSawClose is not null);
            Assert.Equal(WebSocketCloseStatus.NormalClosure, serverSawClose);
        }));
        Descriptors.AssertBackTo(before);

        static async Task<WebSocketCloseStatus?> EchoMessagesAsync(Stream stream)
        {
            using WebSocket socket = WebSocket.CreateFromStream(stream,
                new WebSocketCreationOptions { IsServer = true, KeepAliveInterval = TimeSpan.Zero });
            while (true)
            {
                var (type, message) = await ReceiveMessageAsync(socket);
                if (type == WebSocketMessageType.Close)
                {
                    await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "bye", CancellationToken.None);
                    return socket.CloseStatus;
                }

                await socket.SendAsync(message, type, endOfMessage: true, CancellationToken.None);
            }
        }
    }

    private static async Task<(WebSocketMessageType Type, byte[] Message)> ReceiveMessageAsync(WebSocket socket)
    {
        var message = new MemoryStream();
        byte[] buffer = new byte[8 * 1024];
        while (true)
        {
            ValueWebSocketReceiveResult received = await socket.ReceiveAsync(buffer.AsMemory(), CancellationToken.None);
            message.Write(buffer, 0, received.Count);
            if (received.EndOfMessage || received.MessageType == WebSocketMessageType.Close)
            {
                return (received.MessageType, message.ToArray());
            }
        }
    }

    private static int PortOf(Server server) => ((IPEndPoint)server.Sockets[0].LocalEndPoint!).Port;

    private static string Text(byte[] bytes) => Encoding.UTF8.GetString(bytes);
}
