"""Workloads of the platform: the model catalog, data sources, the trainer and the predictors.

Nothing here knows of NATS or the services. ``ml.catalog`` imports without torch, numpy or pandas
so that services can read it; every other module may need the ``ml`` extra.
"""
