"""dsfix.envs.layers: layered, content-hashed images (base -> environment -> instance)."""
