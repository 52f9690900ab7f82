"""The ``mlops`` command: run the whole platform on one machine, and ask how it is doing."""
