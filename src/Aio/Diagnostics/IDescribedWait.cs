namespace Aio.Diagnostics;

/// <summary>Something a task can wait on that names itself in a task tree better than its type does.</summary>
internal interface IDescribedWait
{
    /// <summary>What to call the wait, such as <c>gather of 3</c>; read on the loop thread.</summary>
    /// <param name="loop">The loop taking the snapshot.</param>
    /// <returns>The description.</returns>
    string DescribeWait(EventLoop loop);

    /// <summary>The coroutine suspended on this wait, if the wait knows it (a primitive awaited by a
    /// coroutine); null when the waiters are found another way.</summary>
    AioTask? WaitingCoroutine => null;
}
