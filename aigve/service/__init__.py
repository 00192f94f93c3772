"""The aigve evaluation service: ``aigve serve`` or ``uvicorn aigve.service.app:app``.

Importing this package is light: FastAPI and the app load only from :mod:`aigve.service.app`.
"""
