"""The ``application/vnd.amazon.eventstream`` codec (:mod:`.eventstream`): frames, typed headers
and CRCs, with no botocore and no I/O. The bottom of the package but for the errors."""
