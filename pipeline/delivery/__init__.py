"""Briefings reach their readers: HTML and PDF renderings of a report as it stands, and delivery by
email, chat and webhook through Apprise URLs (``render``, ``send``, ``generate-report --send`` and the
schedule's delivery step)."""
