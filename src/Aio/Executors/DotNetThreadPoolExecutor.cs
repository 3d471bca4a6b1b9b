namespace Aio;

/// <summary>The default executor: the .NET thread pool, which already sizes itself to the machine and
/// injects threads when work blocks.</summary>
internal sealed class DotNetThreadPoolExecutor : IExecutor
{
    internal static readonly DotNetThreadPoolExecutor Instance = new();

    private DotNetThreadPoolExecutor()
    {
    }

    public void Execute(Action<object?> work, object? state) =>
        ThreadPool.UnsafeQueueUserWorkItem(work, state, preferLocal: false);
}
