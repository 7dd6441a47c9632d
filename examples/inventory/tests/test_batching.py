import pytest

from inventory.batching import batches, count_batches


def test_exact_multiple():
    assert batches([1, 2, 3, 4], 2) == [[1, 2], [3, 4]]


def test_size_must_be_positive():
    with pytest.raises(ValueError):
        batches([1], 0)


def test_count_exact():
    assert count_batches(list(range(6)), 3) == 2
