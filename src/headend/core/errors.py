"""Domain errors: raised by use cases, rendered by views as form errors and by the API as TMF errors."""


class DomainError(Exception):
    status, code = 400, "invalid"

    def __init__(self, message: str, *, field: str | None = None, code: str | None = None):
        super().__init__(message)
        self.message, self.field, self.code = message, field, code or self.code


class ValidationError(DomainError):
    """Bad input; names the field at fault."""


class NotFound(DomainError):
    status, code = 404, "not_found"


class Conflict(DomainError):
    """The change is not allowed in the record's present state."""

    status, code = 409, "conflict"


class Forbidden(DomainError):
    """The user's role may not do this."""

    status, code = 403, "forbidden"
