using System.Diagnostics;
using System.Threading.Channels;

namespace Aio.Bench;

/// <summary>
/// The queue figures of the <c>sync</c> suite in plain .NET, as a reference: a
/// <see cref="System.Threading.Channels"/> channel bounded to the same size, written by one thread-pool
/// task and read by another, same item count; see <see cref="Harness"/> for the method.
/// </summary>
/// <remarks>The lock and semaphore figures have no thread-pool counterpart here: their targets are
/// against uvloop only.</remarks>
internal static class DotnetSync
{
    public static void Run(BenchFilter only)
    {
        AioSync.WarnIfQuick();
        if (only.Includes("queue_pingpong"))
        {
            double[] pingPong = Harness.Measure("queue_pingpong", static () => ChannelRun(AioSync.PingPongSize).GetAwaiter().GetResult());
            Harness.Report("queue_pingpong", pingPong[0], "ns/item");
        }

        if (only.Includes("queue_throughput"))
        {
            double[] throughput = Harness.Measure("queue_throughput", static () => ChannelRun(AioSync.ThroughputSize).GetAwaiter().GetResult());
            Harness.Report("queue_throughput", throughput[0], "ns/item");
        }
    }

    private static async Task<double[]> ChannelRun(int capacity)
    {
        // One writer and one reader, and a full channel makes the writer wait: the counterpart of a
        // bounded asyncio.Queue between two tasks.
        Channel<int> channel = Channel.CreateBounded<int>(new BoundedChannelOptions(capacity)
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = true,
            SingleWriter = true,
        });
        long start = Stopwatch.GetTimestamp();
        Task producer = Task.Run(() => Produce(channel.Writer, AioSync.QueueItems));
        Task<long> consumer = Task.Run(() => Consume(channel.Reader, AioSync.QueueItems));
        await producer;
        long sum = await consumer;
        long end = Stopwatch.GetTimestamp();
        AioSync.CheckSum(sum);
        return [Harness.NsPerOp(start, end, AioSync.QueueItems)];
    }

    private static async Task Produce(ChannelWriter<int> writer, int count)
    {
        for (int i = 0; i < count; i++)
        {
            await writer.WriteAsync(i);
        }
    }

    private static async Task<long> Consume(ChannelReader<int> reader, int count)
    {
        long sum = 0;
        for (int i = 0; i < count; i++)
        {
            sum += await reader.ReadAsync();
        }

        return sum;
    }
}
