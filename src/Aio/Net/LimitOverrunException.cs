namespace Aio.Net;

/// <summary>A read up to a separator found none within the reader's limit; asyncio's
/// <c>asyncio.LimitOverrunError</c>. The bytes stay in the reader.</summary>
public sealed class LimitOverrunException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What happened.</param>
    /// <param name="consumed">How many bytes could be consumed to get past the problem.</param>
    public LimitOverrunException(string message, int consumed)
        : base(message)
    {
        Consumed = consumed;
    }

    /// <summary>How many bytes to consume (for example with a read of that size) to get past it.</summary>
    public int Consumed { get; }
}
