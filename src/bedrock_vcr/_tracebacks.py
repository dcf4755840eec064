"""Which of bedrock-vcr's frames pytest leaves out of a failing test's traceback.

pytest hides a frame whose module globals hold a true ``__tracebackhide__``; when that is a
callable, pytest calls it with the failure's ``ExceptionInfo``. Every module that runs inside
a test imports :func:`hide` under that name, in one line, so a failure reads from the test's
own call straight to the message. ``pytest --full-trace`` shows every frame again.

It imports nothing of the package, so importing it costs nothing.
"""

from __future__ import annotations

from typing import Any

#: Where the exceptions come from whose path through bedrock-vcr tells a user nothing.
_EXPECTED = ("bedrock_vcr.", "botocore.", "aiobotocore.")


def hide(excinfo: Any) -> bool:
    """Hide the frame for bedrock-vcr's errors and warnings, botocore's errors, and assertions.

    Any other exception (a ``TypeError`` from a bug, or whatever a test's ``side_effect``
    raises) keeps the frames, so the report still shows where it came from.
    """
    error = getattr(excinfo, "value", None)
    if error is None or isinstance(error, AssertionError):
        return True
    return type(error).__module__.startswith(_EXPECTED)
