namespace Aio;

/// <summary>Typed access to a future's value for awaiters, shared by <see cref="Future{T}"/> and
/// <see cref="AioTask{T}"/>, which cannot share a base class.</summary>
/// <typeparam name="T">The type of the result.</typeparam>
internal interface IResultSource<out T>
{
    /// <summary>The stored value; the caller has already called <see cref="Future.ThrowIfNotSucceeded"/>.</summary>
    T GetResultAfterCheck();
}
