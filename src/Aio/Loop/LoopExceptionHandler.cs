using System.Text;

namespace Aio;

/// <summary>A loop's exception handler: receives every exception nothing else caught; asyncio's
/// <c>set_exception_handler</c> callable.</summary>
/// <param name="loop">The loop.</param>
/// <param name="context">What happened.</param>
public delegate void LoopExceptionHandler(EventLoop loop, LoopExceptionContext context);
