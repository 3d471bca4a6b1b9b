using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using Aio.Sync;

namespace Aio.CompilerServices;

/// <summary>
/// The registrar of a <see cref="ValueTask"/>'s awaiter: when the value task's source is a
/// <see cref="WaitNode"/> (awaiting a lock, a semaphore, a queue's get or put), the coroutine
/// registers with it as with a loop awaiter; any other value task goes the ordinary way.
/// </summary>
/// <remarks>
/// <see cref="ValueTask"/> does not expose its source, so the registrar reads the awaiter's fields with
/// <see cref="UnsafeAccessorAttribute"/>. Those names are private to the runtime; should a runtime rename
/// them, <see cref="For"/> finds out once, at the first await of that awaiter type, and the awaits go the
/// ordinary way — slower, never wrong.
/// </remarks>
internal sealed class ValueTaskAwaiterRegistrar : AwaiterRegistrar<ValueTaskAwaiter>
{
    [UnsafeAccessor(UnsafeAccessorKind.Field, Name = "_value")]
    private static extern ref ValueTask ValueOf(ref ValueTaskAwaiter awaiter);

    [UnsafeAccessor(UnsafeAccessorKind.Field, Name = "_obj")]
    private static extern ref object? SourceOf(ref ValueTask task);

    [UnsafeAccessor(UnsafeAccessorKind.Field, Name = "_token")]
    private static extern ref short TokenOf(ref ValueTask task);

    internal override bool TryRegister(ref ValueTaskAwaiter awaiter, AioTask box)
    {
        ref ValueTask task = ref ValueOf(ref awaiter);
        return SourceOf(ref task) is WaitNode source && source.TryAwaitBy(box, TokenOf(ref task));
    }

    /// <summary>The registrar for <paramref name="awaiterType"/> if it is a value task's awaiter and this
    /// runtime lets its fields be read.</summary>
    /// <returns>An <see cref="AwaiterRegistrar{TAwaiter}"/> of <paramref name="awaiterType"/>, or null.</returns>
    [UnconditionalSuppressMessage("AOT", "IL3050", Justification = "Awaiter types are known at compile time of the awaiting method.")]
    [UnconditionalSuppressMessage("Trimming", "IL2055", Justification = "The registrar type is kept by the reference below.")]
    internal static object? For(Type awaiterType)
    {
        try
        {
            if (awaiterType == typeof(ValueTaskAwaiter))
            {
                ValueTaskAwaiter probe = default;
                ref ValueTask task = ref ValueOf(ref probe);
                _ = SourceOf(ref task);
                _ = TokenOf(ref task);
                return new ValueTaskAwaiterRegistrar();
            }

            if (awaiterType.IsGenericType && awaiterType.GetGenericTypeDefinition() == typeof(ValueTaskAwaiter<>))
            {
                var registrar = (IProbedRegistrar)Activator.CreateInstance(
                    typeof(ValueTaskAwaiterRegistrar<>).MakeGenericType(awaiterType.GetGenericArguments()))!;
                registrar.Probe();
                return registrar;
            }
        }
        catch (MissingMemberException)
        {
            // A runtime whose ValueTask is laid out differently: the ordinary way it is.
        }

        return null;
    }
}

/// <summary>A registrar that checks, once, that the fields it reads exist.</summary>
internal interface IProbedRegistrar
{
    /// <summary>Reads the fields of a default awaiter.</summary>
    /// <exception cref="MissingMemberException">They do not exist in this runtime.</exception>
    void Probe();
}

/// <summary>The registrar of a <see cref="ValueTask{TResult}"/>'s awaiter; see
/// <see cref="ValueTaskAwaiterRegistrar"/>.</summary>
/// <typeparam name="TResult">The value task's result type.</typeparam>
internal sealed class ValueTaskAwaiterRegistrar<TResult> : AwaiterRegistrar<ValueTaskAwaiter<TResult>>, IProbedRegistrar
{
    [UnsafeAccessor(UnsafeAccessorKind.Field, Name = "_value")]
    private static extern ref ValueTask<TResult> ValueOf(ref ValueTaskAwaiter<TResult> awaiter);

    [UnsafeAccessor(UnsafeAccessorKind.Field, Name = "_obj")]
    private static extern ref object? SourceOf(ref ValueTask<TResult> task);

    [UnsafeAccessor(UnsafeAccessorKind.Field, Name = "_token")]
    private static extern ref short TokenOf(ref ValueTask<TResult> task);

    internal override bool TryRegister(ref ValueTaskAwaiter<TResult> awaiter, AioTask box)
    {
        ref ValueTask<TResult> task = ref ValueOf(ref awaiter);
        return SourceOf(ref task) is WaitNode source && source.TryAwaitBy(box, TokenOf(ref task));
    }

    /// <inheritdoc/>
    public void Probe()
    {
        ValueTaskAwaiter<TResult> probe = default;
        ref ValueTask<TResult> task = ref ValueOf(ref probe);
        _ = SourceOf(ref task);
        _ = TokenOf(ref task);
    }
}
