"""Controller names, importable without loading the control stack (the CLI builds its parser
from them, and loading the stack pulls in scipy: seconds on every `gaitway` call)."""

from __future__ import annotations

from typing import Final

CONTROLLERS: Final[tuple[str, ...]] = ("guidance", "path", "aan", "resist")
