namespace Aio.Data;

/// <summary>One PostgreSQL notification, as <c>NOTIFY channel, 'payload'</c> sent it.</summary>
/// <param name="Channel">The channel it was sent on.</param>
/// <param name="Payload">Its payload; empty when none was given.</param>
/// <param name="ProcessId">The process id of the server session that sent it.</param>
public sealed record DatabaseNotification(string Channel, string Payload, int ProcessId);
