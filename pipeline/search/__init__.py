"""Search backends: where evidence comes from."""
