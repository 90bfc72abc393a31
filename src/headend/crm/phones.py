"""Phone numbers: moved to headend.core.phones (the `phone` template filter needs them in core).
Kept as a name for quoting.services, whose owners switch it to core.phones."""

from headend.core.phones import display_phone, normalize_phone

__all__ = ["display_phone", "normalize_phone"]
