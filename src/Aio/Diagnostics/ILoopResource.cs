namespace Aio.Diagnostics;

/// <summary>
/// Something a loop hands out that must be closed before the loop closes — a socket, a server, a
/// subprocess transport. Layers register theirs with <see cref="EventLoop.TrackResource"/> when they open
/// it and <see cref="EventLoop.UntrackResource"/> when they close it; debug mode reports whatever is
/// still registered when the loop closes, as asyncio's "unclosed ..." <c>ResourceWarning</c>.
/// </summary>
internal interface ILoopResource
{
    /// <summary>What to call it in a report, such as <c>socket fd=12 127.0.0.1:8080</c>.</summary>
    /// <returns>The description.</returns>
    string Describe();
}
