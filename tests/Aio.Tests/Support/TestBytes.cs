namespace Aio.Tests.Support;

/// <summary>Bytes for tests that must tell one message, or one offset, from another.</summary>
public static class TestBytes
{
    /// <summary><paramref name="length"/> bytes whose values follow their offset, shifted by
    /// <paramref name="seed"/>: two messages of different seeds differ at every offset.</summary>
    public static byte[] Pattern(int length, int seed = 0)
    {
        byte[] bytes = new byte[length];
        for (int i = 0; i < length; i++)
        {
            bytes[i] = (byte)((i * 31) + seed);
        }

        return bytes;
    }
}
