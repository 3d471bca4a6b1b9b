using Aio.Tests.Support;

namespace Aio.Tests.Loop;

public sealed class SendAfterCloseTests
{
    [Fact]
    public void LoopSynchronizationContext_SendAfterTheLoopClosed_DoesNotBlockForever()
    {
        SynchronizationContext? captured = null;
        var loop = new EventLoop();
        loop.CallSoon(() =>
        {
            captured = SynchronizationContext.Current;
            loop.Stop();
        });
        loop.RunForever();
        loop.Close();

        // Expected: an exception (the loop is closed) or at least a return; actual: blocks for ever.
        LoopTest.WithinSeconds(5, () =>
        {
            try
            {
                captured!.Send(_ => { }, null);
            }
            catch (InvalidOperationException)
            {
            }
        });
    }
}
