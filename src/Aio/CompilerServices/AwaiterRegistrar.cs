using System.Diagnostics.CodeAnalysis;

namespace Aio.CompilerServices;

/// <summary>
/// Registers a suspended coroutine with a loop awaiter without boxing the awaiter: the builders receive
/// awaiters as an unconstrained generic, and an interface call on one would box it in unoptimized code.
/// A registrar per awaiter type calls through a constrained generic instead.
/// </summary>
/// <typeparam name="TAwaiter">The awaiter type.</typeparam>
/// <remarks>
/// <see cref="Instance"/> is null for awaiters that are not loop awaiters (a .NET task's, say). In
/// optimized code the JIT treats the static readonly instance as a constant of a sealed type and inlines
/// the call, so the dispatch costs nothing.
/// </remarks>
internal abstract class AwaiterRegistrar<TAwaiter>
{
    internal static readonly AwaiterRegistrar<TAwaiter>? Instance = Create();

    /// <summary>Registers <paramref name="box"/> to resume when the awaiter completes.</summary>
    /// <returns>False when this awaiter cannot take the coroutine itself: the caller hands it a
    /// continuation delegate instead.</returns>
    internal abstract bool TryRegister(ref TAwaiter awaiter, AioTask box);

    [UnconditionalSuppressMessage("AOT", "IL3050", Justification = "Awaiter types are known at compile time of the awaiting method.")]
    [UnconditionalSuppressMessage("Trimming", "IL2055", Justification = "The registrar types are kept by the references below.")]
    private static AwaiterRegistrar<TAwaiter>? Create()
    {
        if (ValueTaskAwaiterRegistrar.For(typeof(TAwaiter)) is { } valueTask)
        {
            return (AwaiterRegistrar<TAwaiter>)valueTask;
        }

        if (!typeof(ILoopAwaiter).IsAssignableFrom(typeof(TAwaiter)))
        {
            return null;
        }

        Type registrar = typeof(TAwaiter).IsValueType
            ? typeof(StructAwaiterRegistrar<>).MakeGenericType(typeof(TAwaiter))
            : typeof(ClassAwaiterRegistrar<>).MakeGenericType(typeof(TAwaiter));
        return (AwaiterRegistrar<TAwaiter>)Activator.CreateInstance(registrar)!;
    }
}

/// <summary>The registrar of a struct loop awaiter: a constrained call, no box.</summary>
/// <typeparam name="TAwaiter">The awaiter type.</typeparam>
internal sealed class StructAwaiterRegistrar<TAwaiter> : AwaiterRegistrar<TAwaiter>
    where TAwaiter : struct, ILoopAwaiter
{
    internal override bool TryRegister(ref TAwaiter awaiter, AioTask box)
    {
        awaiter.RegisterBox(box);
        return true;
    }
}

/// <summary>The registrar of a class loop awaiter.</summary>
/// <typeparam name="TAwaiter">The awaiter type.</typeparam>
internal sealed class ClassAwaiterRegistrar<TAwaiter> : AwaiterRegistrar<TAwaiter>
    where TAwaiter : class, ILoopAwaiter
{
    internal override bool TryRegister(ref TAwaiter awaiter, AioTask box)
    {
        awaiter.RegisterBox(box);
        return true;
    }
}
