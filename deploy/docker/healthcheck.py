"""Container HEALTHCHECK: GET one local URL and exit 0 only on a 2xx answer.

The images hold no curl or wget (less to patch); Python is there anyway. The URL comes from
``INFRAMIND_HEALTHCHECK_URL`` so one image serves the exporter (``/-/healthy``), the agent (``/-/healthy``)
and the analyzer (``/health``).
"""

from __future__ import annotations

import os
import sys
import urllib.error
import urllib.request

DEFAULT_URL = "http://127.0.0.1:10121/-/healthy"
TIMEOUT_S = 5.0


def check(url: str, timeout: float = TIMEOUT_S) -> tuple[bool, str]:
    """(healthy, reason) for one GET of ``url``; loopback only, so a plain http:// URL is expected."""
    if not url.startswith(("http://", "https://")):
        return False, f"not an http(s) URL: {url!r}"
    try:
        with urllib.request.urlopen(url, timeout=timeout) as answer:  # noqa: S310 - scheme checked above
            status = int(answer.status)
    except urllib.error.HTTPError as exc:
        return False, f"{url}: HTTP {exc.code}"
    except (urllib.error.URLError, OSError) as exc:
        return False, f"{url}: {exc}"
    return 200 <= status < 300, f"{url}: HTTP {status}"


def main() -> int:
    healthy, reason = check(os.environ.get("INFRAMIND_HEALTHCHECK_URL", DEFAULT_URL))
    print(reason, file=sys.stdout if healthy else sys.stderr)
    return 0 if healthy else 1


if __name__ == "__main__":
    sys.exit(main())
