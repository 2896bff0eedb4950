"""Other tools' log formats: readers and writers that know bytes and text, not sessions.

Each reader returns a :class:`~actelemetry.formats.log.ForeignLog` (the file's own channel
names and units); turning that into a session with the catalogue's names is the job of
:mod:`actelemetry.imports`.
"""
