using System.Diagnostics;
using System.Text;
using Aio.Subprocess;
using Aio.Tests.Support;
using Microsoft.Extensions.Logging;

namespace Aio.Tests.Subprocess;

/// <summary>Who reaps whom: our children next to System.Diagnostics.Process's, a status taken by someone
/// else, the SIGCHLD fallback for kernels without pidfds, and children still running when the loop
/// closes.</summary>
[Collection(DescriptorCountingCollection.Name)]
public sealed class ChildReapingTests
{
    [Fact]
    public void DotNetProcessRunningAlongside_EachSideGetsItsOwnExitStatuses()
    {
        LoopTest.WithinSeconds(60, () => LoopTest.Run(async loop =>
        {
            // .NET's SIGCHLD handling reaps its own children (by number) while ours exit around them.
            var theirs = new List<Task<int>>();
            var ours = new List<Coroutine<int>>();
            for (int i = 0; i < 10; i++)
            {
                theirs.Add(RunDotNetProcess($"exit {i + 20}"));
                ours.Add(RunOurs(i));
            }

            int[] ourCodes = await AsyncIO.Gather(ours);
            int[] theirCodes = await AsyncIO.WrapTask(Task.WhenAll(theirs));
            Assert.Equal(Enumerable.Range(0, 10), ourCodes);
            Assert.Equal(Enumerable.Range(20, 10), theirCodes);
        }));
        Assert.Empty(ChildProcesses.Current());

        static async Coroutine<int> RunOurs(int i)
        {
            AsyncProcess process = await AsyncIO.CreateSubprocessShellAsync($"sleep 0.0{i}; exit {i}");
            return await process.WaitAsync();
        }
    }

    [Fact]
    public void DotNetProcessStartedWhileOurPipesAreOpen_InheritsNoneOfThem()
    {
        LoopTest.WithinSeconds(20, () => LoopTest.Run(async loop =>
        {
            AsyncProcess cat = await AsyncIO.CreateSubprocessExecAsync("cat", null, stdin: ProcessStdio.Pipe, stdout: ProcessStdio.Pipe);
            using var sleeper = Process.Start(new ProcessStartInfo("sleep", "30") { UseShellExecute = false })!;
            try
            {
                // Had the sleeper inherited the write end of cat's stdin, cat would never see its end.
                cat.Stdin!.Write("last words"u8);
                cat.Stdin.Close();
                Assert.Equal("last words", Encoding.ASCII.GetString(await cat.Stdout!.ReadAsync()));
                Assert.Equal(0, await cat.WaitAsync());
            }
            finally
            {
                sleeper.Kill();
                await AsyncIO.WrapTask(sleeper.WaitForExitAsync());
            }
        }));
    }

    [Fact]
    public void ExitStatusReapedBySomeoneElse_IsRecoveredFromThePidfd_OrReportedAsUnknown()
    {
        var reports = new List<LoopExceptionContext>();
        LoopTest.WithinSeconds(20, () => LoopTest.Run(async loop =>
        {
            loop.SetExceptionHandler((_, context) => reports.Add(context));
            AsyncProcess process = await AsyncIO.CreateSubprocessShellAsync("exit 7");

            // What a SIGCHLD handler calling waitpid(-1) does (.NET's own, when it runs as pid 1): the
            // status is gone from under the loop, which then finds ECHILD.
            int raw = Native.WaitPid(process.Pid);
            Assert.Equal(7, (raw >> 8) & 0xFF);
            int returnCode = await process.WaitAsync();
            if (Environment.OSVersion.Version >= new Version(6, 15))
            {
                // The kernel kept the status for the pidfd's holder (PIDFD_GET_INFO).
                Assert.Equal(7, returnCode);
                Assert.Empty(reports);
            }
            else
            {
                Assert.Equal(255, returnCode);
                Assert.Equal(LogLevel.Warning, Assert.Single(reports).Level);
            }
        }, allowHandlerReports: true));
    }

    [Fact]
    public void WithoutPidfds_TheSigchldFallbackNoticesExits_AndTakesNoOtherChild()
    {
        ChildWatcher.PidfdDisabled = true;
        int before = Descriptors.Before();
        try
        {
            LoopTest.WithinSeconds(60, () => LoopTest.Run(async loop =>
            {
                AsyncProcess echo = await AsyncIO.CreateSubprocessExecAsync("echo", ["fallback"], stdout: ProcessStdio.Pipe);
                Assert.Equal("fallback\n", Encoding.ASCII.GetString(await echo.Stdout!.ReadAsync()));
                Assert.Equal(0, await echo.WaitAsync());

                AsyncProcess sleeper = await AsyncIO.CreateSubprocessExecAsync("sleep", ["30"]);
                Assert.Equal(1, loop.Children.PolledCount);
                sleeper.Kill();
                Assert.Equal(-9, await sleeper.WaitAsync());

                // Several at once, with .NET's children exiting in between.
                Task<int> theirs = RunDotNetProcess("exit 42");
                var ours = new List<Coroutine<int>>();
                for (int i = 0; i < 10; i++)
                {
                    ours.Add(Shell($"exit {i}"));
                }

                Assert.Equal(Enumerable.Range(0, 10), await AsyncIO.Gather(ours));
                Assert.Equal(42, await AsyncIO.WrapTask(theirs));
                Assert.Equal(0, loop.Children.Count);
            }));
        }
        finally
        {
            ChildWatcher.PidfdDisabled = false;
        }

        Descriptors.AssertBackTo(before);
        Assert.Empty(ChildProcesses.Current());

        static async Coroutine<int> Shell(string command) => await (await AsyncIO.CreateSubprocessShellAsync(command)).WaitAsync();
    }

    [Fact]
    public void LoopClosed_DebugModeProcessStillRunning_ReportedAsUnclosed_ThenKilledAndReaped()
    {
        var reports = new List<LoopExceptionContext>();
        int pid = 0;
        LoopTest.WithinSeconds(20, () =>
        {
            var loop = new EventLoop(new EventLoopOptions { Debug = true });
            loop.SetExceptionHandler((_, context) => reports.Add(context));
            AsyncProcess process = loop.RunUntilComplete(loop.CreateTask(
                AsyncIO.CreateSubprocessExecAsync("sleep", ["30"], stdin: ProcessStdio.Pipe, stdout: ProcessStdio.Pipe)));
            pid = process.Pid;
            loop.Close();

            // The loop killed it and handed the reaping to a pool thread, which finishes soon after.
            while (ChildProcesses.Exists(pid))
            {
                Thread.Sleep(10);
            }
        });

        LoopExceptionContext report = Assert.Single(reports);
        Assert.StartsWith($"Unclosed subprocess pid={pid} sleep running", report.Message, StringComparison.Ordinal);
        Assert.Equal(LogLevel.Warning, report.Level);
        Assert.Empty(ChildProcesses.Current());
    }

    [Fact]
    public void LoopClosed_ProcessFinishedInTime_NothingReported()
    {
        var reports = new List<LoopExceptionContext>();
        LoopTest.WithinSeconds(20, () =>
        {
            var loop = new EventLoop(new EventLoopOptions { Debug = true });
            loop.SetExceptionHandler((_, context) => reports.Add(context));
            loop.RunUntilComplete(loop.CreateTask(Run()));
            loop.Close();
        });
        Assert.Empty(reports);

        static async Coroutine Run()
        {
            AsyncProcess process = await AsyncIO.CreateSubprocessExecAsync("echo", ["done"], stdout: ProcessStdio.Pipe);
            await process.CommunicateAsync();
        }
    }

    private static async Task<int> RunDotNetProcess(string command)
    {
        using var process = Process.Start(new ProcessStartInfo("sh") { ArgumentList = { "-c", command }, UseShellExecute = false })!;
        await process.WaitForExitAsync();
        return process.ExitCode;
    }
}
