"""The `<id:...>` path converter: every id in a staff URL, parsed by the shared bounded parser.

Django's `<int:...>` takes any run of digits, and a number past 64 bits then overflows SQLite's
INTEGER in the query (a 500); here such an id, like 0, matches no route: a 404."""

from headend.core.ids import parse_id


class IdConverter:
    regex = "[0-9]+"

    def to_python(self, value: str) -> int:
        pk = parse_id(value)
        if not pk:
            raise ValueError(f"Not an id: {value[:30]!r}")  # Django answers a ValueError here with 404
        return pk

    def to_url(self, value: int | str) -> str:
        return str(value)
