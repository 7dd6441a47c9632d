import pytest

from inventory.stock import Stock


def test_add_and_remove():
    s = Stock()
    s.add("apple", 5)
    s.remove("apple", 2)
    assert s.level("apple") == 3


def test_cannot_remove_more_than_stocked():
    s = Stock()
    s.add("pear", 1)
    with pytest.raises(ValueError):
        s.remove("pear", 2)


def test_scan_plan_groups_skus():
    s = Stock()
    for sku in ("c", "a", "b", "d"):
        s.add(sku, 1)
    assert s.scan_plan(2) == [["a", "b"], ["c", "d"]]
