using System.Globalization;
using System.Text;
using Aio.Net;
using Aio.Subprocess;
using Aio.Tests.Support;

namespace Aio.Tests.Subprocess;

/// <summary>asyncio's create_subprocess_exec / create_subprocess_shell on Aio: pipes as streams, DEVNULL,
/// STDOUT, communicate, signals, and what the child inherits. Every test checks that no descriptor and no
/// child process (running or zombie) is left behind.</summary>
[Collection(DescriptorCountingCollection.Name)]
public sealed class SubprocessTests
{
    [Fact]
    public void Exec_EchoWithStdoutPipe_ReadsTheOutput_ReturnsZero_AndLeavesNothing()
    {
        int before = Descriptors.Before();
        int pid = 0;
        LoopTest.WithinSeconds(20, () => LoopTest.Run(async loop =>
        {
            AsyncProcess process = await AsyncIO.CreateSubprocessExecAsync("echo", ["hello", "world"], stdout: ProcessStdio.Pipe);
            pid = process.Pid;
            Assert.Null(process.Stdin);
            Assert.Null(process.Stderr);
            Assert.NotNull(process.Stdout);
            Assert.Equal("hello world\n", Text(await process.Stdout.ReadAsync()));
            Assert.Equal(0, await process.WaitAsync());
            Assert.Equal(0, process.ReturnCode);
        }));
        Descriptors.AssertBackTo(before);
        Assert.False(ChildProcesses.Exists(pid), "the child was not reaped");
        Assert.Empty(ChildProcesses.Current());
    }

    [Fact]
    public void Shell_ExitCode_IsTheReturnCode()
    {
        LoopTest.WithinSeconds(20, () => LoopTest.Run(async loop =>
        {
            AsyncProcess process = await AsyncIO.CreateSubprocessShellAsync("exit 7");
            Assert.Equal(7, await process.WaitAsync());
            Assert.Equal(7, process.ReturnCode);
            Assert.False(ChildProcesses.Exists(process.Pid));
        }));
    }

    [Fact]
    public void Shell_StderrToStdout_BothStreamsArriveInOneReader()
    {
        LoopTest.WithinSeconds(20, () => LoopTest.Run(async loop =>
        {
            AsyncProcess process = await AsyncIO.CreateSubprocessShellAsync("echo out; echo err >&2; echo out2",
                stdout: ProcessStdio.Pipe, stderr: ProcessStdio.Stdout);
            Assert.Null(process.Stderr);
            var (stdout, stderr) = await process.CommunicateAsync();
            Assert.Equal("out\nerr\nout2\n", Text(stdout!));
            Assert.Null(stderr);
            Assert.Equal(0, process.ReturnCode);
        }));
    }

    [Fact]
    public void Communicate_CatWithALargeInput_EchoesItAll_AndSeparatesStderr()
    {
        byte[] input = new byte[3_000_000];
        new Random(11).NextBytes(input);
        int before = Descriptors.Before();
        LoopTest.WithinSeconds(30, () => LoopTest.Run(async loop =>
        {
            AsyncProcess process = await AsyncIO.CreateSubprocessShellAsync("cat; echo done >&2",
                stdin: ProcessStdio.Pipe, stdout: ProcessStdio.Pipe, stderr: ProcessStdio.Pipe);
            var (stdout, stderr) = await process.CommunicateAsync(input);
            Assert.Equal(input, stdout);
            Assert.Equal("done\n", Text(stderr!));
            Assert.Equal(0, process.ReturnCode);
        }));
        Descriptors.AssertBackTo(before);
    }

    [Fact]
    public void Communicate_ChildFloodsStderrBeforeReadingStdin_NoPipeDeadlock()
    {
        // A child that writes 4 MB to stderr before it reads its input, then echoes 4 MB of input to stdout:
        // writing the input first, or reading one stream after the other, would deadlock on a full pipe.
        byte[] input = new byte[4_000_000];
        new Random(3).NextBytes(input);
        LoopTest.WithinSeconds(60, () => LoopTest.Run(async loop =>
        {
            AsyncProcess process = await AsyncIO.CreateSubprocessShellAsync("head -c 4000000 /dev/zero >&2; cat; head -c 1000000 /dev/zero >&2",
                stdin: ProcessStdio.Pipe, stdout: ProcessStdio.Pipe, stderr: ProcessStdio.Pipe, limit: 4096);
            var (stdout, stderr) = await process.CommunicateAsync(input);
            Assert.Equal(input, stdout);
            Assert.Equal(5_000_000, stderr!.Length);
            Assert.DoesNotContain(stderr, b => b != 0);
            Assert.Equal(0, process.ReturnCode);
        }));
    }

    [Fact]
    public void Streams_StdinWriterAndStdoutReader_TalkLineByLine()
    {
        LoopTest.WithinSeconds(20, () => LoopTest.Run(async loop =>
        {
            // The shell answers each line as it comes: the pipes really are streams, not buffers at exit.
            AsyncProcess process = await AsyncIO.CreateSubprocessShellAsync("while read line; do echo \"got $line\"; done",
                stdin: ProcessStdio.Pipe, stdout: ProcessStdio.Pipe);
            for (int i = 0; i < 3; i++)
            {
                process.Stdin!.Write(Encoding.ASCII.GetBytes($"line {i}\n"));
                await process.Stdin.DrainAsync();
                Assert.Equal($"got line {i}\n", Text(await process.Stdout!.ReadLineAsync()));
            }

            Assert.Null(process.ReturnCode);
            process.Stdin!.Close();
            Assert.Empty(await process.Stdout!.ReadAsync());
            Assert.Equal(0, await process.WaitAsync());
        }));
    }

    [Fact]
    public void DevNull_ChildReadsNothing_AndItsOutputIsDropped()
    {
        LoopTest.WithinSeconds(20, () => LoopTest.Run(async loop =>
        {
            AsyncProcess process = await AsyncIO.CreateSubprocessShellAsync("cat; echo to-null; echo done >&2",
                stdin: ProcessStdio.DevNull, stdout: ProcessStdio.DevNull, stderr: ProcessStdio.Pipe);
            Assert.Null(process.Stdin);
            Assert.Null(process.Stdout);
            var (stdout, stderr) = await process.CommunicateAsync();
            Assert.Null(stdout);
            Assert.Equal("done\n", Text(stderr!));
        }));
    }

    [Fact]
    public void Exec_CwdAndEnv_AreTheChildsOwn_AndTheProgramIsFoundOnTheGivenPath()
    {
        string directory = Directory.CreateTempSubdirectory("aio-cwd").FullName;
        try
        {
            LoopTest.WithinSeconds(20, () => LoopTest.Run(async loop =>
            {
                var env = new Dictionary<string, string> { ["PATH"] = "/usr/bin:/bin", ["AIO_CHILD_VAR"] = "x y" };
                AsyncProcess process = await AsyncIO.CreateSubprocessExecAsync("sh", ["-c", "pwd; echo \"$AIO_CHILD_VAR\"; echo \"${HOME-unset}\""],
                    stdout: ProcessStdio.Pipe, cwd: directory, env: env);
                var (stdout, _) = await process.CommunicateAsync();
                Assert.Equal($"{directory}\nx y\nunset\n", Text(stdout!));
            }));
        }
        finally
        {
            Directory.Delete(directory);
        }
    }

    [Fact]
    public void Exec_DefaultEnvironment_IsWhatDotNetSees()
    {
        // Environment.SetEnvironmentVariable changes .NET's copy only, not the C library's: the child
        // must get .NET's view, as System.Diagnostics.Process gives it.
        string name = "AIO_SUBPROCESS_TEST_" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
        Environment.SetEnvironmentVariable(name, "from .NET");
        try
        {
            LoopTest.WithinSeconds(20, () => LoopTest.Run(async loop =>
            {
                AsyncProcess process = await AsyncIO.CreateSubprocessShellAsync($"echo \"${name}\"", stdout: ProcessStdio.Pipe);
                var (stdout, _) = await process.CommunicateAsync();
                Assert.Equal("from .NET\n", Text(stdout!));
            }));
        }
        finally
        {
            Environment.SetEnvironmentVariable(name, null);
        }
    }

    [Fact]
    public void Child_InheritsOnlyItsThreeStandardDescriptors()
    {
        LoopTest.WithinSeconds(20, () => LoopTest.Run(async loop =>
        {
            // The test process has many descriptors open (the loop's epoll and eventfd among them); the
            // child sees 0, 1, 2 and the one ls opens to list the directory.
            AsyncProcess process = await AsyncIO.CreateSubprocessExecAsync("ls", ["/proc/self/fd"],
                stdin: ProcessStdio.Pipe, stdout: ProcessStdio.Pipe, stderr: ProcessStdio.Pipe);
            var (stdout, _) = await process.CommunicateAsync();
            Assert.Equal("0\n1\n2\n3\n", Text(stdout!));
        }));
    }

    [Fact]
    public void Child_SigpipeHasItsDefaultAction_AndNoSignalIsBlocked()
    {
        // The runtime ignores SIGPIPE (so a write to a closed pipe fails instead of killing us) ...
        Assert.True((SignalMask("SigIgn", File.ReadAllText("/proc/self/status")) & SigpipeBit) != 0,
            "the runtime was expected to ignore SIGPIPE");
        LoopTest.WithinSeconds(20, () => LoopTest.Run(async loop =>
        {
            // ... and an ignored signal stays ignored across exec, so the child must get the default back.
            AsyncProcess process = await AsyncIO.CreateSubprocessExecAsync("cat", ["/proc/self/status"], stdout: ProcessStdio.Pipe);
            var (stdout, _) = await process.CommunicateAsync();
            string status = Text(stdout!);
            Assert.Equal(0UL, SignalMask("SigIgn", status) & SigpipeBit);
            Assert.Equal(0UL, SignalMask("SigBlk", status));
        }));
    }

    [Fact]
    public void Shell_SigpipeKillsAWriterWhoseReaderLeft_AsInATerminal()
    {
        LoopTest.WithinSeconds(20, () => LoopTest.Run(async loop =>
        {
            // `yes` ends only by SIGPIPE once `head` has exited; with SIGPIPE ignored it would loop on EPIPE
            // errors, or report them, instead of ending quietly.
            AsyncProcess process = await AsyncIO.CreateSubprocessShellAsync("yes | head -n 2",
                stdout: ProcessStdio.Pipe, stderr: ProcessStdio.Pipe);
            var (stdout, stderr) = await process.CommunicateAsync();
            Assert.Equal("y\ny\n", Text(stdout!));
            Assert.Empty(stderr!);
            Assert.Equal(0, process.ReturnCode);
        }));
    }

    [Fact]
    public void Kill_RunningChild_ReturnCodeIsMinusNine_AndTheChildIsReaped()
    {
        int before = Descriptors.Before();
        LoopTest.WithinSeconds(20, () => LoopTest.Run(async loop =>
        {
            AsyncProcess process = await AsyncIO.CreateSubprocessExecAsync("sleep", ["30"], stdin: ProcessStdio.Pipe, stdout: ProcessStdio.Pipe);
            Assert.Null(process.ReturnCode);
            process.Kill();
            Assert.Equal(-9, await process.WaitAsync());
            Assert.Equal(-9, process.ReturnCode);
            Assert.False(ChildProcesses.Exists(process.Pid));

            // Once reaped, signals are not sent anywhere (the number may be another process's by now).
            process.Kill();
            process.Terminate();
        }));
        Descriptors.AssertBackTo(before);
    }

    [Fact]
    public void TerminateAndSendSignal_EndTheChildWithThatSignal()
    {
        LoopTest.WithinSeconds(20, () => LoopTest.Run(async loop =>
        {
            AsyncProcess first = await AsyncIO.CreateSubprocessExecAsync("sleep", ["30"]);
            AsyncProcess second = await AsyncIO.CreateSubprocessExecAsync("sleep", ["30"]);
            first.Terminate();
            second.SendSignal(Native.SIGINT);
            int[] codes = await AsyncIO.Gather(first.WaitAsync(), second.WaitAsync());
            Assert.Equal([-15, -2], codes);
        }));
    }

    [Fact]
    public void SendSignal_NotASignalNumber_Throws()
    {
        LoopTest.WithinSeconds(20, () => LoopTest.Run(async loop =>
        {
            AsyncProcess process = await AsyncIO.CreateSubprocessExecAsync("sleep", ["30"]);
            Assert.Throws<ArgumentOutOfRangeException>(() => process.SendSignal(1000));
            process.Kill();
            Assert.Equal(-9, await process.WaitAsync());
        }));
    }

    [Fact]
    public void ManyConcurrentProcesses_FiftyEchoAndCat_AllFinishWithTheirOutput()
    {
        int before = Descriptors.Before();
        LoopTest.WithinSeconds(60, () => LoopTest.Run(async loop =>
        {
            var runs = new List<Coroutine<string>>();
            for (int i = 0; i < 50; i++)
            {
                runs.Add(i % 2 == 0 ? Echo(i) : Cat(i));
            }

            string[] outputs = await AsyncIO.Gather(runs);
            for (int i = 0; i < 50; i++)
            {
                Assert.Equal($"message {i}\n", outputs[i]);
            }

            Assert.Equal(0, loop.Children.Count);
        }));
        Descriptors.AssertBackTo(before);
        Assert.Empty(ChildProcesses.Current());

        static async Coroutine<string> Echo(int i)
        {
            AsyncProcess process = await AsyncIO.CreateSubprocessExecAsync("echo", [$"message {i}"], stdout: ProcessStdio.Pipe);
            string line = Text(await process.Stdout!.ReadLineAsync());
            Assert.Equal(0, await process.WaitAsync());
            return line;
        }

        static async Coroutine<string> Cat(int i)
        {
            AsyncProcess process = await AsyncIO.CreateSubprocessExecAsync("cat", null, stdin: ProcessStdio.Pipe, stdout: ProcessStdio.Pipe);
            var (stdout, _) = await process.CommunicateAsync(Encoding.ASCII.GetBytes($"message {i}\n"));
            Assert.Equal(0, process.ReturnCode);
            return Text(stdout!);
        }
    }

    [Fact]
    public void PipeTransports_AreNotSockets_AndGoOneWayOnly()
    {
        LoopTest.WithinSeconds(20, () => LoopTest.Run(async loop =>
        {
            AsyncProcess process = await AsyncIO.CreateSubprocessExecAsync("cat", null, stdin: ProcessStdio.Pipe, stdout: ProcessStdio.Pipe);
            Transport stdin = process.Stdin!.Transport;
            Assert.Null(stdin.Socket);
            Assert.Null(stdin.GetExtraInfo("socket"));
            Assert.IsType<int>(stdin.GetExtraInfo("pipe"));
            Assert.False(stdin.IsReading);
            Assert.Throws<NotSupportedException>(stdin.PauseReading);
            process.Stdin.Write("x"u8);
            process.Stdin.WriteEof();
            Assert.Throws<InvalidOperationException>(() => process.Stdin.Write("y"u8));
            Assert.Equal("x", Text(await process.Stdout!.ReadAsync()));
            Assert.Equal(0, await process.WaitAsync());
        }));
    }

    [Fact]
    public void Arguments_Invalid_AreRefusedBeforeAnythingStarts()
    {
        LoopTest.WithinSeconds(20, () => LoopTest.Run(async loop =>
        {
            Assert.Throws<ArgumentException>(() => AsyncIO.CreateSubprocessExecAsync("cat", null, stdin: ProcessStdio.Stdout));
            Assert.Throws<ArgumentException>(() => AsyncIO.CreateSubprocessExecAsync("cat", null, stdout: ProcessStdio.Stdout));
            Assert.Throws<ArgumentException>(() => AsyncIO.CreateSubprocessExecAsync(""));
            await AioAssert.ThrowsAsync<ArgumentException, AsyncProcess>(() => AsyncIO.CreateSubprocessExecAsync("echo", ["a\0b"]));

            AsyncProcess process = await AsyncIO.CreateSubprocessExecAsync("true");
            await AioAssert.ThrowsAsync<InvalidOperationException, (byte[]?, byte[]?)>(() => process.CommunicateAsync("input"u8.ToArray()));
            Assert.Equal(0, await process.WaitAsync());
        }));
        Assert.Empty(ChildProcesses.Current());
    }

    private const ulong SigpipeBit = 1UL << (13 - 1);

    private static ulong SignalMask(string field, string status)
    {
        string line = status.Split('\n').Single(l => l.StartsWith(field + ":", StringComparison.Ordinal));
        return ulong.Parse(line[(field.Length + 1)..].Trim(), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
    }

    private static string Text(byte[] bytes) => Encoding.UTF8.GetString(bytes);
}
