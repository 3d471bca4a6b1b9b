namespace Aio.Sync;

/// <summary>
/// A FIFO of waiting coroutines, intrusive (the nodes are the links) so that parking, unparking and
/// leaving on cancellation are all O(1) and allocate nothing. Every waiting primitive is built on it, as
/// Trio builds its locks on one <c>ParkingLot</c>. (A socket's record of loop socket operations is not:
/// it has at most one waiter in each direction, and keeps each in a field.)
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
        // A pooled node usually waits in the same lot again (Remove leaves the field as it is).
        if (!ReferenceEquals(node.Lot, this))
        {
            node.Lot = this;
        }

        node.Status = WaitNode.Waiting;
        node.Next = null;

        // Branches rather than plain copies: storing a reference that is null at run time still calls
        // the GC's write barrier, storing the constant null does not — and one waiter alone is the
        // common case.
        if (_tail is { } tail)
        {
            node.Previous = tail;
            tail.Next = node;
        }
        else
        {
            node.Previous = null;
            _head = node;
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
        // Null checks before the copies save the write barriers (see Park).
        WaitNode? previous = node.Previous;
        WaitNode? next = node.Next;
        if (previous is null)
        {
            if (next is null)
            {
                _head = null;
            }
            else
            {
                _head = next;
            }
        }
        else
        {
            previous.Next = next;
        }

        if (next is null)
        {
            if (previous is null)
            {
                _tail = null;
            }
            else
            {
                _tail = previous;
            }
        }
        else
        {
            next.Previous = previous;
        }

        node.Previous = null;
        node.Next = null;
        Count--;
    }
}
