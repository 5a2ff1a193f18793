"""Settings of the demo, read by `Config` from the environment and an optional `.env` file.

Every key carries the `DEMO_` prefix, in the environment as in the file, so a stray `DEBUG` or
`SECRET_KEY` of the surrounding shell never leaks into the demo.
"""

from __future__ import annotations

import os
from pathlib import Path

from starlette.config import Config
from starlette.datastructures import CommaSeparatedStrings, Secret

HERE = Path(__file__).resolve().parent

# The file itself is optional: a fresh clone has none and runs on the defaults below.
ENV_FILE = Path(os.environ.get("DEMO_ENV_FILE", HERE.parent / ".env"))
config = Config(ENV_FILE if ENV_FILE.is_file() else None, env_prefix="DEMO_")

DEBUG = config("DEBUG", cast=bool, default=False)
SITE_NAME = config("SITE_NAME", default="Starlette demo")
# The default only suits a local demo: any deployment must set its own.
SECRET_KEY = config("SECRET_KEY", cast=Secret, default="demo-only-insecure-secret-key")
ALLOWED_HOSTS = config(
    "ALLOWED_HOSTS", cast=CommaSeparatedStrings, default="127.0.0.1,localhost,::1"
)
# The one other origin whose pages may call the JSON API from a browser.
CORS_ORIGIN = config("CORS_ORIGIN", default="http://localhost:3000")
MAX_UPLOAD_SIZE = config("MAX_UPLOAD_SIZE", cast=int, default=32 * 1024 * 1024)
