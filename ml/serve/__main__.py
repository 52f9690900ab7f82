"""``python -m ml.serve --artifact URI --name NAME [...]``: see ``ml.serve.options`` for the flags."""

from __future__ import annotations

import logging
import sys

from ml.serve import options, server


def main(argv: list[str] | None = None) -> int:
    parsed = options.parse(argv)
    logging.basicConfig(
        stream=sys.stderr, level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    return server.run(parsed)


if __name__ == "__main__":
    sys.exit(main())
