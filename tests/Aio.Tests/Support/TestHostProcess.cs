using System.Diagnostics;
using System.Globalization;
using System.Reflection;

namespace Aio.Tests.Support;

/// <summary>Runs the Aio.TestHost program (built alongside the tests) as a child process and collects
/// its standard output line by line.</summary>
internal sealed class TestHostProcess : IDisposable
{
    private const int SigintBit = 1 << (Native.SIGINT - 1);

    private readonly Process _process;
    private readonly Lock _lock = new();
    private readonly List<string> _lines = [];
    private readonly List<string> _errors = [];
    private readonly List<(string Line, ManualResetEventSlim Seen)> _watches = [];

    private TestHostProcess(Process process)
    {
        _process = process;
    }

    public int Id => _process.Id;

    public IReadOnlyList<string> Lines
    {
        get
        {
            lock (_lock)
            {
                return _lines.ToArray();
            }
        }
    }

    public string StandardError
    {
        get
        {
            lock (_lock)
            {
                return string.Join("\n", _errors);
            }
        }
    }

    /// <summary>The built host assembly, as recorded by the test project's build.</summary>
    public static string AssemblyPath
    {
        get
        {
            string? path = typeof(TestHostProcess).Assembly
                .GetCustomAttributes<AssemblyMetadataAttribute>()
                .FirstOrDefault(a => a.Key == "AioTestHostAssembly")?.Value;
            Assert.False(string.IsNullOrEmpty(path), "The test assembly does not say where Aio.TestHost was built.");
            Assert.True(File.Exists(path), $"Aio.TestHost was not built at {path}.");
            return path;
        }
    }

    public static TestHostProcess Start(params string[] arguments) => Start(new Dictionary<string, string>(), arguments);

    /// <summary>Starts the host with <paramref name="environment"/> added to the inherited environment.</summary>
    public static TestHostProcess Start(IReadOnlyDictionary<string, string> environment, params string[] arguments)
    {
        var info = new ProcessStartInfo
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,

            // Keeps the child off the runner's terminal, if it has one.
            RedirectStandardInput = true,
        };

        // A process started with SIGINT ignored (a background job of a shell without job control) passes
        // that on to its children, and the runtime then never sees Ctrl+C; undo it for the child.
        if (IsSigintIgnoredHere() && File.Exists("/usr/bin/env"))
        {
            info.FileName = "/usr/bin/env";
            info.ArgumentList.Add("--default-signal=INT");
            info.ArgumentList.Add(DotnetHost());
        }
        else
        {
            info.FileName = DotnetHost();
        }

        info.ArgumentList.Add(AssemblyPath);
        foreach (string argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        foreach ((string name, string value) in environment)
        {
            info.Environment[name] = value;
        }

        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var host = new TestHostProcess(process);
        process.OutputDataReceived += (_, e) => host.OnLine(e.Data, error: false);
        process.ErrorDataReceived += (_, e) => host.OnLine(e.Data, error: true);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return host;
    }

    /// <summary>Waits until the program printed <paramref name="line"/>; false on timeout or exit.</summary>
    public bool WaitForLine(string line, TimeSpan timeout)
    {
        ManualResetEventSlim seen;
        lock (_lock)
        {
            if (_lines.Contains(line))
            {
                return true;
            }

            seen = new ManualResetEventSlim();
            _watches.Add((line, seen));
        }

        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < timeout)
        {
            if (seen.Wait(TimeSpan.FromMilliseconds(50)))
            {
                return true;
            }

            if (_process.HasExited)
            {
                return seen.IsSet;
            }
        }

        return false;
    }

    /// <summary>Waits for the program to end; false on timeout.</summary>
    public bool WaitForExit(TimeSpan timeout)
    {
        if (!_process.WaitForExit(timeout))
        {
            return false;
        }

        // The overload without a timeout also waits for the redirected output to be fully read.
        _process.WaitForExit();
        return true;
    }

    public int ExitCode => _process.ExitCode;

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(5000);
            }
        }
        catch (InvalidOperationException)
        {
            // Never started or already gone.
        }

        _process.Dispose();
    }

    private void OnLine(string? line, bool error)
    {
        if (line is null)
        {
            return;
        }

        lock (_lock)
        {
            if (error)
            {
                _errors.Add(line);
                return;
            }

            _lines.Add(line);
            foreach ((string Line, ManualResetEventSlim Seen) watch in _watches)
            {
                if (watch.Line == line)
                {
                    watch.Seen.Set();
                }
            }
        }
    }

    private static string DotnetHost()
    {
        string? fromSdk = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        if (!string.IsNullOrEmpty(fromSdk) && File.Exists(fromSdk))
        {
            return fromSdk;
        }

        string? self = Environment.ProcessPath;
        if (self is not null && Path.GetFileNameWithoutExtension(self) == "dotnet")
        {
            return self;
        }

        return "dotnet";
    }

    private static bool IsSigintIgnoredHere()
    {
        try
        {
            string? line = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("SigIgn:", StringComparison.Ordinal));
            return line is not null
                && (ulong.Parse(line["SigIgn:".Length..].Trim(), NumberStyles.HexNumber, CultureInfo.InvariantCulture) & SigintBit) != 0;
        }
        catch (IOException)
        {
            return false;
        }
    }
}
