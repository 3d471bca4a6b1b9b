namespace Aio.Net;

/// <summary>Hears that a pipe transport is done — its protocol's <c>ConnectionLost</c> ran and its
/// descriptor is closed — so the subprocess that owns the pipe knows when nothing of it is left open.</summary>
internal interface IPipeOwner
{
    /// <summary>Called once, last, on the loop thread.</summary>
    /// <param name="pipe">The transport.</param>
    void PipeClosed(Transport pipe);
}
