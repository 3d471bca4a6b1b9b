using System.Threading.Channels;
using Aio.Tests.Support;

namespace Aio.Tests.Loop;

public sealed class InlineStepContextTests
{
    private static readonly AsyncLocal<int> s_local = new();

    [Fact]
    public void ConfigureAwaitFalseCoroutine_ResumedInsideAPlainCallback_CallbackKeepsItsOwnContext()
    {
        int localAfterSetResult = -1;
        SynchronizationContext? contextAfterSetResult = null;
        LoopTest.WithinSeconds(10, () => LoopTest.Run(async loop =>
        {
            var ch = Channel.CreateUnbounded<int>(new UnboundedChannelOptions { AllowSynchronousContinuations = true });
            AioTask a = AsyncIO.CreateTask(A());
            await AsyncIO.Sleep(0);                   // A now waits on the channel

            s_local.Value = 7;                        // captured by CallSoon
            loop.CallSoon(() =>
            {
                ch.Writer.TryWrite(1);                // resumes A inline, as a "top-level" step
                localAfterSetResult = s_local.Value;
                contextAfterSetResult = SynchronizationContext.Current;
            });
            s_local.Value = 0;
            await a;

            async Coroutine A()
            {
                await ch.Reader.ReadAsync().ConfigureAwait(false);
            }
        }));

        // Expected: the callback's own AsyncLocal value, and the loop's context (no task is running).
        Assert.Equal("local=7 ctx=LoopSynchronizationContext", $"local={localAfterSetResult} ctx={contextAfterSetResult?.GetType().Name}");
    }

    [Fact]
    public void ConfigureAwaitFalseCoroutine_ResumedInsideAPlainCallback_NextStepStillHasItsTaskContext()
    {
        SynchronizationContext? contextInNextStep = null;
        AioTask? helperSaw = null;
        AioTask? a = null;
        LoopTest.WithinSeconds(10, () => LoopTest.Run(async loop =>
        {
            var ch = Channel.CreateUnbounded<int>(new UnboundedChannelOptions { AllowSynchronousContinuations = true });
            a = AsyncIO.CreateTask(A());
            await AsyncIO.Sleep(0);

            s_local.Value = 7;                        // a callback with its own context runs in ExecutionContext.Run
            loop.CallSoon(() => ch.Writer.TryWrite(1));
            s_local.Value = 0;
            await a;

            async Coroutine A()
            {
                await ch.Reader.ReadAsync().ConfigureAwait(false);
                await AsyncIO.Sleep(0);               // the very next step of A
                contextInNextStep = SynchronizationContext.Current;
                helperSaw = await Helper();
            }

            static async Task<AioTask?> Helper()
            {
                await Task.Yield();
                return AsyncIO.CurrentTask;
            }
        }));

        Assert.Equal("asA=True ctx=TaskCore", $"asA={ReferenceEquals(a, helperSaw)} ctx={contextInNextStep?.GetType().Name}");
    }
}
