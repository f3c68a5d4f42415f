"""Analysts: the backends behind the thinking stages (expand, assess, synthesize)."""
