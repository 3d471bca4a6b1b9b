using System.Globalization;
using System.Net.Sockets;
using Aio.Diagnostics;
using Aio.Net;
using Aio.Sync;

namespace Aio.Subprocess;

/// <summary>
/// A child process with its pipes; asyncio's <c>asyncio.subprocess.Process</c>. Made by
/// <see cref="AsyncIO.CreateSubprocessExecAsync"/> and <see cref="AsyncIO.CreateSubprocessShellAsync"/>.
/// </summary>
/// <remarks>
/// <para>Loop thread only. The pipes are transports on the loop's reactor and the exit is a readiness of
/// the child's pidfd: no thread waits for the process or its output.</para>
/// <para>The process is finished once it has exited (and was reaped: no zombie is left) and its pipes are
/// closed — the output pipes at their end, stdin when closed or when the child went away.
/// <see cref="WaitAsync"/> waits for that, as asyncio's <c>wait()</c> does since Python 3.12, so that every
/// byte the child wrote is in the readers by then. <see cref="ReturnCode"/> is set as soon as it exited.</para>
/// <para>Pipe deadlock: a child blocks when a pipe it writes to is full. Output waiting unread is
/// buffered up to twice the reader's limit, then reading pauses; so read <see cref="Stdout"/> and
/// <see cref="Stderr"/> while waiting, or use <see cref="CommunicateAsync"/>, which does both at once.</para>
/// <para>If the loop closes while the process runs, the process is killed (and reaped), as closing
/// asyncio's subprocess transport kills it; debug mode reports it as unclosed first.</para>
/// </remarks>
public sealed class AsyncProcess : IPipeOwner, ILoopResource, IWaitOwner<int>
{
    private readonly EventLoop _loop;
    private readonly ChildProcess _child;
    private readonly string _program;
    private readonly ParkingLot _waiters = new();
    private WaitNodePool<int> _nodes;
    private readonly Transport?[] _pipes = new Transport?[3];
    private int _openPipes;
    private bool _finished;

    internal AsyncProcess(EventLoop loop, SpawnedChild spawned, int limit, string program)
    {
        _loop = loop;
        _program = program;
        _child = new ChildProcess(loop, spawned.Pid, OnExited);
        if (spawned.Stdin >= 0)
        {
            var protocol = new StreamProtocol(loop, null, null);
            var transport = new PipeWriteTransport(loop, spawned.Stdin, protocol, this, "stdin");
            Stdin = protocol.CreateWriter(transport);
            _pipes[0] = transport;
            _openPipes++;
            transport.Start();
        }

        Stdout = OpenReader(spawned.Stdout, 1, limit);
        Stderr = OpenReader(spawned.Stderr, 2, limit);
        loop.TrackResource(this);
        _child.StartWatching();
    }

    /// <summary>The process id; asyncio's <c>pid</c>.</summary>
    public int Pid => _child.Pid;

    /// <summary>Writes to the child's stdin, when it is a pipe (<see cref="ProcessStdio.Pipe"/>); else null.
    /// asyncio's <c>stdin</c>. Close it (or <see cref="AsyncStreamWriter.WriteEof"/>) to end the child's
    /// input. Once the child exited or closed its stdin, writes are dropped and
    /// <see cref="AsyncStreamWriter.DrainAsync"/> throws <see cref="IOException"/> (broken pipe).</summary>
    public AsyncStreamWriter? Stdin { get; }

    /// <summary>Reads the child's stdout, when it is a pipe; else null. asyncio's <c>stdout</c>.</summary>
    public AsyncStreamReader? Stdout { get; }

    /// <summary>Reads the child's stderr, when it is a pipe of its own; else null. asyncio's <c>stderr</c>.</summary>
    public AsyncStreamReader? Stderr { get; }

    /// <summary>Null while the process runs; then its exit code, or the negated number of the signal that
    /// killed it (-9 after <see cref="Kill"/>); asyncio's <c>returncode</c>.</summary>
    public int? ReturnCode => _child.ReturnCode;

    /// <summary>Waits until the process has exited and its pipes are closed; asyncio's <c>wait()</c>.</summary>
    /// <returns>The return code (see <see cref="ReturnCode"/>).</returns>
    /// <remarks>A cancellation point: cancelling the wait leaves the process running, to be waited for or
    /// killed later. With <see cref="ProcessStdio.Pipe"/> output that nobody reads, a child that writes
    /// more than the pipe and the reader's buffer hold never exits: read the output as well, or use
    /// <see cref="CommunicateAsync"/>.</remarks>
    public async Coroutine<int> WaitAsync()
    {
        _loop.CheckThread();
        if (!_finished)
        {
            WaitNode<int> node = _nodes.Rent(_loop, this);
            _waiters.Park(node);
            await node.AsVoidValueTask();
        }

        return _child.ReturnCode!.Value;
    }

    /// <summary>
    /// Writes <paramref name="input"/> to stdin and closes it, reads stdout and stderr to their end, all at
    /// once so that no pipe fills up, then waits for the process; asyncio's <c>communicate()</c>.
    /// </summary>
    /// <param name="input">What to write to stdin; empty for nothing (stdin is closed either way, if it is a
    /// pipe).</param>
    /// <returns>Everything the child wrote to stdout and to stderr; null for a stream that is not a pipe.</returns>
    /// <remarks>A cancellation point: cancelled, it leaves the process running, and what was read so far
    /// stays in the readers. If the child exits or closes its stdin before taking all the input, the rest
    /// is dropped, as in asyncio.</remarks>
    /// <exception cref="InvalidOperationException"><paramref name="input"/> is not empty but stdin is not a
    /// pipe.</exception>
    public async Coroutine<(byte[]? Stdout, byte[]? Stderr)> CommunicateAsync(ReadOnlyMemory<byte> input = default)
    {
        _loop.CheckThread();
        if (!input.IsEmpty && Stdin is null)
        {
            throw new InvalidOperationException("Cannot send input: the process's stdin is not a pipe (ProcessStdio.Pipe).");
        }

        byte[]?[] results = await AsyncIO.Gather(FeedStdinAsync(input), ReadToEndAsync(Stdout), ReadToEndAsync(Stderr));
        await WaitAsync();
        return (results[1], results[2]);
    }

    private async Coroutine<byte[]?> FeedStdinAsync(ReadOnlyMemory<byte> input)
    {
        if (Stdin is null)
        {
            return null;
        }

        try
        {
            if (!input.IsEmpty)
            {
                Stdin.Write(input.Span);
                await Stdin.DrainAsync();
            }
        }
        catch (Exception e) when (e is IOException or SocketException)
        {
            // As asyncio: a child that exits without reading all its input is not an error of communicate.
        }

        Stdin.Close();
        return null;
    }

    private static async Coroutine<byte[]?> ReadToEndAsync(AsyncStreamReader? reader) =>
        reader is null ? null : await reader.ReadAsync();

    /// <summary>Sends <paramref name="signal"/> to the process; asyncio's <c>send_signal()</c>.</summary>
    /// <param name="signal">The signal's number, such as 15 for SIGTERM or 10 for SIGUSR1 (Linux's numbers).</param>
    /// <remarks>Once the process has been reaped this does nothing, as Python's <c>Popen.send_signal</c>
    /// (asyncio raises <c>ProcessLookupError</c> after the transport closed): the number may belong to
    /// another process by then. Until then the signal goes through the process's pidfd, which cannot reach
    /// any other process.</remarks>
    /// <exception cref="ArgumentOutOfRangeException">Not a signal number.</exception>
    /// <exception cref="System.ComponentModel.Win32Exception">Not permitted (the child changed its user).</exception>
    public void SendSignal(int signal)
    {
        _loop.CheckThread();
        _child.SendSignal(signal);
    }

    /// <summary>Sends SIGTERM; asyncio's <c>terminate()</c>.</summary>
    public void Terminate() => SendSignal(Reactor.Libc.SIGTERM);

    /// <summary>Sends SIGKILL; asyncio's <c>kill()</c>. <see cref="ReturnCode"/> then becomes -9.</summary>
    public void Kill() => SendSignal(Reactor.Libc.SIGKILL);

    /// <summary>Kills the process and closes its pipes: nobody will use it (its creation was cancelled).</summary>
    internal void KillAndClose()
    {
        Kill();
        foreach (Transport? pipe in _pipes)
        {
            pipe?.Abort();
        }
    }

    private AsyncStreamReader? OpenReader(int fd, int stream, int limit)
    {
        if (fd < 0)
        {
            return null;
        }

        var reader = new AsyncStreamReader(_loop, limit);
        var transport = new PipeReadTransport(_loop, fd, new StreamProtocol(_loop, reader, null), this, stream == 1 ? "stdout" : "stderr");
        _pipes[stream] = transport;
        _openPipes++;
        transport.Start();
        return reader;
    }

    private void OnExited() => TryFinish();

    void IPipeOwner.PipeClosed(Transport pipe)
    {
        _openPipes--;
        TryFinish();
    }

    private void TryFinish()
    {
        if (_finished || _child.ReturnCode is null || _openPipes > 0)
        {
            return;
        }

        _finished = true;
        _loop.UntrackResource(this);
        _waiters.UnparkAll();
    }

    int IWaitOwner<int>.OnGranted(WaitNode<int> node) => 0;

    void IWaitOwner.OnAbandoned(WaitNode node)
    {
        // A wake-up is not a resource: a waiter cancelled after the exit takes nothing from the others.
    }

    string IWaitOwner.DescribeWait(WaitNode node) => $"AsyncProcess.wait(pid {Pid})";

    void IWaitOwner<int>.Return(WaitNode<int> node) => _nodes.Return(node);

    string ILoopResource.Describe() => $"subprocess {Describe()}";

    private string Describe()
    {
        string state = _child.ReturnCode is { } code
            ? "exited with " + code.ToString(CultureInfo.InvariantCulture)
            : "running";
        string pipes = _openPipes > 0 ? $", {_openPipes.ToString(CultureInfo.InvariantCulture)} pipe(s) open" : "";
        return $"pid={Pid.ToString(CultureInfo.InvariantCulture)} {_program} {state}{pipes}";
    }

    /// <inheritdoc/>
    public override string ToString() => $"<AsyncProcess {Describe()}>";
}
