using System.Net;
using System.Net.Sockets;
using System.Text;
using Aio.Net;
using Aio.Tests.Support;

namespace Aio.Tests.Net;

/// <summary>asyncio's streams on Aio: start_server and open_connection, every read form with its errors,
/// drain's backpressure, cancellation that loses no byte, and faults.</summary>
[Collection(DescriptorCountingCollection.Name)]
public sealed class StreamTests
{
    [Fact]
    public void StartServerAndOpenConnection_EchoLines_AndLeakNothing()
    {
        int before = Descriptors.Before();
        LoopTest.WithinSeconds(20, () => LoopTest.Run(async loop =>
        {
            await using Server server = await AsyncIO.StartServerAsync(EchoLines, "127.0.0.1", 0);
            int port = PortOf(server);
            var (reader, writer) = await AsyncIO.OpenConnectionAsync("127.0.0.1", port);
            writer.Write("first\nsecond\nthird"u8);
            await writer.DrainAsync();
            Assert.Equal("first\n", Text(await reader.ReadLineAsync()));
            Assert.Equal("second\n", Text(await reader.ReadLineAsync()));
            writer.Write("\n"u8);
            Assert.Equal("third\n", Text(await reader.ReadLineAsync()));
            writer.WriteEof();
            Assert.Empty(await reader.ReadLineAsync());
            Assert.True(reader.AtEof);
            writer.Close();
            await writer.WaitClosedAsync();
            Assert.True(writer.IsClosing);
        }));
        Descriptors.AssertBackTo(before);

        static async Coroutine EchoLines(AsyncStreamReader reader, AsyncStreamWriter writer)
        {
            await foreach (byte[] line in reader)
            {
                writer.Write(line);
                await writer.DrainAsync();
            }

            writer.Close();
        }
    }

    [Fact]
    public void ReadExactly_StreamEndsEarly_IncompleteReadCarriesThePartialBytes()
    {
        LoopTest.WithinSeconds(20, () => LoopTest.Run(async loop =>
        {
            await using Server server = await AsyncIO.StartServerAsync(async (r, w) =>
            {
                w.Write("12345"u8);
                w.Close();
                await w.WaitClosedAsync();
            }, "127.0.0.1", 0);
            var (reader, writer) = await AsyncIO.OpenConnectionAsync("127.0.0.1", PortOf(server));
            Assert.Equal("123", Text(await reader.ReadExactlyAsync(3)));
            IncompleteReadException error = await AioAssert.ThrowsAsync<IncompleteReadException>(async () => await reader.ReadExactlyAsync(10));
            Assert.Equal("45", Text(error.Partial));
            Assert.Equal(10, error.Expected);
            writer.Close();
        }));
    }

    [Fact]
    public void ReadUntil_NoSeparatorWithinLimit_Overruns_AndReadLineDiscardsTheLongLine()
    {
        LoopTest.WithinSeconds(20, () => LoopTest.Run(async loop =>
        {
            await using Server server = await AsyncIO.StartServerAsync(async (r, w) =>
            {
                w.Write(Encoding.ASCII.GetBytes(new string('x', 100) + "\nshort\n" + new string('y', 100) + "|end|"));
                await w.DrainAsync();
                w.Close();
            }, "127.0.0.1", 0);
            var (reader, writer) = await AsyncIO.OpenConnectionAsync("127.0.0.1", PortOf(server), limit: 50);
            await AioAssert.WaitUntil(() => reader.BufferedCount >= 212);

            LimitOverrunException overrun = await AioAssert.ThrowsAsync<LimitOverrunException>(async () => await reader.ReadLineAsync());
            Assert.Equal(100, overrun.Consumed);
            Assert.Equal("short\n", Text(await reader.ReadLineAsync()));

            LimitOverrunException notFound = await AioAssert.ThrowsAsync<LimitOverrunException>(async () => await reader.ReadUntilAsync("|end|"u8));
            Assert.True(notFound.Consumed > 50);
            Assert.Equal(105, reader.BufferedCount);
            Assert.Equal(new string('y', 50), Text(await reader.ReadExactlyAsync(50)));
            Assert.Equal(new string('y', 50) + "|end|", Text(await reader.ReadUntilAsync("|end|"u8)));
            IncompleteReadException end = await AioAssert.ThrowsAsync<IncompleteReadException>(async () => await reader.ReadUntilAsync());
            Assert.Empty(end.Partial);
            writer.Close();
        }));
    }

    [Fact]
    public void ReadAll_LongerThanTwiceTheLimit_DoesNotStallOnBackpressure()
    {
        LoopTest.WithinSeconds(20, () => LoopTest.Run(async loop =>
        {
            byte[] payload = new byte[1_000_000];
            new Random(5).NextBytes(payload);
            await using Server server = await AsyncIO.StartServerAsync(async (r, w) =>
            {
                w.Write(payload);
                await w.DrainAsync();
                w.Close();
            }, "127.0.0.1", 0);
            var (reader, writer) = await AsyncIO.OpenConnectionAsync("127.0.0.1", PortOf(server), limit: 1024);
            Assert.Equal(payload, await reader.ReadAsync());
            Assert.True(reader.AtEof);
            writer.Close();
        }));
    }

    [Fact]
    public void Drain_PeerNotReading_WaitsWithABoundedBuffer_ThenCompletesWhenThePeerReads()
    {
        LoopTest.WithinSeconds(30, () => LoopTest.Run(async loop =>
        {
            AsyncStreamWriter? serverWriter = null;
            int written = 0;
            var release = loop.CreateFuture<bool>();
            await using Server server = await AsyncIO.StartServerAsync(async (r, w) =>
            {
                serverWriter = w;
                byte[] chunk = new byte[64 * 1024];
                while (written < 64 * 1024 * 1024)
                {
                    w.Write(chunk);
                    written += chunk.Length;
                    await w.DrainAsync();
                }
            }, "127.0.0.1", 0);
            var (reader, writer) = await AsyncIO.OpenConnectionAsync("127.0.0.1", PortOf(server));
            writer.Transport.PauseReading();

            await AsyncIO.Sleep(0.2);
            int stalledAt = written;
            await AsyncIO.Sleep(0.1);
            Assert.Equal(stalledAt, written);
            Assert.True(serverWriter!.Transport.WriteBufferSize <= serverWriter.Transport.WriteBufferHighWater + 64 * 1024,
                $"{serverWriter.Transport.WriteBufferSize} bytes buffered");

            writer.Transport.ResumeReading();
            byte[] sink = new byte[256 * 1024];
            long got = 0;
            while (got < 4 * 1024 * 1024)
            {
                got += await reader.ReadAsync(sink);
            }

            Assert.True(written > stalledAt, "drain let the writer go on once the peer read");
            writer.Transport.Abort();
        }, allowHandlerReports: true));
    }

    [Theory]
    [InlineData("readline")]
    [InlineData("read")]
    [InlineData("read-into")]
    public void CancelledRead_LosesNothing_WhetherWaitingOrAlreadyCompleted(string kind)
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
            await AioAssert.WaitUntil(() => serverWriter is not null);

            // Cancelled while it waits: takes nothing.
            AioTask<byte[]> waiting = AsyncIO.CreateTask(Read(reader, kind));
            await AsyncIO.Sleep(0);
            waiting.Cancel();
            await AioAssert.ThrowsAsync<CancelledException>(waiting);

            // Completed by the arriving bytes, cancelled before it resumed: the bytes go back.
            AioTask<byte[]> completed = AsyncIO.CreateTask(Read(reader, kind));
            await AsyncIO.Sleep(0);
            serverWriter!.Write("kept\n"u8);

            // This task resumes first in the next iteration, whose callbacks then complete the read; it
            // yields once more, so it runs again before the reading task resumes.
            await AsyncIO.Sleep(0);
            await AsyncIO.Sleep(0);
            Assert.False(completed.IsDone);
            Assert.Equal(0, reader.BufferedCount);
            Assert.True(completed.Cancel());
            await AioAssert.ThrowsAsync<CancelledException>(completed);

            Assert.Equal("kept\n", Text(await reader.ReadLineAsync()));
            writer.Close();
        }));

        static async Coroutine<byte[]> Read(AsyncStreamReader reader, string kind)
        {
            switch (kind)
            {
                case "readline":
                    return await reader.ReadLineAsync();
                case "read":
                    return await reader.ReadAsync(100);
                default:
                    byte[] buffer = new byte[100];
                    int n = await reader.ReadAsync(buffer.AsMemory());
                    return buffer[..n];
            }
        }
    }

    [Fact]
    public void SecondReadWhileOneWaits_IsRefused()
    {
        LoopTest.WithinSeconds(20, () => LoopTest.Run(async loop =>
        {
            await using Server server = await AsyncIO.StartServerAsync(async (r, w) =>
            {
                await r.ReadAsync();
                w.Close();
            }, "127.0.0.1", 0);
            var (reader, writer) = await AsyncIO.OpenConnectionAsync("127.0.0.1", PortOf(server));
            AioTask<byte[]> first = AsyncIO.CreateTask(Read(reader));
            await AsyncIO.Sleep(0);
            Assert.Throws<InvalidOperationException>(() => { _ = reader.ReadAsync(10); });
            writer.Close();
            Assert.Empty(await first);
        }));

        static async Coroutine<byte[]> Read(AsyncStreamReader reader) => await reader.ReadAsync(10);
    }

    [Fact]
    public void HandlerThrows_ErrorIsReported_AndItsConnectionClosed()
    {
        var reports = new List<LoopExceptionContext>();
        LoopTest.WithinSeconds(20, () => LoopTest.Run(async loop =>
        {
            loop.SetExceptionHandler((_, context) => reports.Add(context));
            await using Server server = await AsyncIO.StartServerAsync(async (r, w) =>
            {
                await r.ReadLineAsync();
                throw new InvalidDataException("bad request");
            }, "127.0.0.1", 0);
            var (reader, writer) = await AsyncIO.OpenConnectionAsync("127.0.0.1", PortOf(server));
            writer.Write("hello\n"u8);
            Assert.Empty(await reader.ReadAsync());
            writer.Close();
        }, allowHandlerReports: true));

        LoopExceptionContext report = Assert.Single(reports);
        Assert.Equal("Unhandled exception in client_connected_cb", report.Message);
        Assert.IsType<InvalidDataException>(report.Exception);
    }

    [Fact]
    public void PeerResets_ReadRaisesTheError_DrainToo()
    {
        LoopTest.WithinSeconds(20, () => LoopTest.Run(async loop =>
        {
            using Socket listener = LoopbackSockets.Listen();
            AioTask<(AsyncStreamReader, AsyncStreamWriter)> connecting = AsyncIO.CreateTask(
                AsyncIO.OpenConnectionAsync("127.0.0.1", PortOf(listener)));
            var (peer, _) = await loop.SockAcceptAsync(listener);
            var (reader, writer) = await connecting;
            AioTask<byte[]> reading = AsyncIO.CreateTask(Read(reader));
            await AsyncIO.Sleep(0);
            peer.LingerState = new LingerOption(true, 0);
            peer.Close();

            SocketException error = await AioAssert.ThrowsAsync<SocketException>(reading);
            Assert.Equal(SocketError.ConnectionReset, error.SocketErrorCode);
            Assert.Same(error, reader.Exception);
            await AioAssert.ThrowsAsync<SocketException>(async () => await writer.DrainAsync());
        }));

        static async Coroutine<byte[]> Read(AsyncStreamReader reader) => await reader.ReadAsync(100);
    }

    [Fact]
    public void UnixStreams_EchoALine()
    {
        string path = Path.Combine(Path.GetTempPath(), $"aio-{Guid.NewGuid():N}.sock");
        try
        {
            LoopTest.WithinSeconds(20, () => LoopTest.Run(async loop =>
            {
                await using Server server = AsyncIO.StartUnixServer(async (r, w) =>
                {
                    w.Write(await r.ReadLineAsync());
                    w.Close();
                }, path);
                var (reader, writer) = await AsyncIO.OpenUnixConnectionAsync(path);
                writer.Write("over unix\n"u8);
                Assert.Equal("over unix\n", Text(await reader.ReadLineAsync()));
                writer.Close();
            }));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Drain_WritingInALoopAfterThePeerWentAway_ThrowsInsteadOfCompletingForever()
    {
        LoopTest.WithinSeconds(20, () => LoopTest.Run(async loop =>
        {
            await using Server server = await AsyncIO.StartServerAsync(async (r, w) =>
            {
                w.Transport.Abort();
                await w.WaitClosedAsync();
            }, "127.0.0.1", 0);
            var (reader, writer) = await AsyncIO.OpenConnectionAsync("127.0.0.1", PortOf(server));
            Assert.Empty(await reader.ReadAsync());

            // The peer is gone: the first write draws a reset, the transport fails and drops what is
            // written after. A drain that completed at once would keep this loop from ever yielding to hear
            // of it. Small writes, so that the kernel takes each one and writing never pauses.
            byte[] chunk = new byte[100];
            await AioAssert.ThrowsAsync<SocketException>(async () =>
            {
                for (int i = 0; i < 100_000; i++)
                {
                    writer.Write(chunk);
                    await writer.DrainAsync();
                }
            });
            Assert.True(writer.IsClosing);
        }));
    }

    private static int PortOf(Server server) => ((IPEndPoint)server.Sockets[0].LocalEndPoint!).Port;

    private static int PortOf(Socket socket) => ((IPEndPoint)socket.LocalEndPoint!).Port;

    private static string Text(byte[] bytes) => Encoding.UTF8.GetString(bytes);
}
