using System.Text;

namespace Aio.Files;

/// <summary>
/// What opening a file asks for, validated on the caller's thread so that a bad argument fails at the
/// call, as .NET's file APIs do, rather than later on a worker thread.
/// </summary>
internal sealed class OpenRequest
{
    /// <summary>The text encoding when none is given: UTF-8, without a byte-order mark on writing.</summary>
    internal static readonly Encoding DefaultEncoding = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false);

    private OpenRequest(string path, FileMode mode, FileAccess access, FileShare share, bool append, Encoding? encoding, string display)
    {
        Path = path;
        Mode = mode;
        Access = access;
        Share = share;
        Append = append;
        Codec = encoding is null ? null : TextCodec.For(encoding);
        Display = display;
    }

    internal string Path { get; }

    internal FileMode Mode { get; }

    internal FileAccess Access { get; }

    internal FileShare Share { get; }

    /// <summary>Every write goes to the end of the file, wherever the position is (Python's
    /// <c>'a'</c>).</summary>
    internal bool Append { get; }

    /// <summary>Text over the encoding asked for; null in binary mode, where the text methods are refused.</summary>
    internal TextCodec? Codec { get; }

    /// <summary>The mode as the caller gave it, for error messages and debug reports.</summary>
    internal string Display { get; }

    /// <summary>
    /// Parses a Python mode string: exactly one of <c>r</c>, <c>w</c>, <c>x</c>, <c>a</c>, then optionally
    /// <c>+</c> (read and write) and <c>b</c> (binary) or <c>t</c> (text, the default), in any order.
    /// </summary>
    /// <exception cref="ArgumentException">The mode is not one Python's <c>open</c> accepts, or an encoding
    /// was given for a binary mode.</exception>
    internal static OpenRequest FromPythonMode(string path, string mode, Encoding? encoding)
    {
        ValidatePath(path);
        ArgumentNullException.ThrowIfNull(mode);
        char kind = '\0';
        bool plus = false;
        bool binary = false;
        bool text = false;
        foreach (char c in mode)
        {
            switch (c)
            {
                case 'r' or 'w' or 'x' or 'a' when kind == '\0':
                    kind = c;
                    break;
                case '+' when !plus:
                    plus = true;
                    break;
                case 'b' when !binary && !text:
                    binary = true;
                    break;
                case 't' when !binary && !text:
                    text = true;
                    break;
                default:
                    throw InvalidMode(mode);
            }
        }

        if (kind == '\0')
        {
            throw InvalidMode(mode);
        }

        if (binary && encoding is not null)
        {
            throw new ArgumentException($"Binary mode '{mode}' does not take an encoding.", nameof(encoding));
        }

        FileAccess access = plus ? FileAccess.ReadWrite : kind == 'r' ? FileAccess.Read : FileAccess.Write;
        FileMode fileMode = kind switch
        {
            'r' => FileMode.Open,
            'w' => FileMode.Create,
            'x' => FileMode.CreateNew,
            _ => FileMode.OpenOrCreate,
        };

        // Python takes no locks: other openers may read, write and delete, as they may on Linux anyway.
        return new OpenRequest(
            path, fileMode, access, FileShare.ReadWrite | FileShare.Delete, append: kind == 'a',
            binary ? null : encoding ?? DefaultEncoding, mode);
    }

    /// <summary>Takes .NET's <see cref="FileMode"/>, <see cref="FileAccess"/> and <see cref="FileShare"/>;
    /// <see cref="FileMode.Append"/> opens or creates the file and makes every write go to its end.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An enum value is out of range.</exception>
    /// <exception cref="ArgumentException">The combination is one <see cref="FileStream"/> refuses.</exception>
    internal static OpenRequest FromFileMode(string path, FileMode mode, FileAccess access, FileShare share, Encoding? encoding)
    {
        ValidatePath(path);
        if (!Enum.IsDefined(mode))
        {
            throw new ArgumentOutOfRangeException(nameof(mode), mode, "Not a FileMode value.");
        }

        if (access is not (FileAccess.Read or FileAccess.Write or FileAccess.ReadWrite))
        {
            throw new ArgumentOutOfRangeException(nameof(access), access, "Not a FileAccess value.");
        }

        if ((share & ~(FileShare.ReadWrite | FileShare.Delete | FileShare.Inheritable)) != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(share), share, "Not a FileShare value.");
        }

        if (access == FileAccess.Read && mode is FileMode.Create or FileMode.CreateNew or FileMode.Truncate or FileMode.Append)
        {
            throw new ArgumentException($"FileMode.{mode} needs write access, not FileAccess.Read.", nameof(access));
        }

        if (mode == FileMode.Append && access != FileAccess.Write)
        {
            throw new ArgumentException("FileMode.Append can only be used with FileAccess.Write.", nameof(access));
        }

        bool append = mode == FileMode.Append;
        return new OpenRequest(
            path, append ? FileMode.OpenOrCreate : mode, access, share, append,
            encoding ?? DefaultEncoding, $"FileMode.{mode}, FileAccess.{access}");
    }

    /// <summary>Refuses a null or empty path, or one with a null character, at the call.</summary>
    internal static void ValidatePath(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (path.Contains('\0', StringComparison.Ordinal))
        {
            throw new ArgumentException("The path contains a null character.", nameof(path));
        }
    }

    private static ArgumentException InvalidMode(string mode) =>
        new($"Invalid mode '{mode}': expected one of r, w, x, a, then optionally + and b or t (such as 'r', 'rb', 'w+', 'a').", nameof(mode));
}
