using Aio.Tests.Support;
using System.Text.RegularExpressions;

namespace Aio.Tests.Examples;

public sealed partial class QuickStartTests
{
    [Fact]
    public void ReadmeQuickStart_IsTheCompiledExample()
    {
        string root = Repository.Root;
        string readme = File.ReadAllText(Path.Combine(root, "README.md"));
        Match block = QuickStartBlock().Match(readme);
        Assert.True(block.Success, "README.md has no '// Program.cs' code block.");
        string example = File.ReadAllText(Path.Combine(root, "examples", "QuickStart", "Program.cs"));
        Assert.Equal(Normalize(block.Groups[1].Value), Normalize(example));
    }

    private static string Normalize(string text) => text.Replace("\r\n", "\n", StringComparison.Ordinal).Trim();


    [GeneratedRegex("```csharp\\n(// Program\\.cs\\n.*?)```", RegexOptions.Singleline)]
    private static partial Regex QuickStartBlock();
}
