namespace Aio.Tests.Support;

/// <summary>
/// Tests that turn on process-wide instruments (a <see cref="System.Diagnostics.Metrics.MeterListener"/>
/// makes every loop time its callbacks) or that measure allocations (which such timing would disturb):
/// they run alone, never beside each other or the rest of the suite.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ProcessWideInstrumentsCollection
{
    public const string Name = "Process-wide instruments";
}
