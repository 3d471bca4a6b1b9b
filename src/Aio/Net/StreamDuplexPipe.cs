using System.IO.Pipelines;

namespace Aio.Net;

/// <summary>A connection's <see cref="PipeReader"/> and <see cref="PipeWriter"/>; see
/// <see cref="AsyncStreamWriter.AsDuplexPipe"/>.</summary>
internal sealed class StreamDuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
{
    public PipeReader Input { get; } = input;

    public PipeWriter Output { get; } = output;
}
