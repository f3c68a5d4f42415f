"""``python -m pipeline`` is the ``groundbrief`` command group (``python -m pipeline generate …``)."""

from pipeline.cli import groundbrief

groundbrief(prog_name="python -m pipeline")
