namespace Aio.Sync;

/// <summary>
/// A FIFO of waiting coroutines, intrusive (the nodes are the links) so that parking, unparking and
/// leaving on cancellation are all O(1) and allocate nothing. Every waiting primitive is built on it, as
/// Trio builds its locks on one <c>ParkingLot</c>.
/// </summary>
/// <remarks>Loop thread only.</remarks>
internal sealed class ParkingLot
{
    private WaitNode? _head;
    private WaitNode? _tail;

    /// <summary>How many are waiting.</summary>
    internal int Count { get; private set; }

    /// <summary>The longest waiter, or null.</summary>
    internal WaitNode? First => _head;

    /// <summary>Appends a waiter.</summary>
    internal void Park(WaitNode node)
    {
        node.Lot = this;
        node.Status = WaitNode.Waiting;
        node.Next = null;
        node.Previous = _tail;
        if (_tail is null)
        {
            _head = node;
        }
        else
        {
            _tail.Next = node;
        }

        _tail = node;
        Count++;
    }

    /// <summary>Removes the longest waiter and grants it; false when nobody waits.</summary>
    internal bool UnparkOne(int value = 0)
    {
        WaitNode? node = _head;
        if (node is null)
        {
            return false;
        }

        Remove(node);
        node.Grant(value);
        return true;
    }

    /// <summary>Grants every waiter, in order.</summary>
    /// <returns>How many were woken.</returns>
    internal int UnparkAll(int value = 0)
    {
        int woken = 0;
        while (UnparkOne(value))
        {
            woken++;
        }

        return woken;
    }

    /// <summary>Ends every wait with an error of its own, in order (a queue shutting down, a barrier
    /// breaking).</summary>
    internal void FailAll(Func<Exception> error)
    {
        while (_head is { } node)
        {
            node.LeaveFailed(error());
        }
    }

    /// <summary>Removes a waiter that is in this lot.</summary>
    internal void Remove(WaitNode node)
    {
        if (node.Previous is null)
        {
            _head = node.Next;
        }
        else
        {
            node.Previous.Next = node.Next;
        }

        if (node.Next is null)
        {
            _tail = node.Previous;
        }
        else
        {
            node.Next.Previous = node.Previous;
        }

        node.Previous = null;
        node.Next = null;
        node.Lot = null;
        Count--;
    }
}
