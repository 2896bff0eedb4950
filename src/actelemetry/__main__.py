"""``python -m actelemetry``: the same CLI as the ``actelemetry`` command."""

from actelemetry.cli import main

main()
