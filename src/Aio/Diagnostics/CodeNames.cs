using System.Reflection;
using System.Runtime.CompilerServices;
using System.Text;

namespace Aio.Diagnostics;

/// <summary>Readable names for the compiler's generated types and methods: <c>&lt;Fetch&gt;d__3</c> nested in
/// <c>Crawler</c> reads <c>Crawler.Fetch()</c>, a local function <c>Main.Tick()</c>, a lambda
/// <c>Main.&lt;lambda&gt;()</c>.</summary>
internal static class CodeNames
{
    /// <summary>The method an async state machine was generated from.</summary>
    internal static string OfStateMachine(Type stateMachine) =>
        Qualify(stateMachine.DeclaringType, Member(stateMachine.Name));

    /// <summary>The method behind a delegate.</summary>
    internal static string OfDelegate(Delegate callback) => OfMethod(callback.Method);

    /// <summary>A method, with its declaring type.</summary>
    internal static string OfMethod(MethodInfo method) => Qualify(method.DeclaringType, Member(method.Name));

    /// <summary>The async state machine inside a .NET async method's box (the target of its continuation
    /// delegate, or its Task), if it is one.</summary>
    internal static Type? StateMachineOfBox(object? box)
    {
        Type? type = box?.GetType();
        if (type is null || !type.IsGenericType)
        {
            return null;
        }

        foreach (Type argument in type.GetGenericArguments())
        {
            if (typeof(IAsyncStateMachine).IsAssignableFrom(argument))
            {
                return argument;
            }
        }

        return null;
    }

    /// <summary>The state of the state machine inside a .NET async method's box.</summary>
    internal static int StateOfBox(object box)
    {
        try
        {
            object? stateMachine = box.GetType()
                .GetField("StateMachine", BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic)?.GetValue(box);
            FieldInfo? state = stateMachine?.GetType().GetField("<>1__state", BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic);
            return state?.GetValue(stateMachine) is int value ? value : CoroutineStates.Unknown;
        }
        catch (Exception ex) when (ex is MemberAccessException or ArgumentException or NotSupportedException)
        {
            return CoroutineStates.Unknown;
        }
    }

    /// <summary>The user's name for a generated member name: <c>&lt;Fetch&gt;d__3</c> → <c>Fetch</c>,
    /// <c>&lt;Main&gt;g__Tick|0_0</c> → <c>Main.Tick</c>, <c>&lt;Main&gt;b__0_1</c> → <c>Main.&lt;lambda&gt;</c>.</summary>
    private static string Member(string name)
    {
        int tick = name.IndexOf('`', StringComparison.Ordinal);
        if (tick >= 0)
        {
            name = name[..tick];
        }

        if (!name.StartsWith('<'))
        {
            return name;
        }

        int close = MatchingBracket(name);
        if (close < 0)
        {
            return name;
        }

        string raw = name[1..close];
        string inner = Member(raw);
        string rest = name[(close + 1)..];

        // Top-level statements compile into <Main>$: the user never wrote that name.
        bool topLevel = raw == "<Main>$";
        if (rest.StartsWith("g__", StringComparison.Ordinal))
        {
            // A local function: <Outer>g__Local|1_0.
            int bar = rest.IndexOf('|', StringComparison.Ordinal);
            string local = bar >= 0 ? rest[3..bar] : rest[3..];
            return topLevel ? local : inner + "." + local;
        }

        if (rest.StartsWith("b__", StringComparison.Ordinal))
        {
            return topLevel ? "<lambda>" : inner + ".<lambda>";
        }

        // A state machine (d__N) or anything else generated from one method.
        return inner;
    }

    private static int MatchingBracket(string name)
    {
        int depth = 0;
        for (int i = 0; i < name.Length; i++)
        {
            if (name[i] == '<')
            {
                depth++;
            }
            else if (name[i] == '>' && --depth == 0)
            {
                return i;
            }
        }

        return -1;
    }

    private static string Qualify(Type? declaring, string member)
    {
        var owner = new StringBuilder();
        for (Type? type = declaring; type is not null; type = type.DeclaringType)
        {
            // Closure classes (<>c, <>c__DisplayClass0_0) are not names the user wrote.
            if (type.Name.StartsWith('<'))
            {
                continue;
            }

            string name = type.Name;
            int tick = name.IndexOf('`', StringComparison.Ordinal);
            owner.Insert(0, (tick >= 0 ? name[..tick] : name) + ".");
        }

        return owner.Append(member).Append("()").ToString();
    }
}
