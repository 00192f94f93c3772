"""``aigve report RESULTS... --out report.html``: one self-contained HTML page of one or several runs."""
from __future__ import annotations

import argparse
from typing import Any


def add_report_parser(subparsers: Any) -> None:
    """Add the ``report`` command."""
    from aigve.cli.agreement import add_run_args

    p = subparsers.add_parser('report', help='write a self-contained HTML report of one or several runs')
    add_run_args(p)
    p.add_argument('--out', default='report.html', help='the HTML file to write (default report.html)')
    p.add_argument('--video-root', nargs='+', default=[], metavar='DIR',
                   help='folders the per-video paths are relative to (for thumbnails), e.g. DATA_ROOT/videos')
    p.add_argument('--k', type=int, default=3, help='best and worst videos shown per score (default 3)')
    p.add_argument('--frames', type=int, default=5, help='thumbnails per video (default 5)')
    p.add_argument('--title', default='aigve report', help='page title')


def report_command(args: argparse.Namespace) -> int:
    """``aigve report``: build the page and write it atomically."""
    from aigve.cli.agreement import load_runs
    from aigve.tools.metric_names import registered_cards
    from aigve.tools.report import build_report
    from aigve.utils.atomic import atomic_open

    runs, human, options = load_runs(args)
    try:
        cards = registered_cards()
    except Exception:  # load_runs has warned already
        cards = []
    page = build_report(runs, cards=cards, human=human, video_roots=args.video_root, k=args.k,
                        frames=args.frames, agreement_options=options, title=args.title)
    with atomic_open(args.out, 'w') as f:
        f.write(page)
    print(f'wrote {args.out} ({len(page.encode()) / 1024:.0f} KiB)')
    return 0
