using System.Runtime.InteropServices;
using Aio.Reactor;

namespace Aio;

/// <summary>Pins threads to CPUs for <see cref="LoopGroupOptions.PinThreads"/>.</summary>
internal static unsafe class ThreadAffinity
{
    private const int Words = Libc.CpuSetBytes / sizeof(ulong);

    /// <summary>The CPUs the calling thread may run on, in ascending order; empty if the system does not
    /// say. Threads inherit the set, so the group reads it once, on the thread that creates it.</summary>
    internal static int[] AllowedCpus()
    {
        ulong* mask = stackalloc ulong[Words];
        new Span<ulong>(mask, Words).Clear();
        if (Libc.sched_getaffinity(0, Libc.CpuSetBytes, mask) != 0)
        {
            return [];
        }

        var cpus = new List<int>();
        for (int cpu = 0; cpu < Words * 64; cpu++)
        {
            if ((mask[cpu >> 6] & (1UL << (cpu & 63))) != 0)
            {
                cpus.Add(cpu);
            }
        }

        return cpus.ToArray();
    }

    /// <summary>Restricts the calling thread to <paramref name="cpu"/>.</summary>
    /// <returns>0, or the errno of the failure.</returns>
    internal static int Pin(int cpu)
    {
        ulong* mask = stackalloc ulong[Words];
        new Span<ulong>(mask, Words).Clear();
        mask[cpu >> 6] = 1UL << (cpu & 63);
        return Libc.sched_setaffinity(0, Libc.CpuSetBytes, mask) == 0 ? 0 : Marshal.GetLastPInvokeError();
    }
}
