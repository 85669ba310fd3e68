"""ASGI entry point for production web workers: `uvicorn planlog.api.asgi:app --workers 4`.

These workers serve HTTP only; run exactly one `planlog worker` beside them for the
projections and the reminder scheduler (see README, "Production layout").
"""

from planlog.api.app import create_app

app = create_app(background=False)
