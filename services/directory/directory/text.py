"""Text PostgreSQL can store: it refuses the NUL character in text columns, and names with
control characters are never what a person meant. Used as `pattern=` in request models."""

# No C0 control characters except tab, newline and carriage return, and no DEL.
PRINTABLE = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"
# Only NUL excluded: for secrets and search terms that are compared, not shown.
NO_NUL = r"^[^\x00]*$"


def storable(value: str) -> bool:
    return "\x00" not in value
