using System.ComponentModel;
using Aio.Tests.Support;

namespace Aio.Tests.Loop;

public sealed class ReactorErrorTests
{
    [Fact]
    public void AddReader_RegularFile_EpollRefusesIt_ReportsTheError()
    {
        string path = Path.GetTempFileName();
        try
        {
            using var file = File.OpenHandle(path, FileMode.Open, FileAccess.Read);
            int fd = (int)file.DangerousGetHandle();
            using var loop = new EventLoop();
            // asyncio: loop.add_reader(regular_file_fd, cb) raises PermissionError (EPERM from epoll_ctl).
            Assert.Throws<Win32Exception>(() => loop.AddReader(fd, () => { }));
            Assert.Equal(0, loop.WatchedDescriptorCount);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void AddReader_ClosedDescriptor_ReportsTheError()
    {
        var (r, w) = Native.CreatePipe();
        Native.Close(r);
        Native.Close(w);
        using var loop = new EventLoop();
        // asyncio: OSError(EBADF). Here the registration "succeeds" and the callback can never run.
        Assert.Throws<Win32Exception>(() => loop.AddReader(r, () => { }));
    }
}
