namespace Aio.Subprocess;

/// <summary>A child that <see cref="PosixSpawner"/> started: its process id, and this process's ends of
/// its pipes (-1 for a stream that is not a pipe), non-blocking and close-on-exec.</summary>
internal readonly record struct SpawnedChild(int Pid, int Stdin, int Stdout, int Stderr);
