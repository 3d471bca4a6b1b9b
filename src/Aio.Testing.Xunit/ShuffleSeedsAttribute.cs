using System.Reflection;
using Xunit.Sdk;

namespace Aio.Testing.Xunit;

/// <summary>
/// Runs an xunit <c>[Theory]</c> once per shuffle seed, passing the seed as its one <see cref="int"/>
/// parameter; the test hands it to <see cref="VirtualTimeOptions.ShuffleSeed"/>. Each seed is a test case
/// of its own, so a failing seed shows in the test's name (<c>Method(seed: 3)</c>) and can be run alone.
/// </summary>
/// <remarks>
/// The seeds are <see cref="First"/>, <see cref="First"/> + 1, ... — the same on every run, so the suite
/// stays deterministic; move the window with <see cref="First"/> to try other orders. To keep a seed that
/// once failed, add it with <c>[InlineData(seed)]</c>.
/// </remarks>
/// <example>
/// <code>
/// [Theory, ShuffleSeeds(8)]
/// public void Gather_ConcurrentWorkers_SumIsExact(int seed) => VirtualTime.Run(async () =>
/// {
///     ...
/// }, new VirtualTimeOptions { ShuffleSeed = seed });
/// </code>
/// </example>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public sealed class ShuffleSeedsAttribute : DataAttribute
{
    /// <summary>Supplies <paramref name="count"/> seeds.</summary>
    /// <param name="count">How many seeds, hence test cases; at least one.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="count"/> is less than one.</exception>
    public ShuffleSeedsAttribute(int count)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        Count = count;
    }

    /// <summary>How many seeds are supplied.</summary>
    public int Count { get; }

    /// <summary>The first seed; 1 unless set.</summary>
    public int First { get; set; } = 1;

    /// <summary>The seeds, one row each.</summary>
    /// <param name="testMethod">The theory; it must take exactly one <see cref="int"/> parameter.</param>
    /// <returns>One row per seed.</returns>
    /// <exception cref="ArgumentException"><paramref name="testMethod"/> does not take one <see cref="int"/>.</exception>
    public override IEnumerable<object[]> GetData(MethodInfo testMethod)
    {
        ArgumentNullException.ThrowIfNull(testMethod);
        ParameterInfo[] parameters = testMethod.GetParameters();
        if (parameters.Length != 1 || parameters[0].ParameterType != typeof(int))
        {
            throw new ArgumentException(
                $"[ShuffleSeeds] needs a theory with one int parameter (the seed); {testMethod.Name} has ({string.Join(", ", parameters.Select(p => p.ParameterType.Name))}).",
                nameof(testMethod));
        }

        return Enumerable.Range(0, Count).Select(i => new object[] { unchecked(First + i) });
    }
}
