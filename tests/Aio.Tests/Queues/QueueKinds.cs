using Aio.Queues;

namespace Aio.Tests.Queues;

/// <summary>The three kinds of queue, so that behaviour they share is tested on each (asyncio's test
/// mixins run against <c>Queue</c>, <c>LifoQueue</c> and <c>PriorityQueue</c> alike).</summary>
public static class QueueKinds
{
    /// <summary>Every kind, for <c>[MemberData(nameof(QueueKinds.All), MemberType = typeof(QueueKinds))]</c>.</summary>
    public static TheoryData<string> All => new() { "fifo", "lifo", "priority" };

    /// <summary>A new queue of <paramref name="kind"/>.</summary>
    public static AsyncQueueBase<T> Create<T>(string kind, int maxSize = 0) => kind switch
    {
        "fifo" => new AsyncQueue<T>(maxSize),
        "lifo" => new AsyncLifoQueue<T>(maxSize),
        "priority" => new AsyncPriorityQueue<T>(maxSize),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown queue kind."),
    };
}
