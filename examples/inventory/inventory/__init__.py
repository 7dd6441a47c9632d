"""A tiny inventory library: the example repository dsfix repairs in the README."""
