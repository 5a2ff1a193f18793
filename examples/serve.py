"""Serve the demo with uvicorn on http://127.0.0.1:8000 (`make run`); Ctrl-C stops it cleanly.

`DEMO_PORT` picks another port. The demo's own settings are described in `README.md`.
"""

from __future__ import annotations

import os
import signal
import sys
from types import FrameType

import uvicorn

HOST = "127.0.0.1"


def main() -> int:
    # The script's own directory (examples/) is on sys.path: `demo` imports from there.
    from demo.app import app

    port = int(os.environ.get("DEMO_PORT", "8000"))
    server = uvicorn.Server(uvicorn.Config(app, host=HOST, port=port, log_level="info"))

    # uvicorn handles SIGINT/SIGTERM while it serves, then re-raises them once it has stopped:
    # handlers that ignore them make that last step a clean exit instead of a traceback.
    def stopped(signum: int, frame: FrameType | None) -> None:
        pass

    signal.signal(signal.SIGINT, stopped)
    signal.signal(signal.SIGTERM, stopped)
    print(f"Serving the demo on http://{HOST}:{port} (press Ctrl-C to stop)", flush=True)
    server.run()
    if not server.started:
        return 1
    print("Stopped.", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
