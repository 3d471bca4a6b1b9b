using System.Net;
using System.Net.Sockets;
using Aio.Tests.Support;

namespace Aio.Tests.Loop;

public sealed class ReactorTests
{
    /// <summary>Runs <paramref name="body"/> with a fresh pipe, closing both ends afterwards.</summary>
    private static void WithPipe(Action<int, int> body)
    {
        (int read, int write) = Native.CreatePipe();
        try
        {
            body(read, write);
        }
        finally
        {
            Native.Close(read);
            Native.Close(write);
        }
    }

    private static void WithEventFd(Action<int> body)
    {
        int fd = Native.CreateEventFd();
        try
        {
            body(fd);
        }
        finally
        {
            Native.Close(fd);
        }
    }

    /// <summary>A connected TCP pair on 127.0.0.1.</summary>
    private static (Socket Client, Socket Server) ConnectedSockets()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        client.Connect(listener.LocalEndPoint!);
        Socket server = listener.Accept();
        return (client, server);
    }

    /// <summary>Lets the loop go round a few times, polling the reactor each time.</summary>
    private static async Coroutine Iterations(int count)
    {
        for (int i = 0; i < count; i++)
        {
            await AsyncIO.Sleep(0);
        }
    }

    [Fact]
    public void AddReader_EventFdSignalled_CallbackRunsOnTheLoopThread()
    {
        int loopThread = -1;
        int callbackThread = -2;
        ulong value = 0;
        WithEventFd(fd => LoopTest.WithinSeconds(10, () => LoopTest.Run(async loop =>
        {
            loopThread = Environment.CurrentManagedThreadId;
            Future<bool> done = loop.CreateFuture<bool>();
            loop.AddReader(fd, () =>
            {
                callbackThread = Environment.CurrentManagedThreadId;
                value = Native.DrainEventFd(fd);
                loop.RemoveReader(fd);
                done.SetResult(true);
            });
            Native.SignalEventFd(fd, 5);
            await done;
        })));
        Assert.Equal(5UL, value);
        Assert.Equal(loopThread, callbackThread);
    }

    [Fact]
    public void AddReader_PipeWithData_CallbackCanReadTheBytes()
    {
        byte[] received = [];
        WithPipe((read, write) => LoopTest.WithinSeconds(10, () => LoopTest.Run(async loop =>
        {
            Future<bool> done = loop.CreateFuture<bool>();
            loop.AddReader(read, () =>
            {
                var buffer = new byte[16];
                int n = Native.ReadBytes(read, buffer);
                received = buffer[..Math.Max(0, n)];
                loop.RemoveReader(read);
                done.SetResult(true);
            });
            Assert.Equal(3, Native.WriteBytes(write, [1, 2, 3]));
            await done;
        })));
        Assert.Equal(new byte[] { 1, 2, 3 }, received);
    }

    [Fact]
    public void AddReader_NothingToRead_CallbackDoesNotRun()
    {
        int calls = 0;
        WithPipe((read, _) => LoopTest.WithinSeconds(10, () => LoopTest.Run(async loop =>
        {
            loop.AddReader(read, () => calls++);
            await Iterations(5);
            await AsyncIO.Sleep(0.01);
            Assert.True(loop.RemoveReader(read));
        })));
        Assert.Equal(0, calls);
    }

    [Fact]
    public void AddReader_DataLeftUnread_FiresAgainOnEveryIteration()
    {
        int calls = 0;
        WithPipe((read, write) => LoopTest.WithinSeconds(10, () => LoopTest.Run(async loop =>
        {
            Future<bool> thrice = loop.CreateFuture<bool>();
            loop.AddReader(read, () =>
            {
                if (++calls == 3)
                {
                    loop.RemoveReader(read);
                    thrice.SetResult(true);
                }
            });
            Native.WriteBytes(write, [42]);
            await thrice;

            // The byte is still unread, but the reader is gone.
            await Iterations(5);
        })));
        Assert.Equal(3, calls);
    }

    [Fact]
    public void AddReader_WrittenFromAnotherThreadWhileTheLoopIsIdle_WakesTheLoop()
    {
        bool fired = false;
        WithEventFd(fd => LoopTest.WithinSeconds(10, () => LoopTest.Run(async loop =>
        {
            Future<bool> done = loop.CreateFuture<bool>();
            loop.AddReader(fd, () =>
            {
                Native.DrainEventFd(fd);
                fired = true;
                loop.RemoveReader(fd);
                done.SetResult(true);
            });
            var writer = new Thread(() =>
            {
                Thread.Sleep(20);
                Native.SignalEventFd(fd);
            })
            { IsBackground = true };
            writer.Start();
            await done;
            writer.Join();
        })));
        Assert.True(fired);
    }

    [Fact]
    public void AddReader_WriteEndClosed_FiresForEndOfFile()
    {
        int readResult = -1;
        (int read, int write) = Native.CreatePipe();
        try
        {
            LoopTest.WithinSeconds(10, () => LoopTest.Run(async loop =>
            {
                Future<bool> done = loop.CreateFuture<bool>();
                loop.AddReader(read, () =>
                {
                    readResult = Native.ReadBytes(read, new byte[4]);
                    loop.RemoveReader(read);
                    done.SetResult(true);
                });
                Native.Close(write);
                write = -1;
                await done;
            }));
        }
        finally
        {
            Native.Close(read);
            if (write >= 0)
            {
                Native.Close(write);
            }
        }

        Assert.Equal(0, readResult);
    }

    [Fact]
    public void RemoveReader_Registered_ReturnsTrueThenFalse()
    {
        WithPipe((read, _) => LoopTest.Run(loop =>
        {
            Assert.False(loop.RemoveReader(read));
            loop.AddReader(read, () => { });
            Assert.Equal(1, loop.GetResources().WatchedDescriptors);
            Assert.False(loop.RemoveWriter(read));
            Assert.True(loop.RemoveReader(read));
            Assert.False(loop.RemoveReader(read));
            Assert.Equal(0, loop.GetResources().WatchedDescriptors);
            return default;
        }));
    }

    [Fact]
    public void RemoveReader_ThenDataArrives_CallbackDoesNotRun()
    {
        int calls = 0;
        WithPipe((read, write) => LoopTest.WithinSeconds(10, () => LoopTest.Run(async loop =>
        {
            loop.AddReader(read, () => calls++);
            Assert.True(loop.RemoveReader(read));
            Native.WriteBytes(write, [1]);
            await Iterations(5);
            await AsyncIO.Sleep(0.01);
        })));
        Assert.Equal(0, calls);
    }

    [Fact]
    public void RemoveReader_WhileItsReadinessIsQueued_CallbackDoesNotRun()
    {
        // The byte stays unread, so every poll queues the reader again. The main task resumes from the
        // first call one iteration later, ahead of the reader queued by that iteration's poll, and removes
        // it: as asyncio's remove_reader cancels the queued handle, the reader must not run again.
        int calls = 0;
        bool removed = false;
        WithPipe((read, write) => LoopTest.WithinSeconds(10, () => LoopTest.Run(async loop =>
        {
            Future<bool> first = loop.CreateFuture<bool>();
            loop.AddReader(read, () =>
            {
                calls++;
                first.TrySetResult(true);
            });
            Native.WriteBytes(write, [1]);
            await first;
            removed = loop.RemoveReader(read);
            await Iterations(3);
        })));
        Assert.True(removed);
        Assert.Equal(1, calls);
    }

    [Fact]
    public void AddReader_ReplacedWhileTheOldReadinessIsQueued_OldCallbackDoesNotRunAgain()
    {
        var calls = new List<string>();
        WithPipe((read, write) => LoopTest.WithinSeconds(10, () => LoopTest.Run(async loop =>
        {
            Future<bool> first = loop.CreateFuture<bool>();
            loop.AddReader(read, () =>
            {
                calls.Add("old");
                first.TrySetResult(true);
            });
            Native.WriteBytes(write, [1]);
            await first;
            Future<bool> replaced = loop.CreateFuture<bool>();
            loop.AddReader(read, () =>
            {
                calls.Add("new");
                loop.RemoveReader(read);
                replaced.TrySetResult(true);
            });
            await replaced;
        })));
        Assert.Equal(["old", "new"], calls);
    }

    [Fact]
    public void RemoveReader_AfterTheDescriptorWasClosed_ReturnsTrueWithoutError()
    {
        (int read, int write) = Native.CreatePipe();
        try
        {
            LoopTest.Run(loop =>
            {
                loop.AddReader(read, () => { });
                Native.Close(read);
                Assert.True(loop.RemoveReader(read));
                read = -1;
                return default;
            });
        }
        finally
        {
            if (read >= 0)
            {
                Native.Close(read);
            }

            Native.Close(write);
        }
    }

    [Fact]
    public void AddReader_CalledAgainForTheSameDescriptor_OnlyTheNewCallbackRuns()
    {
        var calls = new List<string>();
        WithEventFd(fd => LoopTest.WithinSeconds(10, () => LoopTest.Run(async loop =>
        {
            Future<bool> done = loop.CreateFuture<bool>();
            loop.AddReader(fd, () => calls.Add("old"));
            loop.AddReader(fd, () =>
            {
                calls.Add("new");
                Native.DrainEventFd(fd);
                loop.RemoveReader(fd);
                done.SetResult(true);
            });
            Assert.Equal(1, loop.GetResources().WatchedDescriptors);
            Native.SignalEventFd(fd);
            await done;
            await Iterations(3);
        })));
        Assert.Equal(["new"], calls);
    }

    [Fact]
    public void AddWriter_WritablePipe_CallbackRunsUntilRemoved()
    {
        int calls = 0;
        bool removed = false;
        WithPipe((_, write) => LoopTest.WithinSeconds(10, () => LoopTest.Run(async loop =>
        {
            Future<bool> twice = loop.CreateFuture<bool>();
            loop.AddWriter(write, () =>
            {
                if (++calls == 2)
                {
                    removed = loop.RemoveWriter(write);
                    twice.SetResult(true);
                }
            });
            await twice;
            Assert.False(loop.RemoveWriter(write));
            await Iterations(3);
        })));
        Assert.True(removed);
        Assert.Equal(2, calls);
    }

    [Fact]
    public void AddWriter_CalledAgainForTheSameDescriptor_OnlyTheNewCallbackRuns()
    {
        var calls = new List<string>();
        WithPipe((_, write) => LoopTest.WithinSeconds(10, () => LoopTest.Run(async loop =>
        {
            Future<bool> done = loop.CreateFuture<bool>();
            loop.AddWriter(write, () => calls.Add("old"));
            loop.AddWriter(write, () =>
            {
                calls.Add("new");
                loop.RemoveWriter(write);
                done.SetResult(true);
            });
            await done;
            await Iterations(3);
        })));
        Assert.Equal(["new"], calls);
    }

    [Fact]
    public void ReaderAndWriter_OnTheSameDescriptor_RemovingOneKeepsTheOther()
    {
        int reads = 0;
        int writes = 0;
        bool writerRemoved = false;
        int watchedAfterWriterRemoved = -1;
        WithEventFd(fd => LoopTest.WithinSeconds(10, () => LoopTest.Run(async loop =>
        {
            Future<bool> wrote = loop.CreateFuture<bool>();
            Future<bool> read = loop.CreateFuture<bool>();
            loop.AddWriter(fd, () =>
            {
                writes++;
                writerRemoved = loop.RemoveWriter(fd);
                wrote.TrySetResult(true);
            });
            loop.AddReader(fd, () =>
            {
                reads++;
                Native.DrainEventFd(fd);
                loop.RemoveReader(fd);
                read.TrySetResult(true);
            });
            Assert.Equal(1, loop.GetResources().WatchedDescriptors);
            await wrote;
            watchedAfterWriterRemoved = loop.GetResources().WatchedDescriptors;
            Native.SignalEventFd(fd);
            await read;
            await Iterations(3);
            Assert.Equal(0, loop.GetResources().WatchedDescriptors);
        })));
        Assert.True(writerRemoved);
        Assert.Equal(1, watchedAfterWriterRemoved);
        Assert.Equal(1, writes);
        Assert.Equal(1, reads);
    }

    [Fact]
    public void AddReader_ConnectedSocket_FiresWhenThePeerSends()
    {
        var received = new List<byte>();
        bool removed = false;
        (Socket client, Socket server) = ConnectedSockets();
        using (client)
        using (server)
        {
            LoopTest.WithinSeconds(10, () => LoopTest.Run(async loop =>
            {
                Future<bool> done = loop.CreateFuture<bool>();
                loop.AddReader(server, () =>
                {
                    var buffer = new byte[16];
                    int n = server.Receive(buffer);
                    received.AddRange(buffer[..n]);
                    if (received.Count >= 4)
                    {
                        removed = loop.RemoveReader(server);
                        done.SetResult(true);
                    }
                });
                Assert.False(server.Blocking);
                client.Send([10, 20, 30, 40]);
                await done;
                Assert.False(loop.RemoveReader(server));
            }));
        }

        Assert.True(removed);
        Assert.Equal(new byte[] { 10, 20, 30, 40 }, received);
    }

    [Fact]
    public void AddWriter_ConnectedSocket_FiresBecauseItCanSend()
    {
        bool fired = false;
        (Socket client, Socket server) = ConnectedSockets();
        using (client)
        using (server)
        {
            LoopTest.WithinSeconds(10, () => LoopTest.Run(async loop =>
            {
                Future<bool> done = loop.CreateFuture<bool>();
                loop.AddWriter(client, () =>
                {
                    fired = true;
                    loop.RemoveWriter(client);
                    done.SetResult(true);
                });
                await done;
                Assert.False(loop.RemoveWriter(client));
            }));
        }

        Assert.True(fired);
    }

    [Fact]
    public void AddReader_CallbackThrows_GoesToTheHandlerAndTheLoopGoesOn()
    {
        var reports = new List<LoopExceptionContext>();
        var boom = new InvalidOperationException("reader failed");
        bool ranAfter = false;
        WithEventFd(fd => LoopTest.WithinSeconds(10, () => LoopTest.Run(
            async loop =>
            {
                loop.SetExceptionHandler((_, context) => reports.Add(context));
                loop.AddReader(fd, () =>
                {
                    Native.DrainEventFd(fd);
                    loop.RemoveReader(fd);
                    throw boom;
                });
                Native.SignalEventFd(fd);
                await Iterations(3);
                Future<bool> done = loop.CreateFuture<bool>();
                loop.CallSoon(() =>
                {
                    ranAfter = true;
                    done.SetResult(true);
                });
                await done;
            },
            allowHandlerReports: true)));
        Assert.True(ranAfter);
        LoopExceptionContext report = Assert.Single(reports);
        Assert.Same(boom, report.Exception);
    }

    [Fact]
    public void AddReader_NegativeDescriptor_ThrowsArgumentOutOfRange()
    {
        LoopTest.Run(loop =>
        {
            Assert.Throws<ArgumentOutOfRangeException>(() => loop.AddReader(-1, () => { }));
            Assert.Throws<ArgumentOutOfRangeException>(() => loop.AddWriter(-1, () => { }));
            Assert.Throws<ArgumentNullException>(() => loop.AddReader(0, null!));
            return default;
        });
    }
}
