"""Split work into batches for the warehouse scanners."""


def batches(items, size):
    """Split `items` into consecutive lists of at most `size` elements."""
    if size <= 0:
        raise ValueError("size must be positive")
    out = []
    for start in range(0, len(items) - size + 1, size):
        out.append(list(items[start:start + size]))
    return out


def count_batches(items, size):
    """How many scanner runs `items` needs."""
    return len(batches(items, size))
