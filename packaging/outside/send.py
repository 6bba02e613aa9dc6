"""A program outside the checkout, run with the Python of a fresh venv that
installed coveo_ua: it must load the venv's own copy of the library (no
COVEO_UA_LIBRARY) and send two custom events marked MARKER-1 and MARKER-2 to
UA_ENDPOINT. Used by packaging/test-python-wheel.sh and test-python-dist.sh.
Usage: python send.py MARKER
"""

import os
import platform
import sys
from pathlib import Path

import coveo_ua

marker = sys.argv[1]
assert "COVEO_UA_LIBRARY" not in os.environ
library = Path(coveo_ua.LIBRARY_PATH).resolve()
assert library.is_relative_to(Path(sys.prefix).resolve()), f"loaded {library}, not the venv's copy"
print(f"{platform.machine()}: coveo_ua {coveo_ua.__file__} loads {library}")
with coveo_ua.Client(os.environ["UA_TOKEN"], endpoint=os.environ["UA_ENDPOINT"], org=os.environ["UA_ORG"]) as client:
    for i in (1, 2):
        result = client.send_custom({"eventType": "outside", "eventValue": f"{marker}-{i}", "language": "en"})
        print(f"event {i}: HTTP {result.http_status}, visitor {result.visitor_id}")
