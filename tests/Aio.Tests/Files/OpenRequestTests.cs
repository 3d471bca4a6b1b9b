using Aio.Files;

namespace Aio.Tests.Files;

/// <summary>Python's mode strings, as <c>open()</c> reads them, in .NET's terms.</summary>
public sealed class OpenRequestTests
{
    [Theory]
    [InlineData("r", FileMode.Open, FileAccess.Read, false, false)]
    [InlineData("rt", FileMode.Open, FileAccess.Read, false, false)]
    [InlineData("rb", FileMode.Open, FileAccess.Read, false, true)]
    [InlineData("br", FileMode.Open, FileAccess.Read, false, true)]
    [InlineData("r+", FileMode.Open, FileAccess.ReadWrite, false, false)]
    [InlineData("w", FileMode.Create, FileAccess.Write, false, false)]
    [InlineData("w+b", FileMode.Create, FileAccess.ReadWrite, false, true)]
    [InlineData("x", FileMode.CreateNew, FileAccess.Write, false, false)]
    [InlineData("xb+", FileMode.CreateNew, FileAccess.ReadWrite, false, true)]
    [InlineData("a", FileMode.OpenOrCreate, FileAccess.Write, true, false)]
    [InlineData("a+", FileMode.OpenOrCreate, FileAccess.ReadWrite, true, false)]
    [InlineData("ab", FileMode.OpenOrCreate, FileAccess.Write, true, true)]
    public void FromPythonMode_EveryMode_AsPythonOpensIt(string mode, FileMode fileMode, FileAccess access, bool append, bool binary)
    {
        OpenRequest request = OpenRequest.FromPythonMode("/f", mode, encoding: null);
        Assert.Equal((fileMode, access, append, binary), (request.Mode, request.Access, request.Append, request.Codec is null));
        Assert.Equal(FileShare.ReadWrite | FileShare.Delete, request.Share);
        Assert.Equal(mode, request.Display);
    }

    [Fact]
    public void FromFileMode_Append_OpensOrCreatesAndAppends()
    {
        OpenRequest request = OpenRequest.FromFileMode("/f", FileMode.Append, FileAccess.Write, FileShare.Read, encoding: null);
        Assert.Equal((FileMode.OpenOrCreate, true), (request.Mode, request.Append));
        Assert.NotNull(request.Codec);
    }
}
