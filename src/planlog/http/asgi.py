"""ASGI entry point for production web workers: `uvicorn planlog.http.asgi:app --workers 4`.

These workers serve HTTP only; run exactly one `planlog worker` beside them for the
projections and the reminder scheduler (see README, "Production layout").
"""

from planlog.heap import freeze_startup_objects
from planlog.http import accesslog
from planlog.http.app import create_app

# uvicorn has configured its loggers by the time it imports this module (in each
# worker process too): from here on, its access log shows no token.
accesslog.install()

app = create_app(background=False)
# Last: what the worker built so far lives as long as it does (planlog.heap).
freeze_startup_objects()
