using System.Collections.Concurrent;
using System.Globalization;
using System.Reflection;
using System.Reflection.Emit;
using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using System.Reflection.PortableExecutable;

namespace Aio.Diagnostics;

/// <summary>
/// Turns "state machine type + state" into a source location: the <c>file:line</c> of the await a
/// coroutine is suspended at (or resumed from), or of its first line.
/// </summary>
/// <remarks>
/// <para>Nothing is recorded while coroutines run: the map is built the first time a report or a task tree
/// asks about a state machine type, then cached. Two facts make it possible:</para>
/// <list type="bullet">
/// <item>Before suspending at its N-th await, a state machine's <c>MoveNext</c> stores N into
/// <c>&lt;&gt;1__state</c> with the sequence <c>ldc.i4 N; dup; stloc; stfld &lt;&gt;1__state</c>. Scanning
/// the method's IL for that store gives the IL offset of every await.</item>
/// <item>The portable PDB next to the assembly (or embedded in it) maps IL offsets to lines: the last
/// visible sequence point at or before the store is the statement holding the await.</item>
/// </list>
/// <para>Without a PDB (or for code not compiled by C#), locations are null and reports fall back to the
/// method name.</para>
/// </remarks>
internal static class CoroutineLocations
{
    private static readonly ConcurrentDictionary<Type, AwaitMap> s_maps = new();
    private static readonly ConcurrentDictionary<Assembly, Lazy<MetadataReaderProvider?>> s_pdbs = new();

    /// <summary>Where a coroutine in <paramref name="state"/> stands: the await it is suspended at, or its
    /// first line for <see cref="CoroutineStates.Running"/>; null when unknown.</summary>
    internal static string? Describe(Type stateMachine, int state)
    {
        AwaitMap map = s_maps.GetOrAdd(stateMachine, static type => AwaitMap.Build(type));
        if (state == CoroutineStates.Running)
        {
            return map.Start;
        }

        return state >= 0 && map.Awaits.TryGetValue(state, out string? location) ? location : null;
    }

    /// <summary>The source locations of one state machine's awaits.</summary>
    private sealed class AwaitMap
    {
        private static readonly AwaitMap s_empty = new(null, new Dictionary<int, string>());

        private AwaitMap(string? start, Dictionary<int, string> awaits)
        {
            Start = start;
            Awaits = awaits;
        }

        /// <summary>The first line of the method.</summary>
        public string? Start { get; }

        /// <summary>Await index to location.</summary>
        public Dictionary<int, string> Awaits { get; }

        public static AwaitMap Build(Type stateMachine)
        {
            try
            {
                MethodInfo? moveNext = stateMachine.GetMethod(
                    "MoveNext", BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic, Type.EmptyTypes);
                byte[]? il = moveNext?.GetMethodBody()?.GetILAsByteArray();
                if (moveNext is null || il is null)
                {
                    return s_empty;
                }

                SequencePointRow[] points = ReadSequencePoints(moveNext);
                if (points.Length == 0)
                {
                    return s_empty;
                }

                var awaits = new Dictionary<int, string>();
                foreach ((int state, int offset) in IlScanner.FindStateStores(moveNext, il))
                {
                    if (!awaits.ContainsKey(state) && Locate(points, offset) is { } location)
                    {
                        awaits[state] = location;
                    }
                }

                return new AwaitMap(points[0].Location, awaits);
            }
            catch (Exception ex) when (ex is IOException or BadImageFormatException or InvalidOperationException
                or ArgumentException or NotSupportedException or UnauthorizedAccessException or MemberAccessException)
            {
                // Diagnostics must never fail the program they describe: no location then.
                return s_empty;
            }
        }

        private static string? Locate(SequencePointRow[] points, int offset)
        {
            string? found = null;
            foreach (SequencePointRow point in points)
            {
                if (point.Offset > offset)
                {
                    break;
                }

                found = point.Location;
            }

            return found;
        }
    }

    private readonly record struct SequencePointRow(int Offset, string Location);

    private static SequencePointRow[] ReadSequencePoints(MethodInfo method)
    {
        MetadataReaderProvider? provider = s_pdbs.GetOrAdd(
            method.Module.Assembly,
            static assembly => new Lazy<MetadataReaderProvider?>(() => OpenPdb(assembly))).Value;
        if (provider is null)
        {
            return [];
        }

        MetadataReader pdb = provider.GetMetadataReader();
        var handle = MetadataTokens.MethodDefinitionHandle(method.MetadataToken & 0x00FFFFFF);
        MethodDebugInformation info = pdb.GetMethodDebugInformation(handle.ToDebugInformationHandle());
        var rows = new List<SequencePointRow>();
        foreach (SequencePoint point in info.GetSequencePoints())
        {
            if (point.IsHidden)
            {
                continue;
            }

            string document = pdb.GetString(pdb.GetDocument(point.Document).Name);
            rows.Add(new SequencePointRow(point.Offset, FileName(document) + ":" + point.StartLine.ToString(CultureInfo.InvariantCulture)));
        }

        rows.Sort(static (a, b) => a.Offset.CompareTo(b.Offset));
        return rows.ToArray();
    }

    /// <summary>The file name alone, whichever separator the compiling machine used.</summary>
    private static string FileName(string path) => path[(path.LastIndexOfAny(['/', '\\']) + 1)..];

    private static MetadataReaderProvider? OpenPdb(Assembly assembly)
    {
        try
        {
            string location = assembly.Location;
            if (string.IsNullOrEmpty(location) || !File.Exists(location))
            {
                return null;
            }

            using FileStream image = File.OpenRead(location);
            using var pe = new PEReader(image);
            foreach (DebugDirectoryEntry entry in pe.ReadDebugDirectory())
            {
                if (entry.Type == DebugDirectoryEntryType.EmbeddedPortablePdb)
                {
                    return pe.ReadEmbeddedPortablePdbDebugDirectoryData(entry);
                }
            }

            // Read the file into memory so that no handle stays open on it.
            return pe.TryOpenAssociatedPortablePdb(
                location,
                static path => File.Exists(path) ? new MemoryStream(File.ReadAllBytes(path)) : null,
                out MetadataReaderProvider? provider,
                out _)
                ? provider
                : null;
        }
        catch (Exception ex) when (ex is IOException or BadImageFormatException or InvalidOperationException
            or UnauthorizedAccessException or ArgumentException)
        {
            return null;
        }
    }

    /// <summary>Decodes IL just enough to find the stores of constant states into <c>&lt;&gt;1__state</c>.</summary>
    private static class IlScanner
    {
        private static readonly OpCode?[] s_oneByte = new OpCode?[256];
        private static readonly OpCode?[] s_twoByte = new OpCode?[256];

        static IlScanner()
        {
            foreach (FieldInfo field in typeof(OpCodes).GetFields(BindingFlags.Public | BindingFlags.Static))
            {
                if (field.GetValue(null) is OpCode code)
                {
                    ushort value = unchecked((ushort)code.Value);
                    if (code.Size == 1)
                    {
                        s_oneByte[value] = code;
                    }
                    else
                    {
                        s_twoByte[value & 0xFF] = code;
                    }
                }
            }
        }

        /// <summary>Every <c>(state, IL offset)</c> where a constant state of zero or more is stored.</summary>
        public static List<(int State, int Offset)> FindStateStores(MethodInfo moveNext, byte[] il)
        {
            var stores = new List<(int, int)>();
            var isStateField = new Dictionary<int, bool>();
            Type[]? typeArguments = moveNext.DeclaringType is { IsGenericType: true } declaring ? declaring.GetGenericArguments() : null;
            int? pending = null;
            int pendingOffset = 0;
            int position = 0;
            while (position < il.Length)
            {
                int start = position;
                OpCode? decoded = il[position] == 0xFE && position + 1 < il.Length ? s_twoByte[il[++position]] : s_oneByte[il[position]];
                position++;
                if (decoded is not { } code)
                {
                    // Not an opcode we know: stop rather than misread the rest.
                    break;
                }

                int operand = position;
                position += OperandSize(code.OperandType, il, operand);
                if (Constant(code, il, operand) is { } value)
                {
                    pending = value;
                    pendingOffset = start;
                    continue;
                }

                if (code == OpCodes.Dup || code == OpCodes.Stloc || code == OpCodes.Stloc_S || code == OpCodes.Stloc_0
                    || code == OpCodes.Stloc_1 || code == OpCodes.Stloc_2 || code == OpCodes.Stloc_3)
                {
                    continue;
                }

                if (code == OpCodes.Stfld && pending is >= 0)
                {
                    int token = BitConverter.ToInt32(il, operand);
                    if (!isStateField.TryGetValue(token, out bool isState))
                    {
                        isState = IsStateField(moveNext.Module, token, typeArguments);
                        isStateField[token] = isState;
                    }

                    if (isState)
                    {
                        stores.Add((pending.Value, pendingOffset));
                    }
                }

                pending = null;
            }

            return stores;
        }

        private static bool IsStateField(Module module, int token, Type[]? typeArguments)
        {
            try
            {
                return module.ResolveField(token, typeArguments, null)?.Name == "<>1__state";
            }
            catch (ArgumentException)
            {
                return false;
            }
        }

        private static int OperandSize(OperandType type, byte[] il, int position) => type switch
        {
            OperandType.InlineNone => 0,
            OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar => 1,
            OperandType.InlineVar => 2,
            OperandType.InlineI8 or OperandType.InlineR => 8,
            OperandType.InlineSwitch => 4 + (4 * BitConverter.ToInt32(il, position)),
            _ => 4,
        };

        private static int? Constant(OpCode code, byte[] il, int operand)
        {
            if (code == OpCodes.Ldc_I4_M1)
            {
                return -1;
            }

            if (code.Value >= OpCodes.Ldc_I4_0.Value && code.Value <= OpCodes.Ldc_I4_8.Value && code.Size == 1)
            {
                return code.Value - OpCodes.Ldc_I4_0.Value;
            }

            if (code == OpCodes.Ldc_I4_S)
            {
                return unchecked((sbyte)il[operand]);
            }

            return code == OpCodes.Ldc_I4 ? BitConverter.ToInt32(il, operand) : null;
        }
    }
}
