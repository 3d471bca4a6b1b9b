namespace Aio.Sync;

/// <summary>Something an <see cref="AsyncReleaser"/> gives back when disposed: a lock, a permit, a
/// borrowed token.</summary>
internal interface IReleasable
{
    /// <summary>Gives back what was acquired; <paramref name="holder"/> is whatever the acquisition
    /// recorded (a capacity limiter's borrower), or null.</summary>
    void ReleaseFrom(object? holder);
}
