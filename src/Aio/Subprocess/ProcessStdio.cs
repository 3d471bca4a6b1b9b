namespace Aio.Subprocess;

/// <summary>
/// Where one of a subprocess's standard streams goes; asyncio's <c>subprocess.PIPE</c>, <c>DEVNULL</c>,
/// <c>STDOUT</c>, or <c>None</c> (inherit).
/// </summary>
public enum ProcessStdio
{
    /// <summary>The child shares this process's stream (asyncio's <c>None</c>, the default).</summary>
    Inherit = 0,

    /// <summary>A pipe to this process: <see cref="AsyncProcess.Stdin"/> writes to it,
    /// <see cref="AsyncProcess.Stdout"/> and <see cref="AsyncProcess.Stderr"/> read from it; asyncio's
    /// <c>PIPE</c>.</summary>
    Pipe,

    /// <summary><c>/dev/null</c>: the child reads nothing, or what it writes is dropped; asyncio's
    /// <c>DEVNULL</c>.</summary>
    DevNull,

    /// <summary>For stderr only: wherever stdout goes (its pipe, if it is one); asyncio's
    /// <c>STDOUT</c>.</summary>
    Stdout,
}
