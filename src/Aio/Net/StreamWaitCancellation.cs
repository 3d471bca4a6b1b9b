using System.Runtime.CompilerServices;
using Aio.Sync;

namespace Aio.Net;

/// <summary>
/// Lets a <see cref="CancellationToken"/> passed to a connection stream's <c>ReadAsync</c>,
/// <c>WriteAsync</c> or <c>FlushAsync</c> end the wait it started: the wait leaves with an
/// <see cref="OperationCanceledException"/> for that token, as .NET streams end, and takes nothing — the
/// connection stays usable.
/// </summary>
/// <remarks>
/// <para>Only a wait that actually parks with a token that can be cancelled costs anything: this object and
/// a registration on the token. The registration is removed when the wait ends, so a token reused for many
/// reads (a <c>PipeReader</c>'s) does not collect them.</para>
/// <para>The token may be cancelled on any thread; the wait is ended on the loop thread, through its
/// thread-safe queue. By then the wait may have completed (its bytes are then returned, not lost) and its
/// node even been reused by a later wait: the node's version tells.</para>
/// </remarks>
internal sealed class StreamWaitCancellation
{
    private static readonly Action<object?, object?> s_end = static (state, _) => ((StreamWaitCancellation)state!).End();

    private static readonly Action<object?, CancellationToken> s_onCancelled = static (state, _) =>
    {
        var self = (StreamWaitCancellation)state!;
        self._node.Loop.EnqueueFromAnyThread(s_end, self, null);
    };

    private readonly WaitNode<int> _node;
    private readonly short _version;
    private readonly CancellationToken _token;

    private StreamWaitCancellation(WaitNode<int> node, CancellationToken token)
    {
        _node = node;
        _version = node.Version;
        _token = token;
    }

    /// <summary>Awaits <paramref name="pending"/>, the <see cref="ValueTask"/> of <paramref name="node"/>,
    /// ending it early if <paramref name="token"/> is cancelled.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    internal static async ValueTask<int> Await(ValueTask<int> pending, WaitNode<int> node, CancellationToken token)
    {
        var cancellation = new StreamWaitCancellation(node, token);
        using (token.UnsafeRegister(s_onCancelled, cancellation))
        {
            return await pending.ConfigureAwait(false);
        }
    }

    /// <summary>As <see cref="Await(ValueTask{int}, WaitNode{int}, CancellationToken)"/> for a wait without
    /// a result (a drain).</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    internal static async ValueTask Await(ValueTask pending, WaitNode<int> node, CancellationToken token)
    {
        var cancellation = new StreamWaitCancellation(node, token);
        using (token.UnsafeRegister(s_onCancelled, cancellation))
        {
            await pending.ConfigureAwait(false);
        }
    }

    private void End()
    {
        if (_node.Version == _version && _node.Status == WaitNode.Waiting)
        {
            // A failure rather than a cancellation of the task: the token was the caller's, and the task
            // that waited was not cancelled.
            _node.LeaveFailed(new OperationCanceledException(_token));
        }
    }
}
