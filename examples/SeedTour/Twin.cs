namespace SeedTour;

/// <summary>One C# twin of a Python snippet from the seed tutorials.</summary>
/// <param name="Name">The name given on the command line: the seed's number, then what the snippet shows.</param>
/// <param name="Description">One line for <c>--list</c>.</param>
/// <param name="Run">Runs the twin to its end, printing what the Python original prints.</param>
internal sealed record Twin(string Name, string Description, Action Run);
