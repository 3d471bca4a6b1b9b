namespace Aio;

/// <summary>The default executor: the .NET thread pool, which already sizes itself to the machine and
/// injects threads when work blocks.</summary>
internal sealed class DotNetThreadPoolExecutor : IExecutor
{
    internal static readonly DotNetThreadPoolExecutor Instance = new();

    private DotNetThreadPoolExecutor()
    {
    }

    public void Execute(IExecutorWork work)
    {
        // Our own work items are thread-pool items already: queueing them allocates nothing.
        if (work is IThreadPoolWorkItem item)
        {
            ThreadPool.UnsafeQueueUserWorkItem(item, preferLocal: false);
        }
        else
        {
            ThreadPool.UnsafeQueueUserWorkItem(static w => w.Run(), work, preferLocal: false);
        }
    }
}
