namespace Aio.Diagnostics;

/// <summary>Where a task stood when a <see cref="TaskTreeSnapshot"/> was taken.</summary>
public enum TaskSnapshotState
{
    /// <summary>Created; its first step has not run yet.</summary>
    Scheduled,

    /// <summary>Running on the loop thread: the task that took the snapshot, or the task holding a loop
    /// that did not answer in time.</summary>
    Running,

    /// <summary>Suspended at an await (possibly already woken, its next step queued).</summary>
    Suspended,
}
