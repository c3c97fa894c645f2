"""One error tree for the whole library.

Every error the library raises on purpose derives from :class:`MisecError`;
errors from third-party engines are translated at the adapter that calls them
(``raise SomeMisecError(...) from exc``).  Messages are one line, lowercase,
with no trailing period, user input in backticks, and a location where there
is one.  They never contain personal data beyond what the caller passed in.
"""

from __future__ import annotations

__all__ = [
    "AuditError",
    "AuditIntegrityError",
    "DutyError",
    "EngineError",
    "ImageError",
    "ImageTooLarge",
    "InvalidCharacter",
    "InvalidLength",
    "MRZError",
    "MisecError",
    "MissingExtraError",
    "ProfileError",
    "RequestError",
    "RulesetError",
    "UnknownFormat",
]


class MisecError(Exception):
    """Base of every error this library raises on purpose."""


class MissingExtraError(MisecError, ImportError):
    """An optional part was used whose extra is not installed."""

    def __init__(self, feature: str, extra: str) -> None:
        super().__init__(f"{feature} needs the `{extra}` extra: pip install 'misec-rules[{extra}]'")
        self.feature = feature
        self.extra = extra


# --- MRZ text ---------------------------------------------------------------


class MRZError(MisecError, ValueError):
    """Text that cannot be parsed as an MRZ at all.

    ``line`` and ``column`` are 1-based positions in the MRZ, or ``None``
    where the problem is not tied to one position.
    """

    def __init__(self, message: str, *, line: int | None = None, column: int | None = None) -> None:
        super().__init__(message)
        self.line = line
        self.column = column


class InvalidLength(MRZError):
    """A line, or the number of lines, fits no MRZ format."""


class InvalidCharacter(MRZError):
    """A character outside the MRZ set ``A-Z0-9<``."""


class UnknownFormat(MRZError):
    """The text is made of MRZ characters but matches no ICAO 9303 format."""


# --- images and engines -----------------------------------------------------


class ImageError(MisecError, ValueError):
    """An input that cannot be decoded as an image (names the file)."""

    def __init__(self, message: str, *, path: str | None = None) -> None:
        super().__init__(message)
        self.path = path


class ImageTooLarge(ImageError):
    """An image refused before decoding because of its pixel count."""


class EngineError(MisecError, RuntimeError):
    """An OCR or rule engine failed; the original exception is chained."""


# --- authenticity -------------------------------------------------------------


class ProfileError(MisecError, ValueError):
    """An authenticity profile that does not validate (names file and field)."""


# --- sharing rules ------------------------------------------------------------


class RulesetError(MisecError, ValueError):
    """A ruleset that does not validate; the whole ruleset is rejected.

    ``file``, ``line`` and ``path`` (the path inside the document, such as
    ``rules[3].from``) locate the problem where known.
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
        path: str | None = None,
    ) -> None:
        self.reason = message
        self.file = file
        self.line = line
        self.path = path
        where = ""
        if file is not None:
            where = f"{file}"
            if line is not None:
                where += f":{line}"
            where += ": "
        at = f" (at `{path}`)" if path else ""
        super().__init__(f"{where}{message}{at}")


class RequestError(MisecError, ValueError):
    """A sharing request that is not well formed (names the field)."""


class DutyError(MisecError, RuntimeError):
    """The duty monitor could not process an event (names the event id)."""


# --- audit ----------------------------------------------------------------------


class AuditError(MisecError, RuntimeError):
    """The audit log cannot be opened or written."""


class AuditIntegrityError(AuditError):
    """The audit log's hash chain is broken (names the record)."""

    def __init__(self, message: str, *, record: int | None = None) -> None:
        super().__init__(message)
        self.record = record
