using System.Text;
using Aio.Files;

namespace Aio;

public static partial class AsyncIO
{
    /// <summary>
    /// Opens a file with a Python mode string; <c>aiofiles.open(path, mode)</c>, the
    /// <c>asyncio.open</c> the tutorials imagine. Opening, like every later system call on the file, runs
    /// on an executor thread: opening a FIFO or a file on a slow network share never blocks the loop.
    /// </summary>
    /// <param name="path">The file.</param>
    /// <param name="mode">One of <c>r</c> (read; the default), <c>w</c> (create or truncate, write),
    /// <c>x</c> (create, failing if it exists, write) or <c>a</c> (open or create, append), then optionally
    /// <c>+</c> (read and write) and <c>b</c> (binary: bytes only) or <c>t</c> (text, the default).</param>
    /// <param name="encoding">The encoding of the text methods in a text mode; UTF-8 when null. Must be null
    /// in a binary mode.</param>
    /// <param name="bufferSize">The size of the file's read and write buffers, at least 64 bytes. A larger
    /// buffer means fewer trips to a worker thread for large reads and writes.</param>
    /// <param name="executor">Where the file's blocking calls run; the loop's default executor (the .NET
    /// thread pool) when null. Give files that may block for long (FIFOs, devices) an executor of their own
    /// so they cannot tie up the shared pool.</param>
    /// <returns>A coroutine of the open file; close it with <c>await using</c>.</returns>
    /// <exception cref="ArgumentException">The mode is not a Python mode, an encoding was given for a binary
    /// mode, the encoding cannot be read by lines, or the path is empty.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="bufferSize"/> is below 64.</exception>
    /// <exception cref="FileNotFoundException">Awaited: <c>r</c> or <c>r+</c>, and the file does not exist.</exception>
    /// <exception cref="DirectoryNotFoundException">Awaited: a directory of the path does not exist.</exception>
    /// <exception cref="UnauthorizedAccessException">Awaited: permission denied, or the path is a directory.</exception>
    /// <exception cref="IOException">Awaited: <c>x</c>, and the file exists; or another system error.</exception>
    /// <remarks>Arguments are checked at the call; the file is opened when the coroutine is awaited. A
    /// cancellation point: if the awaiting task is cancelled, the file is closed as soon as its open
    /// finishes. Loop thread only. Python's <c>'a'</c> makes every write atomic at the end of the file
    /// (<c>O_APPEND</c>); here each write goes to the end as it is made, which another process appending at
    /// the same moment can interleave with.</remarks>
    public static Coroutine<AsyncFile> OpenFile(string path, string mode = "r", Encoding? encoding = null, int bufferSize = AsyncFile.DefaultBufferSize, IExecutor? executor = null)
    {
        OpenRequest request = OpenRequest.FromPythonMode(path, mode, encoding);
        ArgumentOutOfRangeException.ThrowIfLessThan(bufferSize, AsyncFile.MinimumBufferSize);
        return AsyncFile.OpenAsync(request, bufferSize, executor);
    }

    /// <summary>
    /// Opens a file with .NET's <see cref="FileMode"/>, <see cref="FileAccess"/> and <see cref="FileShare"/>,
    /// as <see cref="FileStream"/>'s constructor takes them; see
    /// <see cref="OpenFile(string, string, Encoding?, int, IExecutor?)"/>. Both the text and the byte
    /// methods work on the file.
    /// </summary>
    /// <param name="path">The file.</param>
    /// <param name="mode">How to open or create it. <see cref="FileMode.Append"/> opens or creates it and
    /// makes every write go to its end.</param>
    /// <param name="access">Read, write, or both.</param>
    /// <param name="share">What other openers may do meanwhile (on Linux, an advisory lock).</param>
    /// <param name="encoding">The encoding of the text methods; UTF-8 when null.</param>
    /// <param name="bufferSize">The size of the file's read and write buffers, at least 64 bytes.</param>
    /// <param name="executor">Where the file's blocking calls run; the loop's default executor when null.</param>
    /// <returns>A coroutine of the open file; close it with <c>await using</c>.</returns>
    /// <exception cref="ArgumentException">A combination <see cref="FileStream"/> refuses, such as
    /// <see cref="FileMode.Append"/> with read access; the encoding cannot be read by lines; the path is empty.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An enum value is out of range, or
    /// <paramref name="bufferSize"/> is below 64.</exception>
    /// <remarks>As the other overload: checked at the call, opened when awaited, a cancellation point,
    /// loop thread only. The open fails with the exceptions <see cref="FileStream"/>'s constructor throws.</remarks>
    public static Coroutine<AsyncFile> OpenFile(string path, FileMode mode, FileAccess access, FileShare share = FileShare.Read, Encoding? encoding = null, int bufferSize = AsyncFile.DefaultBufferSize, IExecutor? executor = null)
    {
        OpenRequest request = OpenRequest.FromFileMode(path, mode, access, share, encoding);
        ArgumentOutOfRangeException.ThrowIfLessThan(bufferSize, AsyncFile.MinimumBufferSize);
        return AsyncFile.OpenAsync(request, bufferSize, executor);
    }

    /// <summary>Reads a whole file as text in one trip to the default executor (open, read, decode,
    /// close); <see cref="File.ReadAllTextAsync(string, Encoding, CancellationToken)"/> off the loop.</summary>
    /// <param name="path">The file.</param>
    /// <param name="encoding">UTF-8 when null. A byte-order mark of this encoding at the start is skipped.</param>
    /// <returns>A coroutine of the text.</returns>
    /// <exception cref="ArgumentException">The path is empty.</exception>
    /// <exception cref="FileNotFoundException">Awaited: the file does not exist.</exception>
    /// <remarks>A cancellation point: if cancelled, the read finishes on its thread (the file is closed)
    /// and the text is dropped. Loop thread only.</remarks>
    public static Coroutine<string> ReadAllTextAsync(string path, Encoding? encoding = null)
    {
        TextCodec codec = OpenRequest.FromPythonMode(path, "r", encoding).Codec!;
        return InExecutor(() =>
        {
            byte[] bytes = File.ReadAllBytes(path);
            return codec.Decode(bytes.AsSpan(codec.PreambleLength(bytes, atEnd: true)));
        });
    }

    /// <summary>Reads a whole file as bytes in one trip to the default executor;
    /// <see cref="File.ReadAllBytesAsync(string, CancellationToken)"/> off the loop.</summary>
    /// <param name="path">The file.</param>
    /// <returns>A coroutine of the bytes.</returns>
    /// <exception cref="ArgumentException">The path is empty.</exception>
    /// <exception cref="FileNotFoundException">Awaited: the file does not exist.</exception>
    /// <remarks>A cancellation point: if cancelled, the read finishes on its thread and the bytes are
    /// dropped. Loop thread only.</remarks>
    public static Coroutine<byte[]> ReadAllBytesAsync(string path)
    {
        OpenRequest.ValidatePath(path);
        return InExecutor(() => File.ReadAllBytes(path));
    }

    /// <summary>Creates or truncates a file and writes text to it, in one trip to the default executor;
    /// <see cref="File.WriteAllTextAsync(string, string, Encoding, CancellationToken)"/> off the loop.</summary>
    /// <param name="path">The file.</param>
    /// <param name="contents">The text.</param>
    /// <param name="encoding">UTF-8 when null. No byte-order mark is written.</param>
    /// <returns>A coroutine.</returns>
    /// <exception cref="ArgumentException">The path is empty.</exception>
    /// <remarks>A cancellation point: if cancelled once started, the write still finishes, whole, on its
    /// thread. Encoding happens there too. Loop thread only.</remarks>
    public static Coroutine WriteAllTextAsync(string path, string contents, Encoding? encoding = null)
    {
        ArgumentNullException.ThrowIfNull(contents);
        Encoding chosen = OpenRequest.FromPythonMode(path, "w", encoding).Codec!.Encoding;
        return InExecutor(() =>
        {
            File.WriteAllBytes(path, chosen.GetBytes(contents));
            return true;
        });
    }

    /// <summary>Creates or truncates a file and writes bytes to it; the bytes go through an
    /// <see cref="AsyncFile"/> buffer (open, write, close: a trip each, plus one per MiB).</summary>
    /// <param name="path">The file.</param>
    /// <param name="bytes">The bytes; copied on the loop, a MiB at a time, so the memory is never read
    /// once the await has ended, even by cancellation.</param>
    /// <returns>A coroutine.</returns>
    /// <exception cref="ArgumentException">The path is empty.</exception>
    /// <remarks>A cancellation point: if cancelled, a prefix of the bytes was written, and the file is
    /// closed. Loop thread only.</remarks>
    public static Coroutine WriteAllBytesAsync(string path, ReadOnlyMemory<byte> bytes)
    {
        OpenRequest request = OpenRequest.FromPythonMode(path, "wb", null);
        return WriteAllBytesCore(request, bytes);
    }

    private static async Coroutine WriteAllBytesCore(OpenRequest request, ReadOnlyMemory<byte> bytes)
    {
        int bufferSize = Math.Clamp(bytes.Length, AsyncFile.MinimumBufferSize, 1024 * 1024);
        AsyncFile file = await AsyncFile.OpenAsync(request, bufferSize, executor: null);
        await using (file)
        {
            await file.WriteAsync(bytes);
        }
    }

    /// <summary>One blocking call on the default executor, awaited as a coroutine.</summary>
    private static async Coroutine<T> InExecutor<T>(Func<T> call) => await GetRunningLoop().Submit(null, call, null, null);
}
