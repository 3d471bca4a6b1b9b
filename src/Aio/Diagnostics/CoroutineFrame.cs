namespace Aio.Diagnostics;

/// <summary>
/// One coroutine in a task's await chain, as a <see cref="TaskTreeSnapshot"/> shows it: the method and
/// the line it is suspended at.
/// </summary>
/// <remarks>Immutable; safe to read from any thread.</remarks>
public sealed class CoroutineFrame
{
    internal CoroutineFrame(string method, string? location)
    {
        Method = method;
        Location = location;
    }

    /// <summary>The method, as the user wrote it: <c>Crawler.Fetch()</c>, <c>Main.Tick()</c> for a local
    /// function.</summary>
    public string Method { get; }

    /// <summary>Where the coroutine stands, as <c>file:line</c> — the await it is suspended at, or its
    /// first line if it has not suspended yet; null when the assembly has no portable PDB.</summary>
    public string? Location { get; }

    /// <summary>The method, then the location if known.</summary>
    /// <returns>The text, such as <c>Crawler.Fetch() Crawler.cs:41</c>.</returns>
    public override string ToString() => Location is null ? Method : Method + " " + Location;
}
