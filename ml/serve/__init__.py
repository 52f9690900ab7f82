"""The inference server: ``python -m ml.serve --artifact URI --name NAME``.

It serves one trained model over the Open Inference Protocol (KServe V2 REST, so Triton, KServe and
MLServer clients work), plus ``POST /predict`` for people, Prometheus metrics at ``/metrics`` and
drift statistics at ``/drift``. Requests arriving together are batched into one model call on a
single model thread; the event loop only decodes and encodes.

Modules: ``options`` (command line), ``server`` (process life cycle), ``protocol`` (HTTP/1.1 on
httptools), ``app`` (routes, a plain ASGI app), ``service`` (what requests mean), ``tensors`` (OIP
codec), ``inputs`` (per model type), ``images`` (PNG and pixel lists), ``batching``, ``engine`` (the
model thread's work), ``monitor`` (drift), ``metrics``, ``errors``.
"""
