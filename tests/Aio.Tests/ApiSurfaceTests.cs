using Aio.Tests.Support;
using System.Reflection;
using System.Text;

namespace Aio.Tests;

/// <summary>
/// Keeps the public surface a decision: the listing of every public type and member of each shipped
/// assembly is checked in as src/&lt;Project&gt;/PublicAPI.txt, and this test fails when an assembly no longer
/// matches it. After a deliberate change, regenerate the files with
/// AIO_UPDATE_PUBLIC_API=1 dotnet test --filter ApiSurfaceTests.
/// </summary>
public sealed class ApiSurfaceTests
{
    /// <summary>The shipped assemblies, by project name (also the folder under src/).</summary>
    private static readonly Dictionary<string, Assembly> Libraries = new()
    {
        ["Aio"] = typeof(AsyncIO).Assembly,
        ["Aio.Testing"] = typeof(Aio.Testing.VirtualTime).Assembly,
        ["Aio.Testing.Xunit"] = typeof(Aio.Testing.Xunit.ShuffleSeedsAttribute).Assembly,
        ["Aio.Data"] = typeof(Aio.Data.Database).Assembly,
    };

    [Theory]
    [InlineData("Aio")]
    [InlineData("Aio.Testing")]
    [InlineData("Aio.Testing.Xunit")]
    [InlineData("Aio.Data")]
    public void PublicSurface_MatchesTheCheckedInListing(string project)
    {
        string actual = Describe(Libraries[project]);
        string path = Path.Combine(Repository.Root, "src", project, "PublicAPI.txt");
        if (Environment.GetEnvironmentVariable("AIO_UPDATE_PUBLIC_API") == "1")
        {
            File.WriteAllText(path, actual);
        }

        string expected = File.Exists(path) ? File.ReadAllText(path) : "";
        if (expected != actual)
        {
            var added = actual.Split('\n').Except(expected.Split('\n')).ToArray();
            var removed = expected.Split('\n').Except(actual.Split('\n')).ToArray();
            Assert.Fail(
                $"The public API of {project} changed. If that is intended, run AIO_UPDATE_PUBLIC_API=1 dotnet test --filter ApiSurfaceTests.\n" +
                "Added:\n  " + string.Join("\n  ", added) + "\nRemoved:\n  " + string.Join("\n  ", removed));
        }
    }

    [Theory]
    [InlineData("Aio")]
    [InlineData("Aio.Testing")]
    [InlineData("Aio.Testing.Xunit")]
    [InlineData("Aio.Data")]
    public void PublicClasses_AreSealedStaticOrClosedToOutsideDerivation(string project)
    {
        var open = Libraries[project].GetExportedTypes()
            .Where(t => t.IsClass && !t.IsSealed && !(t.IsAbstract && t.IsSealed) && !typeof(Delegate).IsAssignableFrom(t))
            .Where(t => !s_meantForDerivation.Contains(t.FullName!))
            .Where(t => t.GetConstructors(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic)
                .Any(c => c.IsPublic || c.IsFamily || c.IsFamilyOrAssembly))
            .Select(t => t.FullName)
            .ToArray();
        Assert.True(open.Length == 0, "Public classes that outside code can derive from: " + string.Join(", ", open));
    }

    /// <summary>The classes users derive from by design, as asyncio's users subclass its protocols.</summary>
    private static readonly HashSet<string> s_meantForDerivation =
    [
        "Aio.Net.Protocol",
        "Aio.Net.BufferedProtocol",
        "Aio.Net.DatagramProtocol",
    ];

    private static string Describe(Assembly assembly)
    {
        var lines = new List<string>();
        foreach (Type type in assembly.GetExportedTypes().OrderBy(t => t.FullName, StringComparer.Ordinal))
        {
            lines.Add(Kind(type) + " " + Name(type));
            const BindingFlags flags = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;
            var members = new List<string>();
            foreach (MemberInfo member in type.GetMembers(flags))
            {
                string? text = member switch
                {
                    ConstructorInfo c when Visible(c) => $"ctor({Parameters(c)})",
                    MethodInfo m when Visible(m) && !m.IsSpecialName => $"{(m.IsStatic ? "static " : "")}{Name(m.ReturnType)} {m.Name}{Generic(m)}({Parameters(m)})",
                    MethodInfo m when Visible(m) && m.Name.StartsWith("op_", StringComparison.Ordinal) => $"static {Name(m.ReturnType)} {m.Name}({Parameters(m)})",
                    PropertyInfo p when (p.GetMethod is { } g && Visible(g)) || (p.SetMethod is { } s && Visible(s)) =>
                        $"{(p.GetMethod?.IsStatic == true ? "static " : "")}{Name(p.PropertyType)} {p.Name} {{{(p.GetMethod is { } pg && Visible(pg) ? " get;" : "")}{(p.SetMethod is { } ps && Visible(ps) ? (IsInit(ps) ? " init;" : " set;") : "")} }}",
                    FieldInfo f when (f.IsPublic || f.IsFamily) && !type.IsEnum => $"{(f.IsStatic ? "static " : "")}{Name(f.FieldType)} {f.Name}",
                    FieldInfo f when f.IsPublic && type.IsEnum && f.IsStatic => $"{f.Name} = {f.GetRawConstantValue()}",
                    EventInfo e when e.AddMethod is { } a && Visible(a) => $"event {Name(e.EventHandlerType!)} {e.Name}",
                    _ => null,
                };
                if (text is not null)
                {
                    members.Add("  " + text);
                }
            }

            members.Sort(StringComparer.Ordinal);
            lines.AddRange(members);
        }

        return string.Join("\n", lines) + "\n";
    }

    private static bool Visible(MethodBase method) => method.IsPublic || method.IsFamily || method.IsFamilyOrAssembly;

    private static bool IsInit(MethodInfo setter) =>
        setter.ReturnParameter.GetRequiredCustomModifiers().Any(m => m.Name == "IsExternalInit");

    private static string Kind(Type type) =>
        type.IsEnum ? "enum"
        : type.IsInterface ? "interface"
        : type.IsValueType ? (type.IsByRefLike ? "ref struct" : "struct")
        : typeof(Delegate).IsAssignableFrom(type) ? "delegate"
        : type.IsAbstract && type.IsSealed ? "static class"
        : type.IsAbstract ? "abstract class"
        : type.IsSealed ? "sealed class"
        : "class";

    private static string Generic(MethodInfo method) =>
        method.IsGenericMethodDefinition ? "<" + string.Join(", ", method.GetGenericArguments().Select(a => a.Name)) + ">" : "";

    private static string Parameters(MethodBase method) =>
        string.Join(", ", method.GetParameters().Select(p => (p.IsDefined(typeof(ParamArrayAttribute)) ? "params " : "") + Name(p.ParameterType) + " " + p.Name + (p.HasDefaultValue ? " = " + (p.DefaultValue ?? "null") : "")));

    private static string Name(Type type)
    {
        if (type.IsGenericParameter)
        {
            return type.Name;
        }

        if (type.IsByRef)
        {
            return "ref " + Name(type.GetElementType()!);
        }

        if (type.IsArray)
        {
            return Name(type.GetElementType()!) + "[]";
        }

        string name = type.IsNested ? Name(type.DeclaringType!) + "." + type.Name : (type.Namespace is null ? "" : type.Namespace + ".") + type.Name;
        if (type.IsGenericType)
        {
            int tick = name.IndexOf('`', StringComparison.Ordinal);
            if (tick >= 0)
            {
                name = name[..tick];
            }

            name += "<" + string.Join(", ", type.GetGenericArguments().Select(Name)) + ">";
        }

        return name;
    }

}
