"""Data sources (local files, S3, GCS, DVC, SQL databases) and the readers built on them.

``spec`` parses a data spec, ``sources`` brings its files to local disk, ``images`` and
``tables`` read and validate the data and split it, ``fingerprint`` identifies what was read.
Every failure caused by the data itself is a ``DataError`` naming the source, the path and what
was wrong.
"""
