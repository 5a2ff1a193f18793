"""The `starlette` package of the starlette-* family, owned by starlette-core.

Every distribution of the family installs modules into `starlette/` and depends on starlette-core,
so this file is there whatever subset is installed. Installed from wheels they all share one
directory; installed editable (one `src/starlette` per distribution) the loop below joins the
other directories, as `pkgutil.extend_path` would, without importing pkgutil.
"""

import os as _os
import sys as _sys

# The Starlette API level the family implements: version checks in other libraries (Sentry's
# integrations, Rollbar, ...) read it to pick their code path.
__version__ = "1.10.0"
# The family's own release (the version of every starlette-* distribution; scripts/set_version.py
# writes it). Upstream's `starlette/__init__.py` has no such name: see `python -m starlette`.
__family_version__ = "0.1.0"


# What the loop below does is the pkgutil idiom, which static tools look for to treat this as a
# namespace package spread over several directories (griffe, which builds the API reference):
#     __path__ = __import__("pkgutil").extend_path(__path__, __name__)
# It is written as a loop because importing pkgutil costs about 2.5 ms on every start-up.


def _join_portions(path: list[str]) -> None:
    for entry in _sys.path:
        portion = _os.path.join(entry, __name__)
        if portion not in path and _os.path.isdir(portion):
            path.append(portion)


_join_portions(__path__)
del _join_portions
