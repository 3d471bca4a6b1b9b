namespace Aio;

/// <summary>One item of work handed to an <see cref="IExecutor"/>.</summary>
public interface IExecutorWork
{
    /// <summary>Runs the work on the calling (worker) thread. Never throws: the outcome goes back to the loop.</summary>
    void Run();

    /// <summary>Tells the work it will never run (the executor was shut down with pending work dropped);
    /// the future waiting for it is cancelled. Callable from any thread.</summary>
    void Abandon();
}
