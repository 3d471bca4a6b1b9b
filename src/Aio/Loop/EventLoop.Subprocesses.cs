using Aio.Subprocess;

namespace Aio;

public sealed partial class EventLoop
{
    private ChildWatcher? _childWatcher;

    /// <summary>The loop's running subprocesses (see <see cref="ChildWatcher"/>); made at the first one.</summary>
    internal ChildWatcher Children => _childWatcher ??= new ChildWatcher(this);

    /// <summary>Kills and reaps the subprocesses still running, before the loop lets go of their pidfds.</summary>
    private void CloseChildren()
    {
        _childWatcher?.Close();
    }
}
