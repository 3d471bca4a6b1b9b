using System.ComponentModel;

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
    public void AddReader_DescriptorNotOpen_ReportsTheError()
    {
        // A number no descriptor can have: the kernel caps descriptor numbers far below it. The closed end
        // of a pipe would not do, since a test running alongside may open a descriptor with that number
        // in between.
        const int notOpen = int.MaxValue;
        using var loop = new EventLoop();
        // asyncio: OSError(EBADF). Nothing is registered.
        var error = Assert.Throws<Win32Exception>(() => loop.AddReader(notOpen, () => { }));
        Assert.Equal(9, error.NativeErrorCode); // EBADF
        Assert.Equal(0, loop.WatchedDescriptorCount);
    }
}
