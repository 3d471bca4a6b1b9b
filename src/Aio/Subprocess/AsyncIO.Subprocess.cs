using Aio.Net;
using Aio.Subprocess;

namespace Aio;

public static partial class AsyncIO
{
    /// <summary>
    /// Starts <paramref name="program"/> with <paramref name="args"/> as a child process; asyncio's
    /// <c>asyncio.create_subprocess_exec()</c>.
    /// </summary>
    /// <param name="program">The program: a path, or a name looked up in the PATH of the child's
    /// environment. It is also the child's <c>argv[0]</c>.</param>
    /// <param name="args">The arguments, passed as they are (no shell takes part).</param>
    /// <param name="stdin">Where the child's stdin comes from; <see cref="ProcessStdio.Pipe"/> gives
    /// <see cref="AsyncProcess.Stdin"/>.</param>
    /// <param name="stdout">Where its stdout goes; <see cref="ProcessStdio.Pipe"/> gives
    /// <see cref="AsyncProcess.Stdout"/>.</param>
    /// <param name="stderr">Where its stderr goes; <see cref="ProcessStdio.Pipe"/> gives
    /// <see cref="AsyncProcess.Stderr"/>, <see cref="ProcessStdio.Stdout"/> sends it with stdout.</param>
    /// <param name="limit">The limit of the stdout and stderr readers (see <see cref="AsyncStreamReader.Limit"/>).</param>
    /// <param name="cwd">The child's working directory; null for this process's.</param>
    /// <param name="env">The child's whole environment; null for this process's.</param>
    /// <returns>The process, its pipes connected.</returns>
    /// <remarks>
    /// <para>Inside a running loop only. The child is started with <c>posix_spawn</c> on the loop thread,
    /// which waits only until the child has called <c>exec</c>; it inherits no descriptor but its three
    /// standard streams, an empty signal mask and SIGPIPE's default action. See
    /// <see cref="AsyncProcess"/>.</para>
    /// <para>A cancellation point (the pipes connect in the next turn); cancelled, the child is killed and
    /// reaped before the cancellation goes on, as in asyncio.</para>
    /// </remarks>
    /// <exception cref="FileNotFoundException">No such program.</exception>
    /// <exception cref="DirectoryNotFoundException"><paramref name="cwd"/> does not exist.</exception>
    /// <exception cref="UnauthorizedAccessException">The program is not executable.</exception>
    /// <exception cref="ArgumentException"><see cref="ProcessStdio.Stdout"/> given for stdin or stdout; an
    /// argument or environment variable with a NUL character.</exception>
    /// <exception cref="System.ComponentModel.Win32Exception">The system refused otherwise (out of processes
    /// or descriptors).</exception>
    public static Coroutine<AsyncProcess> CreateSubprocessExecAsync(string program, IEnumerable<string>? args = null,
        ProcessStdio stdin = ProcessStdio.Inherit, ProcessStdio stdout = ProcessStdio.Inherit,
        ProcessStdio stderr = ProcessStdio.Inherit, int limit = AsyncStreamReader.DefaultLimit, string? cwd = null,
        IReadOnlyDictionary<string, string>? env = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(program);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        CheckStdio(stdin, nameof(stdin));
        CheckStdio(stdout, nameof(stdout));
        if (!Enum.IsDefined(stderr))
        {
            throw new ArgumentOutOfRangeException(nameof(stderr), stderr, null);
        }

        return SpawnAsync(program, args?.ToArray() ?? [], stdin, stdout, stderr, limit, cwd, env);
    }

    /// <summary>
    /// Runs <paramref name="command"/> with the shell (<c>/bin/sh -c</c>) as a child process; asyncio's
    /// <c>asyncio.create_subprocess_shell()</c>.
    /// </summary>
    /// <param name="command">The command line, as the shell reads it: quote what comes from outside.</param>
    /// <param name="stdin">Where the shell's stdin comes from.</param>
    /// <param name="stdout">Where its stdout goes.</param>
    /// <param name="stderr">Where its stderr goes.</param>
    /// <param name="limit">The limit of the stdout and stderr readers.</param>
    /// <param name="cwd">The shell's working directory; null for this process's.</param>
    /// <param name="env">The shell's whole environment; null for this process's.</param>
    /// <returns>The process (the shell's), its pipes connected.</returns>
    /// <remarks>Inside a running loop only. See <see cref="CreateSubprocessExecAsync"/>. The return code is
    /// the shell's; a command the shell cannot find gives 127, not an exception.</remarks>
    /// <exception cref="ArgumentException"><see cref="ProcessStdio.Stdout"/> given for stdin or stdout.</exception>
    public static Coroutine<AsyncProcess> CreateSubprocessShellAsync(string command,
        ProcessStdio stdin = ProcessStdio.Inherit, ProcessStdio stdout = ProcessStdio.Inherit,
        ProcessStdio stderr = ProcessStdio.Inherit, int limit = AsyncStreamReader.DefaultLimit, string? cwd = null,
        IReadOnlyDictionary<string, string>? env = null)
    {
        ArgumentNullException.ThrowIfNull(command);
        return CreateSubprocessExecAsync("/bin/sh", ["-c", command], stdin, stdout, stderr, limit, cwd, env);
    }

    private static void CheckStdio(ProcessStdio value, string name)
    {
        if (value == ProcessStdio.Stdout)
        {
            throw new ArgumentException("ProcessStdio.Stdout is for stderr only.", name);
        }

        if (!Enum.IsDefined(value))
        {
            throw new ArgumentOutOfRangeException(name, value, null);
        }
    }

    private static async Coroutine<AsyncProcess> SpawnAsync(string program, string[] args, ProcessStdio stdin,
        ProcessStdio stdout, ProcessStdio stderr, int limit, string? cwd, IReadOnlyDictionary<string, string>? env)
    {
        EventLoop loop = GetRunningLoop();
        SpawnedChild spawned = PosixSpawner.Spawn(program, args, cwd, env, stdin, stdout, stderr);
        var process = new AsyncProcess(loop, spawned, limit, program);
        try
        {
            // The pipes' ConnectionMade runs in the next turn; return after it, as asyncio does.
            await Yield();
        }
        catch (CancelledException)
        {
            // Nobody will get the process: do not leave it running, nor its pipes open.
            process.KillAndClose();
            await process.WaitAsync();
            throw;
        }

        return process;
    }
}
