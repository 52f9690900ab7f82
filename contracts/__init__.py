"""Every message that crosses the bus: envelopes, subjects, streams and per-service models.

Pure data, no I/O. JSON Schema and an AsyncAPI document are generated from this package by
``python -m contracts.generate`` into ``contracts/schemas/``.
"""
