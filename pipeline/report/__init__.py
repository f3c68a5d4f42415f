"""The report format in one package: the template's labels, rendering (``render``), reading a
report back (``parse``, ``structure``), the hidden metadata comment and the escaping of values."""
