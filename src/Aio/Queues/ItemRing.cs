namespace Aio.Queues;

/// <summary>
/// The store of a first-in, first-out queue: a growable ring of items that, unlike
/// <see cref="Queue{T}"/>, can also put an item back at the front — where an item handed to a getter that
/// was then cancelled returns to.
/// </summary>
/// <typeparam name="T">The type of the items.</typeparam>
internal sealed class ItemRing<T>
{
    private T[] _items = [];
    private int _head;
    private int _count;

    internal int Count => _count;

    internal void AddLast(T item)
    {
        if (_count == _items.Length)
        {
            Grow();
        }

        int tail = _head + _count;
        if (tail >= _items.Length)
        {
            tail -= _items.Length;
        }

        _items[tail] = item;
        _count++;
    }

    internal void AddFirst(T item)
    {
        if (_count == _items.Length)
        {
            Grow();
        }

        _head = (_head == 0 ? _items.Length : _head) - 1;
        _items[_head] = item;
        _count++;
    }

    internal T RemoveFirst()
    {
        if (_count == 0)
        {
            throw new InvalidOperationException("The ring is empty.");
        }

        T item = _items[_head];
        _items[_head] = default!;
        _head = _head + 1 == _items.Length ? 0 : _head + 1;
        _count--;
        return item;
    }

    internal void Clear()
    {
        if (_count > 0)
        {
            // Drop the references, so discarded items can be collected.
            Array.Clear(_items);
        }

        _head = 0;
        _count = 0;
    }

    private void Grow()
    {
        var larger = new T[Math.Max(4, _items.Length * 2)];
        for (int i = 0; i < _count; i++)
        {
            int index = _head + i;
            larger[i] = _items[index >= _items.Length ? index - _items.Length : index];
        }

        _items = larger;
        _head = 0;
    }
}
