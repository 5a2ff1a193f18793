"""The demo application served by `make run` (see `examples/README.md`)."""
