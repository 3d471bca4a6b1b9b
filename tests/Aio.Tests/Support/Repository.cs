namespace Aio.Tests.Support;

/// <summary>Where the repository is, found from the test assembly's folder upwards.</summary>
public static class Repository
{
    /// <summary>The folder that holds Aio.sln.</summary>
    public static string Root { get; } = Find();

    private static string Find()
    {
        string? directory = AppContext.BaseDirectory;
        while (directory is not null && !File.Exists(Path.Combine(directory, "Aio.sln")))
        {
            directory = Path.GetDirectoryName(directory);
        }

        return directory ?? throw new InvalidOperationException("Cannot find the repository root (Aio.sln) above " + AppContext.BaseDirectory);
    }
}
