"""Counts written out as people say them: "1 push", "2 pushes", never "push(es)"."""


def counted(n: int, singular: str, plural: str = "") -> str:
    """`n` with the noun that goes with it; the plural is the singular and an s unless given."""
    return f"{n:,} {singular if n == 1 else plural or f'{singular}s'}"
