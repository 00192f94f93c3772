"""``aigve serve``: run the evaluation service with uvicorn."""
from __future__ import annotations

import argparse
import os
from typing import Any


def add_serve_parser(subparsers: Any) -> None:
    """Add the arguments of ``aigve serve``; unset ones come from ``AIGVE_SERVICE_*`` variables."""
    p = subparsers.add_parser('serve', help='run the evaluation service (FastAPI, OpenAPI at /docs)',
                              description='Run the aigve evaluation service. Every setting can also be given as an '
                                          'AIGVE_SERVICE_<NAME> environment variable (see docs/service.md).')
    p.add_argument('--host', default=os.environ.get('AIGVE_SERVICE_HOST', '127.0.0.1'),
                   help='interface to listen on (default: %(default)s; 0.0.0.0 for every interface)')
    p.add_argument('--port', type=int, default=int(os.environ.get('AIGVE_SERVICE_PORT', '2200')),
                   help='port (default: %(default)s)')
    p.add_argument('--data-dir', help='job store, job folders and uploads (default: $AIGVE_HOME/service)')
    p.add_argument('--data-root', action='append', dest='data_roots', metavar='DIR',
                   help='server folder that path jobs may read; repeat for several (default: none)')
    p.add_argument('--output-root', action='append', dest='output_roots', metavar='DIR',
                   help='server folder where the older API\'s out_json / stage_dataset may write; repeat for several '
                        '(default: none, such writes are refused)')
    p.add_argument('--max-workers', type=int, help='jobs running at once (default: 1)')
    p.add_argument('--token', help='require `Authorization: Bearer <token>` (prefer AIGVE_SERVICE_TOKEN)')
    p.add_argument('--max-file-mb', type=float, help='largest uploaded file (default: 512)')
    p.add_argument('--max-request-mb', type=float, help='largest upload request (default: 2048)')
    p.add_argument('--retention-hours', type=float, help='delete finished jobs after this long (0: never)')
    p.add_argument('--auto-resume', action='store_true', default=None,
                   help='requeue jobs interrupted by a restart')
    p.add_argument('--log-level', default='info', help='uvicorn log level (default: %(default)s)')


def run_serve(args: argparse.Namespace) -> int:
    """Start uvicorn on the app; returns when the server stops."""
    import uvicorn

    from aigve.service.app import create_app
    from aigve.service.settings import ServiceSettings

    settings = ServiceSettings.from_env(
        data_dir=args.data_dir, data_roots=args.data_roots, output_roots=args.output_roots,
        max_workers=args.max_workers, token=args.token,
        max_file_mb=args.max_file_mb, max_request_mb=args.max_request_mb, retention_hours=args.retention_hours,
        auto_resume=args.auto_resume)
    uvicorn.run(create_app(settings), host=args.host, port=args.port, log_level=args.log_level)
    return 0
