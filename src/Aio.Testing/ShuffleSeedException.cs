namespace Aio.Testing;

/// <summary>
/// Thrown by <see cref="VirtualTime.Run(Coroutine, VirtualTimeOptions?)"/> when the main coroutine failed on
/// a loop that shuffles ready callbacks (<see cref="VirtualTimeOptions.ShuffleSeed"/>): the message names the
/// seed, so that the failing order can be repeated, and <see cref="Exception.InnerException"/> is what the
/// main coroutine threw.
/// </summary>
public sealed class ShuffleSeedException : Exception
{
    /// <summary>Creates the exception for a failure under <paramref name="seed"/>.</summary>
    /// <param name="seed">The shuffle seed of the failed run.</param>
    /// <param name="innerException">What the run threw.</param>
    public ShuffleSeedException(int seed, Exception innerException)
        : base(Describe(seed, innerException), innerException)
    {
        Seed = seed;
    }

    /// <summary>The shuffle seed of the failed run.</summary>
    public int Seed { get; }

    private static string Describe(int seed, Exception? inner) =>
        $"Failed with shuffle seed {seed} (run with ShuffleSeed = {seed} to repeat the same order): "
        + (inner is null ? "no exception" : $"{inner.GetType().FullName}: {inner.Message}");
}
