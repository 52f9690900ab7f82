"""The platform's service processes and their shared runtime (``services.kit``)."""
