using System.Runtime.CompilerServices;

namespace Aio.Tests.Diagnostics;

/// <summary>Finds the line of a marker comment in a test's own source file, so that assertions about
/// reported <c>file:line</c> locations do not break when lines above move.</summary>
internal static class SourceLines
{
    /// <summary>The 1-based line of the only line of the calling file that ends with <paramref name="marker"/>.</summary>
    public static int Of(string marker, [CallerFilePath] string file = "")
    {
        string[] lines = File.ReadAllLines(file);
        int[] found = Enumerable.Range(0, lines.Length).Where(i => lines[i].TrimEnd().EndsWith(marker, StringComparison.Ordinal)).ToArray();
        Assert.True(found.Length == 1, $"'{marker}' is on {found.Length} lines of {file}, not exactly one.");
        return found[0] + 1;
    }
}
