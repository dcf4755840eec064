"""Cassettes: the recorded interactions (:mod:`.records`), a cassette in use with its record
mode and matching (:mod:`.cassette`, :mod:`.matching`), the YAML format and its bodies, the
readers of other recorders' files (:mod:`.vcrpy`), storage (locked, atomic writes, the parse
cache), the secret scan and redaction, and where a test's cassette lives (:mod:`.paths`).
Nothing here knows botocore."""
