"""How names are compared: the same unit written with full-width brackets, spaces or a
trailing full stop is still the same unit."""

import re
import unicodedata

_SPACE = re.compile(r"\s+")
_EDGE_PUNCTUATION = " \t\u3000。.，,、；;：:"


def _fold(value: str) -> str:
    folded = unicodedata.normalize("NFKC", value).lower()
    return _SPACE.sub("", folded).strip(_EDGE_PUNCTUATION)


def normalize_name(value: str) -> str:
    """NFKC (full-width → ASCII brackets and digits), lower case, no whitespace, no edge
    punctuation. Repeated until stable, so that normalising twice changes nothing."""
    current = _fold(value)
    for _ in range(4):
        again = _fold(current)
        if again == current:
            break
        current = again
    return current
