using System.Reflection;
using System.Reflection.Emit;
using System.Runtime.CompilerServices;

namespace Aio.Diagnostics;

/// <summary>
/// Reads the compiler's <c>&lt;&gt;1__state</c> field of an async state machine: which <c>await</c> the
/// coroutine is suspended at. Only diagnostics read it (debug mode, the task tree), never the hot path.
/// </summary>
/// <typeparam name="TStateMachine">The compiler-generated state machine (a struct in release builds of
/// the calling code, a class in debug builds).</typeparam>
/// <remarks>
/// The field is public in every state machine the C# compiler emits. A small dynamic method reads it in a
/// few nanoseconds without boxing the state machine; where dynamic code is unavailable (native AOT),
/// reflection does the same, more slowly.
/// </remarks>
internal static class StateMachineAccess<TStateMachine>
{
    private static readonly FieldInfo? s_field =
        typeof(TStateMachine).GetField("<>1__state", BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic);

    /// <summary>The dynamic reader once made; null until then, or for good where it cannot be made.</summary>
    private static Reader? s_reader;

    /// <summary>Whether making the reader was tried and settled (made, or not possible here). A failure
    /// that may pass — the process out of descriptors while the runtime loads the emitting assembly — is
    /// not settled, so the next read tries again; a type initializer that threw would have broken this
    /// type for the rest of the process.</summary>
    private static bool s_settled;

    private delegate int Reader(ref TStateMachine stateMachine);

    /// <summary>The state: <see cref="CoroutineStates.Running"/> before the first step and while running,
    /// the index of the await it is suspended at, <see cref="CoroutineStates.Finished"/> once done, or
    /// <see cref="CoroutineStates.Unknown"/>.</summary>
    internal static int Read(ref TStateMachine stateMachine)
    {
        if (s_field is null)
        {
            return CoroutineStates.Unknown;
        }

        if (stateMachine is null)
        {
            // A class state machine dropped when the coroutine finished.
            return CoroutineStates.Finished;
        }

        if (!s_settled)
        {
            s_reader = TryCreateReader(out s_settled);
        }

        if (s_reader is not null)
        {
            return s_reader(ref stateMachine);
        }

        try
        {
            object? value = typeof(TStateMachine).IsValueType
                ? s_field.GetValueDirect(__makeref(stateMachine))
                : s_field.GetValue(stateMachine);
            return value is int state ? state : CoroutineStates.Unknown;
        }
        catch (Exception ex) when (ex is IOException or TypeLoadException)
        {
            // Diagnostics never take the loop down: out of descriptors, the state is unknown this time.
            return CoroutineStates.Unknown;
        }
    }

    private static Reader? TryCreateReader(out bool settled)
    {
        settled = true;
        if (s_field is null || s_field.FieldType != typeof(int) || !RuntimeFeature.IsDynamicCodeSupported)
        {
            return null;
        }

        try
        {
            var method = new DynamicMethod(
                "ReadCoroutineState",
                typeof(int),
                [typeof(TStateMachine).MakeByRefType()],
                typeof(StateMachineAccess<TStateMachine>).Module,
                skipVisibility: true);
            ILGenerator il = method.GetILGenerator();
            il.Emit(OpCodes.Ldarg_0);
            if (!typeof(TStateMachine).IsValueType)
            {
                il.Emit(OpCodes.Ldind_Ref);
            }

            il.Emit(OpCodes.Ldfld, s_field);
            il.Emit(OpCodes.Ret);
            return method.CreateDelegate<Reader>();
        }
        catch (Exception ex) when (ex is NotSupportedException or InvalidProgramException or MemberAccessException)
        {
            return null;
        }
        catch (Exception ex) when (ex is IOException or TypeLoadException)
        {
            // FileNotFoundException or FileLoadException for the emitting assembly: the process may be
            // out of descriptors for a moment. Reflection serves meanwhile; the next read tries again.
            settled = false;
            return null;
        }
    }
}

/// <summary>The values of a state machine's state that are not an await index.</summary>
internal static class CoroutineStates
{
    /// <summary>Not started yet, or running right now (the compiler uses -1 for both).</summary>
    internal const int Running = -1;

    /// <summary>Returned or threw.</summary>
    internal const int Finished = -2;

    /// <summary>Not a compiler-generated state machine, or its state could not be read.</summary>
    internal const int Unknown = int.MinValue;
}
