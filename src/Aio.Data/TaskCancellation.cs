namespace Aio.Data;

/// <summary>The running task's cancellation, as the token handed to a driver.</summary>
internal static class TaskCancellation
{
    /// <summary>The running task's token, or none when it is already cancelled: a cancellation that was
    /// requested before the call belongs to one already delivered (the call is clean-up after it, say),
    /// and asyncio lets such calls run.</summary>
    internal static CancellationToken ForNextCall
    {
        get
        {
            CancellationToken token = AsyncIO.CancellationToken;
            return token.IsCancellationRequested ? default : token;
        }
    }
}
