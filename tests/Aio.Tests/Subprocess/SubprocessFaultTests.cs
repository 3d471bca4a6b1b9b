using System.Text;
using Aio.Subprocess;
using Aio.Tests.Support;

namespace Aio.Tests.Subprocess;

/// <summary>Subprocesses going wrong: a program that does not exist, a child that dies or closes its
/// pipes while we use them, and cancellation of waits and of communicate.</summary>
[Collection(DescriptorCountingCollection.Name)]
public sealed class SubprocessFaultTests
{
    [Fact]
    public void Exec_ProgramNotFound_ThrowsFileNotFound_LeakingNoDescriptorAndNoProcess()
    {
        int before = Descriptors.Before();
        LoopTest.WithinSeconds(20, () => LoopTest.Run(async loop =>
        {
            // A name searched on the PATH, and a path that posix_spawn itself fails to execute (after the
            // pipes were made, which must then be closed).
            FileNotFoundException byName = await AioAssert.ThrowsAsync<FileNotFoundException, AsyncProcess>(() =>
                AsyncIO.CreateSubprocessExecAsync("aio-no-such-program", null, ProcessStdio.Pipe, ProcessStdio.Pipe, ProcessStdio.Pipe));
            Assert.Contains("aio-no-such-program", byName.Message, StringComparison.Ordinal);

            FileNotFoundException byPath = await AioAssert.ThrowsAsync<FileNotFoundException, AsyncProcess>(() =>
                AsyncIO.CreateSubprocessExecAsync("/nonexistent/program", null, ProcessStdio.Pipe, ProcessStdio.Pipe, ProcessStdio.Pipe));
            Assert.Contains("/nonexistent/program", byPath.Message, StringComparison.Ordinal);

            await AioAssert.ThrowsAsync<DirectoryNotFoundException, AsyncProcess>(() =>
                AsyncIO.CreateSubprocessExecAsync("true", null, ProcessStdio.Pipe, cwd: "/nonexistent/directory"));
            Assert.Equal(0, loop.Children.Count);
        }));
        Descriptors.AssertBackTo(before);
        Assert.Empty(ChildProcesses.Current());
    }

    [Fact]
    public void Exec_FileNotExecutable_ThrowsUnauthorizedAccess_LeakingNothing()
    {
        string file = Path.GetTempFileName();
        int before = Descriptors.Before();
        try
        {
            LoopTest.WithinSeconds(20, () => LoopTest.Run(async loop =>
            {
                await AioAssert.ThrowsAsync<UnauthorizedAccessException, AsyncProcess>(() =>
                    AsyncIO.CreateSubprocessExecAsync(file, null, ProcessStdio.Pipe, ProcessStdio.Pipe, ProcessStdio.Pipe));
            }));
        }
        finally
        {
            File.Delete(file);
        }

        Descriptors.AssertBackTo(before);
        Assert.Empty(ChildProcesses.Current());
    }

    [Fact]
    public void Shell_CommandNotFound_IsTheShellsExitCode()
    {
        LoopTest.WithinSeconds(20, () => LoopTest.Run(async loop =>
        {
            AsyncProcess process = await AsyncIO.CreateSubprocessShellAsync("aio-no-such-program", stderr: ProcessStdio.DevNull);
            Assert.Equal(127, await process.WaitAsync());
        }));
    }

    [Fact]
    public void Stdin_ChildExitsWhileWeWrite_DrainFailsWithBrokenPipe_AndThisProcessLivesOn()
    {
        int before = Descriptors.Before();
        LoopTest.WithinSeconds(30, () => LoopTest.Run(async loop =>
        {
            // The child reads 10 bytes and exits; we write on, far more than a pipe holds.
            AsyncProcess process = await AsyncIO.CreateSubprocessExecAsync("head", ["-c", "10"], stdin: ProcessStdio.Pipe, stdout: ProcessStdio.Pipe);
            byte[] chunk = new byte[64 * 1024];
            IOException error = await AioAssert.ThrowsAsync<IOException>(async () =>
            {
                for (int i = 0; i < 10_000; i++)
                {
                    process.Stdin!.Write(chunk);
                    await process.Stdin.DrainAsync();
                }
            });
            Assert.Equal(32, error.HResult); // EPIPE

            // Writing on is harmless: the pipe swallows it, and draining keeps saying why.
            process.Stdin!.Write(chunk);
            await AioAssert.ThrowsAsync<IOException>(async () => await process.Stdin.DrainAsync());
            Assert.True(process.Stdin.IsClosing);
            Assert.Equal(10, (await process.Stdout!.ReadAsync()).Length);
            Assert.Equal(0, await process.WaitAsync());
        }));
        Descriptors.AssertBackTo(before);
    }

    [Fact]
    public void Communicate_InputForAChildThatExitsAtOnce_IgnoresTheBrokenPipe()
    {
        LoopTest.WithinSeconds(30, () => LoopTest.Run(async loop =>
        {
            AsyncProcess process = await AsyncIO.CreateSubprocessExecAsync("true", null, stdin: ProcessStdio.Pipe, stdout: ProcessStdio.Pipe);
            var (stdout, stderr) = await process.CommunicateAsync(new byte[4_000_000]);
            Assert.Empty(stdout!);
            Assert.Null(stderr);
            Assert.Equal(0, process.ReturnCode);
        }));
    }

    [Fact]
    public void Stdout_ChildClosesItEarly_TheReaderEndsWhileTheChildRunsOn()
    {
        LoopTest.WithinSeconds(20, () => LoopTest.Run(async loop =>
        {
            AsyncProcess process = await AsyncIO.CreateSubprocessShellAsync("echo early; exec 1>&-; read line; exit 3",
                stdin: ProcessStdio.Pipe, stdout: ProcessStdio.Pipe);
            Assert.Equal("early\n", Text(await process.Stdout!.ReadAsync()));
            Assert.True(process.Stdout.AtEof);

            // The child still waits for its line: the end of its output is not its exit.
            Assert.Null(process.ReturnCode);
            process.Stdin!.Write("go\n"u8);
            Assert.Equal(3, await process.WaitAsync());
        }));
    }

    [Fact]
    public void WaitAsync_Cancelled_TheProcessRunsOn_AndCanStillBeKilledAndWaitedFor()
    {
        LoopTest.WithinSeconds(20, () => LoopTest.Run(async loop =>
        {
            AsyncProcess process = await AsyncIO.CreateSubprocessExecAsync("sleep", ["30"], stdout: ProcessStdio.Pipe);
            Assert.Equal(0, loop.Children.PolledCount); // watched through its pidfd
            await AioAssert.ThrowsAsync<TimeoutException>(async () => await AsyncIO.WaitFor(process.WaitAsync(), 0.1));
            Assert.Null(process.ReturnCode);
            Assert.True(ChildProcesses.Exists(process.Pid));

            process.Kill();
            Assert.Equal(-9, await process.WaitAsync());
            Assert.False(ChildProcesses.Exists(process.Pid));
        }));
    }

    [Fact]
    public void CommunicateAsync_Cancelled_TheProcessRunsOn_AndNoOutputIsLost()
    {
        int before = Descriptors.Before();
        LoopTest.WithinSeconds(20, () => LoopTest.Run(async loop =>
        {
            // exec: the shell becomes sleep, so killing it leaves no grandchild holding the pipes.
            AsyncProcess process = await AsyncIO.CreateSubprocessShellAsync("echo partial; echo more >&2; exec sleep 30",
                stdin: ProcessStdio.Pipe, stdout: ProcessStdio.Pipe, stderr: ProcessStdio.Pipe);
            await AioAssert.ThrowsAsync<TimeoutException>(async () => await AsyncIO.WaitFor(process.CommunicateAsync("input"u8.ToArray()), 0.2));
            Assert.Null(process.ReturnCode);
            Assert.True(ChildProcesses.Exists(process.Pid));

            // The cancelled reads to the end took nothing: what came is still there.
            Assert.Equal("partial\n", Text(await process.Stdout!.ReadLineAsync()));
            Assert.Equal("more\n", Text(await process.Stderr!.ReadLineAsync()));

            process.Terminate();
            Assert.Equal(-15, await process.WaitAsync());
        }));
        Descriptors.AssertBackTo(before);
        Assert.Empty(ChildProcesses.Current());
    }

    [Fact]
    public void Create_CancelledBeforeItReturns_KillsAndReapsTheChild()
    {
        LoopTest.WithinSeconds(20, () => LoopTest.Run(async loop =>
        {
            AioTask<AsyncProcess> creating = AsyncIO.CreateTask(
                AsyncIO.CreateSubprocessExecAsync("sleep", ["30"], stdin: ProcessStdio.Pipe, stdout: ProcessStdio.Pipe));

            // One turn: the task spawns the child and waits for the pipes to connect; cancel it there.
            await AsyncIO.Sleep(0);
            Assert.Equal(1, loop.Children.Count);
            creating.Cancel();
            await AioAssert.ThrowsAsync<CancelledException>(creating);
            Assert.Equal(0, loop.Children.Count);
        }));
        Assert.Empty(ChildProcesses.Current());
    }

    private static string Text(byte[] bytes) => Encoding.UTF8.GetString(bytes);
}
