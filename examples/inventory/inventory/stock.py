"""Stock levels per SKU."""
from .batching import batches


class Stock:
    def __init__(self):
        self._levels = {}

    def add(self, sku, qty):
        if qty < 0:
            raise ValueError("qty must be non-negative")
        self._levels[sku] = self._levels.get(sku, 0) + qty

    def remove(self, sku, qty):
        have = self._levels.get(sku, 0)
        if qty > have:
            raise ValueError(f"only {have} of {sku} in stock")
        self._levels[sku] = have - qty

    def level(self, sku):
        return self._levels.get(sku, 0)

    def scan_plan(self, size):
        """SKUs grouped into scanner batches, in a stable order."""
        return batches(sorted(self._levels), size)
