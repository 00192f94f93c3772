"""Call an aigve service: submit server paths or upload videos, follow the job, save the results.

Examples::

    # videos already on the server (inside its data roots)
    python scripts/call_aigve_api.py --url http://host:2200 --input-dir /data/clips --metrics TemporalFlickering
    python scripts/call_aigve_api.py --ann-file /data/set/annotations/evaluate.json --data-root /data/set \\
        --metrics TemporalFlickering
    # upload a folder or files from this machine
    python scripts/call_aigve_api.py --upload-dir clips/ --metrics TemporalFlickering --save-dir results/
    python scripts/call_aigve_api.py --upload-files a.mp4 a_synthetic.mp4 --max-seconds 4

The token comes from ``--token`` or ``$AIGVE_API_TOKEN``. Results go to ``<save-dir>/<job id>_results.json``
(and the job record to ``<job id>_job.json``). Exit code 0 when the job succeeded.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing

import httpx

from aigve.client import AIGVEClient, ServiceError


def build_parser() -> argparse.ArgumentParser:
    """Arguments of the client script."""
    p = argparse.ArgumentParser(description=__doc__.split('Examples::')[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog='Examples::' + __doc__.split('Examples::')[1])
    p.add_argument('--url', default='http://127.0.0.1:2200', help='service address (default: %(default)s)')
    p.add_argument('--token', help='bearer token (default: $AIGVE_API_TOKEN)')
    src = p.add_mutually_exclusive_group()
    src.add_argument('--input-dir', help='server folder of videos to pair by name')
    src.add_argument('--ann-file', help='server annotation JSON')
    src.add_argument('--upload-dir', help='local folder whose videos are uploaded')
    src.add_argument('--upload-files', nargs='+', help='local video files to upload')
    p.add_argument('--data-root', help='with --ann-file: folder its paths are relative to')
    p.add_argument('--metrics', default='', help='comma-separated metric names (see --list-metrics)')
    p.add_argument('--config', help='name of a config in the server\'s configs/ instead of --metrics')
    p.add_argument('--metric-options', help='JSON object: metric name -> options')
    p.add_argument('--max-seconds', type=float, help='first seconds of each video (real fps)')
    p.add_argument('--generated-suffixes', help='comma-separated suffixes of generated videos')
    p.add_argument('--pairing', choices=['auto', 'pairs', 'none'], help='how videos are paired (default: auto)')
    p.add_argument('--use-cpu', action='store_true', help='ask the service to run on CPU')
    p.add_argument('--save-dir', default='results', help='where results are saved (default: %(default)s)')
    p.add_argument('--poll', type=float, default=1.0, help='seconds between polls (default: %(default)s)')
    p.add_argument('--no-wait', action='store_true', help='submit, print the job and exit')
    p.add_argument('--list-metrics', action='store_true', help='print the registered metrics and exit')
    return p


def _progress_bar() -> tuple:
    from tqdm import tqdm

    bar = tqdm(total=0, unit='video', file=sys.stderr, dynamic_ncols=True)

    def update(job: dict) -> None:
        progress = job['progress']
        bar.total = progress['total']
        bar.n = progress['done']
        bar.set_description(job['state'])
        bar.refresh()

    return bar, update


def main(argv: list[str] | None = None) -> int:
    """Run the client; return the exit code."""
    args = build_parser().parse_args(argv)
    with AIGVEClient(args.url, token=args.token) as client:
        try:
            health = client.healthz()
            print(f"service {args.url}: aigve {health['versions']['aigve']}, device {health.get('device')}",
                  file=sys.stderr)
            if args.list_metrics:
                print(json.dumps(client.metrics(), indent=2))
                return 0
            options = dict(config=args.config, max_seconds=args.max_seconds, pairing=args.pairing,
                           use_cpu=args.use_cpu or None)
            metrics = [m for m in args.metrics.split(',') if m.strip()]
            metric_options = json.loads(args.metric_options) if args.metric_options else None
            suffixes = args.generated_suffixes
            if args.upload_dir or args.upload_files:
                job = client.submit_upload(args.upload_files or [args.upload_dir], metrics=metrics,
                                           metric_options=metric_options, generated_suffixes=suffixes, **options)
            elif args.input_dir or args.ann_file:
                job = client.submit(ann_file=args.ann_file, data_root=args.data_root, input_dir=args.input_dir,
                                    metrics=metrics, metric_options=metric_options,
                                    generated_suffixes=suffixes.split(',') if suffixes else None, **options)
            else:
                build_parser().error('give --input-dir, --ann-file, --upload-dir or --upload-files')
            print(f"job {job['id']}: {job['state']} ({job['progress']['total']} videos)", file=sys.stderr)
            if args.no_wait:
                print(json.dumps(job, indent=2))
                return 0
            bar, update = _progress_bar()
            try:
                job = client.wait(job['id'], poll=args.poll, on_progress=update)
            finally:
                bar.close()
            save = Path(args.save_dir)
            save.mkdir(parents=True, exist_ok=True)
            (save / f"{job['id']}_job.json").write_text(json.dumps(job, indent=2))
            if job['state'] != 'succeeded':
                print(f"job {job['id']} {job['state']}: {job.get('error')}", file=sys.stderr)
                return 1
            results = client.results(job['id'])
            out = save / f"{job['id']}_results.json"
            out.write_text(json.dumps(results, indent=2))
            for key, value in results['metrics'].items():
                print(f'{key}: {value:.6g}')
            n = results['num_videos']
            print(f"scored {n['scored']} videos, {n['failed']} failed -> {out}", file=sys.stderr)
            return 0
        except (ServiceError, httpx.HTTPError, OSError, ValueError) as e:
            print(f'call_aigve_api: error: {e}', file=sys.stderr)
            return 1


if __name__ == '__main__':
    sys.exit(main())
