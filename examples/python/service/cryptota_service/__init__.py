"""cryptota_service: the libcryptota backtesting REST service (FastAPI + SQLAlchemy + Celery).

The service keeps storage (SQLite or PostgreSQL), HTTP and job queues; every computation goes
through :mod:`cryptota_service.engine`, the one module that talks to libcryptota.
"""

__version__ = "0.1.0"
