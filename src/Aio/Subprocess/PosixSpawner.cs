using System.Collections;
using System.ComponentModel;
using System.Runtime.InteropServices;
using System.Text;
using Aio.Reactor;

namespace Aio.Subprocess;

/// <summary>
/// Starts a child with <c>posix_spawn</c>: its standard streams set up by file actions in the child
/// (<c>dup2</c> of pipe ends, <c>open</c> of <c>/dev/null</c>), every other descriptor closed, the signal
/// mask emptied and SIGPIPE back to its default action.
/// </summary>
/// <remarks>
/// <para>Why <c>posix_spawn</c>: glibc implements it with <c>clone(CLONE_VM | CLONE_VFORK)</c>, so the
/// calling thread waits only until the child has called <c>exec</c> (or failed to, and then the error
/// comes back as the return value, the child already reaped); nothing of the managed runtime runs in the
/// child, which a <c>fork</c> from managed code could not promise. See docs/design/subprocess.md.</para>
/// <para>Descriptors: every descriptor the runtime and Aio open is close-on-exec, and the pipes made here
/// are too, so another child started meanwhile (by <c>System.Diagnostics.Process</c>, say) inherits none of
/// them. The child's pipe ends lose the flag only through the <c>dup2</c> onto 0, 1 or 2 in the child.
/// On top of that the child closes every descriptor from 3 up (<c>closefrom</c>, glibc 2.34), as Python's
/// <c>close_fds=True</c>, in case a library opened one without the flag.</para>
/// <para>Signals: the runtime ignores SIGPIPE, and an ignored signal stays ignored across <c>exec</c>;
/// the child gets the default back (as Python's <c>restore_signals</c>), so <c>yes | head</c> in a shell
/// child ends as it does in a terminal. Signals the runtime handles are reset by glibc itself. Other
/// ignored signals (<c>nohup</c>'s SIGHUP) stay ignored, as POSIX intends.</para>
/// </remarks>
internal static unsafe class PosixSpawner
{
    /// <summary>Where <c>execvp</c> looks when there is no PATH (glibc's <c>_CS_PATH</c>).</summary>
    private const string DefaultSearchPath = "/bin:/usr/bin";

    private static bool s_noCloseFrom;
    private static bool s_noChdir;

    /// <summary>Starts <paramref name="program"/> with <paramref name="args"/>.</summary>
    /// <param name="program">A path, or a name looked up in the PATH of the child's environment.</param>
    /// <param name="args">The arguments after <c>argv[0]</c> (which is <paramref name="program"/>).</param>
    /// <param name="cwd">The child's working directory; null for this process's.</param>
    /// <param name="env">The child's whole environment; null for this process's (as .NET sees it).</param>
    /// <param name="stdin">Where its stdin comes from.</param>
    /// <param name="stdout">Where its stdout goes.</param>
    /// <param name="stderr">Where its stderr goes.</param>
    /// <returns>The child and this process's ends of its pipes.</returns>
    /// <exception cref="FileNotFoundException">No such program.</exception>
    /// <exception cref="DirectoryNotFoundException"><paramref name="cwd"/> does not exist.</exception>
    /// <exception cref="UnauthorizedAccessException">The program is not executable.</exception>
    /// <exception cref="Win32Exception">The system refused otherwise (out of processes or descriptors).</exception>
    internal static SpawnedChild Spawn(string program, IReadOnlyList<string> args, string? cwd,
        IReadOnlyDictionary<string, string>? env, ProcessStdio stdin, ProcessStdio stdout, ProcessStdio stderr)
    {
        List<string> environment = EnvironmentOf(env, out string? searchPath);
        if (cwd is not null && !Directory.Exists(cwd))
        {
            throw new DirectoryNotFoundException($"Cannot run '{program}' in '{cwd}': no such directory.");
        }

        string executable = Resolve(program, searchPath);
        var argv = new List<string>(args.Count + 1) { program };
        argv.AddRange(args);

        // Every descriptor made here, so that a failure closes them all: [child end, our end] per stream.
        int stdinChild = -1, stdinOurs = -1, stdoutChild = -1, stdoutOurs = -1, stderrChild = -1, stderrOurs = -1;
        try
        {
            if (stdin == ProcessStdio.Pipe)
            {
                (stdinChild, stdinOurs) = MakePipe(childReads: true);
            }

            if (stdout == ProcessStdio.Pipe)
            {
                (stdoutChild, stdoutOurs) = MakePipe(childReads: false);
            }

            if (stderr == ProcessStdio.Pipe)
            {
                (stderrChild, stderrOurs) = MakePipe(childReads: false);
            }

            int pid = SpawnCore(executable, argv, environment, cwd, stdin, stdinChild, stdout, stdoutChild, stderr, stderrChild);

            // The child has its copies; ours would keep its stdin from ever ending, and our reads from
            // ever seeing the end of its output.
            CloseIfOpen(ref stdinChild);
            CloseIfOpen(ref stdoutChild);
            CloseIfOpen(ref stderrChild);
            return new SpawnedChild(pid, stdinOurs, stdoutOurs, stderrOurs);
        }
        catch
        {
            CloseIfOpen(ref stdinChild);
            CloseIfOpen(ref stdinOurs);
            CloseIfOpen(ref stdoutChild);
            CloseIfOpen(ref stdoutOurs);
            CloseIfOpen(ref stderrChild);
            CloseIfOpen(ref stderrOurs);
            throw;
        }
    }

    private static int SpawnCore(string executable, List<string> argv, List<string> environment, string? cwd,
        ProcessStdio stdin, int stdinChild, ProcessStdio stdout, int stdoutChild, ProcessStdio stderr, int stderrChild)
    {
        byte* actions = stackalloc byte[Libc.SpawnStructSize];
        byte* attributes = stackalloc byte[Libc.SpawnStructSize];
        byte* signals = stackalloc byte[Libc.SigsetSize];
        byte** argvBlock = null;
        byte** envBlock = null;
        Check(Libc.posix_spawn_file_actions_init(actions), "posix_spawn_file_actions_init");
        try
        {
            Check(Libc.posix_spawnattr_init(attributes), "posix_spawnattr_init");
            try
            {
                // In the child, in this order: stdin, stdout, then stderr — which may copy stdout's result.
                AddStream(actions, 0, stdin, stdinChild);
                AddStream(actions, 1, stdout, stdoutChild);
                if (stderr == ProcessStdio.Stdout)
                {
                    Check(Libc.posix_spawn_file_actions_adddup2(actions, 1, 2), "posix_spawn_file_actions_adddup2");
                }
                else
                {
                    AddStream(actions, 2, stderr, stderrChild);
                }

                if (cwd is not null)
                {
                    AddChdir(actions, cwd);
                }

                AddCloseFrom(actions);

                Libc.sigemptyset(signals);
                Check(Libc.posix_spawnattr_setsigmask(attributes, signals), "posix_spawnattr_setsigmask");
                Libc.sigaddset(signals, Libc.SIGPIPE);
                Check(Libc.posix_spawnattr_setsigdefault(attributes, signals), "posix_spawnattr_setsigdefault");
                Check(Libc.posix_spawnattr_setflags(attributes, Libc.POSIX_SPAWN_SETSIGMASK | Libc.POSIX_SPAWN_SETSIGDEF),
                    "posix_spawnattr_setflags");

                argvBlock = AllocStrings(argv);
                envBlock = AllocStrings(environment);
                byte[] path = NullTerminated(executable);
                int pid;
                int error;
                fixed (byte* p = path)
                {
                    error = Libc.posix_spawn(&pid, p, actions, attributes, argvBlock, envBlock);
                }

                if (error != 0)
                {
                    throw SpawnError(error, executable, cwd);
                }

                return pid;
            }
            finally
            {
                Libc.posix_spawnattr_destroy(attributes);
            }
        }
        finally
        {
            Libc.posix_spawn_file_actions_destroy(actions);
            NativeMemory.Free(argvBlock);
            NativeMemory.Free(envBlock);
        }
    }

    private static void AddStream(byte* actions, int target, ProcessStdio how, int childEnd)
    {
        switch (how)
        {
            case ProcessStdio.Pipe:
                Check(Libc.posix_spawn_file_actions_adddup2(actions, childEnd, target), "posix_spawn_file_actions_adddup2");
                break;
            case ProcessStdio.DevNull:
                fixed (byte* path = "/dev/null\0"u8)
                {
                    Check(Libc.posix_spawn_file_actions_addopen(actions, target, path, target == 0 ? Libc.O_RDONLY : Libc.O_WRONLY, 0),
                        "posix_spawn_file_actions_addopen");
                }

                break;
        }
    }

    private static void AddChdir(byte* actions, string cwd)
    {
        if (!s_noChdir)
        {
            try
            {
                fixed (byte* p = NullTerminated(cwd))
                {
                    Check(Libc.posix_spawn_file_actions_addchdir_np(actions, p), "posix_spawn_file_actions_addchdir_np");
                }

                return;
            }
            catch (EntryPointNotFoundException)
            {
                s_noChdir = true;
            }
        }

        throw new PlatformNotSupportedException("Setting a subprocess's working directory needs glibc 2.29 or later.");
    }

    private static void AddCloseFrom(byte* actions)
    {
        if (s_noCloseFrom)
        {
            return;
        }

        try
        {
            Check(Libc.posix_spawn_file_actions_addclosefrom_np(actions, 3), "posix_spawn_file_actions_addclosefrom_np");
        }
        catch (EntryPointNotFoundException)
        {
            // An older C library: close-on-exec, set on every descriptor the runtime opens, is then all.
            s_noCloseFrom = true;
        }
    }

    /// <summary>A pipe for one stream: the child's end blocking (programs expect that), ours non-blocking
    /// for the reactor, both close-on-exec from the start so that no other child inherits them.</summary>
    private static (int Child, int Ours) MakePipe(bool childReads)
    {
        int* fds = stackalloc int[2];
        if (Libc.pipe2(fds, Libc.O_CLOEXEC) != 0)
        {
            throw new Win32Exception(Marshal.GetLastPInvokeError(), "pipe2 failed");
        }

        int child = childReads ? fds[0] : fds[1];
        int ours = childReads ? fds[1] : fds[0];
        try
        {
            int flags = Libc.fcntl(ours, Libc.F_GETFL, 0);
            if (flags < 0 || Libc.fcntl(ours, Libc.F_SETFL, flags | Libc.O_NONBLOCK) < 0)
            {
                throw new Win32Exception(Marshal.GetLastPInvokeError(), "fcntl(O_NONBLOCK) failed");
            }

            if (child < 3)
            {
                // This process has a standard stream closed and the pipe took its number. The child's file
                // actions would overwrite it before using it (dup2 onto 0 before stdout's dup2 from 0), or
                // leave it close-on-exec (a dup2 onto itself does nothing): move it out of the way.
                int moved = Libc.fcntl(child, Libc.F_DUPFD_CLOEXEC, 3);
                if (moved < 0)
                {
                    throw new Win32Exception(Marshal.GetLastPInvokeError(), "fcntl(F_DUPFD_CLOEXEC) failed");
                }

                Libc.close(child);
                child = moved;
            }
        }
        catch
        {
            Libc.close(child);
            Libc.close(ours);
            throw;
        }

        return (child, ours);
    }

    /// <summary>Finds the program as <c>execvp</c> would, but in the PATH of the child's environment, as
    /// Python's <c>subprocess</c> does: <c>posix_spawnp</c> would search this process's native PATH, which
    /// .NET's <c>Environment.SetEnvironmentVariable</c> does not change.</summary>
    private static string Resolve(string program, string? searchPath)
    {
        ArgumentException.ThrowIfNullOrEmpty(program);
        if (program.Contains('/'))
        {
            return program;
        }

        searchPath ??= DefaultSearchPath;
        bool foundButDenied = false;
        foreach (string directory in searchPath.Split(':'))
        {
            // An empty entry means the current directory, as for execvp.
            string candidate = directory.Length == 0 ? program : Path.Join(directory, program);
            if (!File.Exists(candidate))
            {
                continue;
            }

            if (Libc.access(candidate, Libc.X_OK) == 0)
            {
                return candidate;
            }

            foundButDenied = true;
        }

        if (foundButDenied)
        {
            throw new UnauthorizedAccessException($"Cannot run '{program}': found on the PATH, but not executable.");
        }

        throw new FileNotFoundException($"Cannot run '{program}': no such program on the PATH ({searchPath}).", program);
    }

    /// <summary>The child's environment as <c>NAME=value</c> strings, and its PATH.</summary>
    private static List<string> EnvironmentOf(IReadOnlyDictionary<string, string>? env, out string? searchPath)
    {
        var entries = new List<string>();
        searchPath = null;
        if (env is null)
        {
            // .NET keeps its own copy of the environment (SetEnvironmentVariable does not reach the C
            // library's), so the child gets what the program sees, as System.Diagnostics.Process does.
            foreach (DictionaryEntry entry in Environment.GetEnvironmentVariables())
            {
                Add(entries, (string)entry.Key, (string?)entry.Value ?? "", ref searchPath);
            }
        }
        else
        {
            foreach (KeyValuePair<string, string> pair in env)
            {
                Add(entries, pair.Key, pair.Value, ref searchPath);
            }
        }

        return entries;

        static void Add(List<string> entries, string name, string value, ref string? searchPath)
        {
            if (name.Length == 0 || name.Contains('=') || name.Contains('\0') || value.Contains('\0'))
            {
                throw new ArgumentException($"Invalid environment variable '{name}'.", nameof(env));
            }

            if (name == "PATH")
            {
                searchPath = value;
            }

            entries.Add(name + "=" + value);
        }
    }

    /// <summary>A NULL-terminated array of NUL-terminated UTF-8 strings (<c>argv</c>, <c>envp</c>) in one
    /// native block; free it with <see cref="NativeMemory.Free"/>.</summary>
    private static byte** AllocStrings(List<string> strings)
    {
        nuint pointers = (nuint)(strings.Count + 1) * (nuint)sizeof(byte*);
        nuint total = pointers;
        foreach (string s in strings)
        {
            if (s.Contains('\0'))
            {
                throw new ArgumentException("Arguments and environment variables cannot contain NUL characters.");
            }

            total += (nuint)Encoding.UTF8.GetByteCount(s) + 1;
        }

        byte** block = (byte**)NativeMemory.Alloc(total);
        byte* next = (byte*)block + pointers;
        for (int i = 0; i < strings.Count; i++)
        {
            block[i] = next;
            int length = Encoding.UTF8.GetByteCount(strings[i]);
            Encoding.UTF8.GetBytes(strings[i], new Span<byte>(next, length));
            next[length] = 0;
            next += length + 1;
        }

        block[strings.Count] = null;
        return block;
    }

    private static byte[] NullTerminated(string s)
    {
        if (s.Contains('\0'))
        {
            throw new ArgumentException($"'{s}' contains a NUL character.");
        }

        byte[] bytes = new byte[Encoding.UTF8.GetByteCount(s) + 1];
        Encoding.UTF8.GetBytes(s, bytes);
        return bytes;
    }

    private static Exception SpawnError(int error, string executable, string? cwd)
    {
        string where = cwd is null ? "" : $" in '{cwd}'";
        string message = $"Cannot run '{executable}'{where}: {Marshal.GetPInvokeErrorMessage(error)}.";
        return error switch
        {
            Libc.ENOENT => new FileNotFoundException(message, executable),
            Libc.EACCES => new UnauthorizedAccessException(message),
            _ => new Win32Exception(error, message),
        };
    }

    private static void Check(int error, string call)
    {
        if (error != 0)
        {
            throw new Win32Exception(error, call + " failed");
        }
    }

    private static void CloseIfOpen(ref int fd)
    {
        if (fd >= 0)
        {
            Libc.close(fd);
            fd = -1;
        }
    }
}
