namespace Aio.Reactor;

/// <summary>Which readiness a registration waits for, and which readiness a poll reports.</summary>
[Flags]
internal enum IoInterest
{
    None = 0,
    Read = 1,
    Write = 2,
    ReadWrite = Read | Write,
}
