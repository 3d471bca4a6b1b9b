namespace Aio.Tests.Support;

/// <summary>A fresh directory under the system's temporary directory, deleted with everything in it when
/// disposed. Tests run in parallel, so each gets its own, and descriptors can be told apart by it.</summary>
internal sealed class TempDirectory : IDisposable
{
    public TempDirectory()
    {
        Path = Directory.CreateTempSubdirectory("aio-files-").FullName;
    }

    public string Path { get; }

    /// <summary>A path inside the directory.</summary>
    public string File(string name) => System.IO.Path.Combine(Path, name);

    /// <summary>A named pipe inside the directory.</summary>
    public string Fifo(string name)
    {
        string path = File(name);
        Native.MakeFifo(path);
        return path;
    }

    /// <summary>How many of this process's descriptors are open on something inside the directory.
    /// Other tests' descriptors, opened and closed in parallel, never count.</summary>
    public int OpenDescriptors()
    {
        int count = 0;
        foreach (string fd in Directory.EnumerateFileSystemEntries("/proc/self/fd"))
        {
            try
            {
                if (new FileInfo(fd).LinkTarget is { } target && target.StartsWith(Path + "/", StringComparison.Ordinal))
                {
                    count++;
                }
            }
            catch (IOException)
            {
                // Closed while listed.
            }
        }

        return count;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // Best effort; the system cleans its temporary directory.
        }
    }
}
