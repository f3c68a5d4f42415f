"""Editors' drafts: read a hand-edited report back, check it, refresh it, and compare versions."""
