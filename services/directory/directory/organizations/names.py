"""How names are compared: the same unit written with full-width brackets, spaces or a
trailing full stop is still the same unit."""

import re
import unicodedata

_SPACE = re.compile(r"\s+")
_EDGE_PUNCTUATION = " \t\u3000。.，,、；;：:"


def normalize_name(value: str) -> str:
    """NFKC (full-width → ASCII brackets and digits), no whitespace, no edge punctuation."""
    folded = unicodedata.normalize("NFKC", value)
    return _SPACE.sub("", folded).strip(_EDGE_PUNCTUATION).lower()
