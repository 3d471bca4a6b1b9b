using System.Collections.Concurrent;
using System.Text;

namespace Aio.Tests.Support;

/// <summary>
/// Writes into a named pipe from a thread of its own, when the test says: the slow producer that makes a
/// reader block. Opening blocks until a reader opens the other end, as it does for any FIFO.
/// </summary>
internal sealed class FifoWriter : IDisposable
{
    private readonly string _path;
    private readonly BlockingCollection<byte[]> _chunks = new();
    private readonly Thread _thread;

    /// <summary>Starts the thread; it opens the pipe after <paramref name="openAfter"/>.</summary>
    public FifoWriter(string path, TimeSpan openAfter = default)
    {
        _path = path;
        _thread = new Thread(() =>
        {
            try
            {
                Thread.Sleep(openAfter);
                using var stream = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite, bufferSize: 0);
                Opened.Set();
                foreach (byte[] chunk in _chunks.GetConsumingEnumerable())
                {
                    stream.Write(chunk);
                }
            }
            catch (IOException)
            {
                // The reader went away.
            }
            finally
            {
                Opened.Set();
                Finished.Set();
            }
        })
        { IsBackground = true, Name = "fifo-writer" };
        _thread.Start();
    }

    /// <summary>Set once the pipe is open for writing (or the writer gave up).</summary>
    public ManualResetEventSlim Opened { get; } = new();

    /// <summary>Set once the writer closed its end: the reader sees the end of the file.</summary>
    public ManualResetEventSlim Finished { get; } = new();

    public void Write(string text) => _chunks.Add(Encoding.UTF8.GetBytes(text));

    public void Write(byte[] bytes) => _chunks.Add(bytes);

    /// <summary>Closes the writing end once everything queued is written.</summary>
    public void Close() => _chunks.CompleteAdding();

    public void Dispose()
    {
        _chunks.CompleteAdding();
        if (!_thread.Join(TimeSpan.FromSeconds(1)))
        {
            // Still waiting for a reader to open the pipe: be that reader, so the thread can end.
            using (new FileStream(_path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, bufferSize: 0))
            {
                _thread.Join(TimeSpan.FromSeconds(5));
            }
        }

        _chunks.Dispose();
        Opened.Dispose();
        Finished.Dispose();
    }
}
