"""The WSGI application the pre-fork server tests run, written as a user
would: one coveo_ua.Queue at module level, one event enqueued per request.

Configured by the environment the test gives the server: PREFORK_ENDPOINT,
PREFORK_TOKEN, and PREFORK_SPOOL_DIR when the workers share a spool. A
request's query string is the event's eventValue. The answer is 200 with the
worker's process id, or 500 with the exception's class and message.
"""

import json
import os
import time

import coveo_ua

_options = {
    "workers": 2,
    # Short pauses, so that a test's outage ends soon after the service is back.
    "queue_backoff": (0.05, 0.5),
    "backoff": (0.005, 0.02),
    "max_retries": 1,
    # Generous: on a busy machine a slow answer must not be taken for a lost
    # one and sent again (the tests count each event exactly once).
    "timeout": 10.0,
    "deadline": 30.0,
    "close_timeout": 5.0,
}
if os.environ.get("PREFORK_SPOOL_DIR"):
    _options["spool_dir"] = os.environ["PREFORK_SPOOL_DIR"]

queue = coveo_ua.Queue(os.environ["PREFORK_TOKEN"], os.environ["PREFORK_ENDPOINT"], **_options)


def application(environ, start_response):
    if environ.get("PATH_INFO") == "/ready":
        # Answered without touching the queue: a worker's first use starts it.
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ready"]
    if environ.get("PATH_INFO") == "/counters":
        body = json.dumps({"pid": os.getpid(), **queue.counters.__dict__}).encode()
        start_response("200 OK", [("Content-Type", "application/json")])
        return [body]
    value = environ.get("QUERY_STRING", "")
    # Holds the worker a moment, so that requests sent at once spread over
    # every worker (a sync worker serves one at a time).
    time.sleep(0.01)
    try:
        queue.enqueue_custom({"eventType": "prefork", "eventValue": value, "language": "en"})
    except Exception as error:  # the test reads what went wrong from the answer
        start_response("500 Internal Server Error", [("Content-Type", "text/plain")])
        return [f"{type(error).__name__}: {error}".encode()]
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [str(os.getpid()).encode()]
