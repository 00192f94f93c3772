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

The older client's command lines work too (``--base-url``, ``--stage-dataset``, ``--fps``, ``--cpu``,
``--categories``, ``--cdfvd-resolution``, ``--cdfvd-sequence-length``, ``--cdfvd-single-flavor``, ``--no-help``,
``--local``): any of these selects the older flow, with the older defaults (``--max-seconds 8 --fps 25``,
``--categories distribution_based``, CD-FVD at 224 px / 16 frames): ``/healthz``, ``/help``, then ``/run``
(server paths) or ``/run_upload`` (``--upload-*``), the artifacts saved into ``--save-dir`` from their
``json``/``text`` fields, and the exit code is the answer's ``returncode`` (124: the service stopped waiting;
the job continues, its URL is printed)::

    python scripts/call_aigve_api.py --base-url http://host:2200 --upload-dir ./data --max-seconds 8 --fps 25 \\
        --save-dir ./results
"""
from __future__ import annotations

import argparse
import json
import os
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
    p.add_argument('--url', '--base-url', dest='url', default=os.environ.get('AIGVE_API_URL', 'http://127.0.0.1:2200'),
                   help='service address (default: $AIGVE_API_URL or %(default)s)')
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
    old = p.add_argument_group('the older client\'s options (any of them selects the older /run, /run_upload flow)')
    old.add_argument('--stage-dataset', help='older flow: server folder to stage the dataset in (inside the '
                     "service's output roots)")
    old.add_argument('--fps', type=float, help='older flow: sent as `fps` (the service counts each file\'s real fps)')
    old.add_argument('--cpu', action='store_true', help='older flow: force CPU (same as --use-cpu)')
    old.add_argument('--categories', help='older flow: metric categories, e.g. distribution_based,nn_based_video')
    old.add_argument('--cdfvd-resolution', type=int, help='older flow: CD-FVD resolution (default 224)')
    old.add_argument('--cdfvd-sequence-length', type=int, help='older flow: CD-FVD clip length (default 16)')
    old.add_argument('--cdfvd-single-flavor', action='store_true', help='older flow: one CD-FVD model only')
    old.add_argument('--no-help', action='store_true', help='older flow: skip GET /help')
    old.add_argument('--local', action='store_true', help='older flow: default paths ./data and ./out/staged')
    return p


#: options only the older client has; any of them selects the older flow
LEGACY_ONLY = ('stage_dataset', 'fps', 'cpu', 'categories', 'cdfvd_resolution', 'cdfvd_sequence_length',
               'cdfvd_single_flavor', 'no_help', 'local')


def legacy_mode(args: argparse.Namespace, argv: list[str]) -> bool:
    """Whether the command line is the older client's (an older-only option, or ``--base-url``)."""
    return any(getattr(args, k) not in (None, False) for k in LEGACY_ONLY) or any(
        a == '--base-url' or a.startswith('--base-url=') for a in argv)


def run_legacy(client: AIGVEClient, args: argparse.Namespace) -> int:
    """The older client's flow: healthz, help, /run or /run_upload, save artifacts; exit with ``returncode``."""
    from aigve.client import save_artifacts

    print(json.dumps(client.healthz(), indent=2))
    if not args.no_help:
        help_info = client.legacy_help()
        print('cmd:', help_info.get('cmd'))
        print('\n'.join(help_info.get('stdout', '').splitlines()[:20]))
    max_seconds = 8.0 if args.max_seconds is None else args.max_seconds
    # /run merges categories with metrics (as the older script did): --metrics alone asks for those metrics only
    categories = args.categories or (None if args.metrics else 'distribution_based')
    fields = dict(compute=True, categories=categories,
                  generated_suffixes=args.generated_suffixes or 'synthetic,generated', max_seconds=max_seconds,
                  fps=25.0 if args.fps is None else args.fps, use_cpu=True if (args.cpu or args.use_cpu) else None,
                  cdfvd_resolution=args.cdfvd_resolution or 224, cdfvd_sequence_length=args.cdfvd_sequence_length or 16,
                  cdfvd_all_flavors=not args.cdfvd_single_flavor)
    if args.metrics:
        fields['metrics'] = args.metrics
    if args.metric_options:
        fields['metric_options'] = args.metric_options
    if args.upload_dir or args.upload_files:
        if args.stage_dataset:
            fields['stage_dataset'] = args.stage_dataset
        result = client.legacy_run_upload(args.upload_files or [args.upload_dir], fields)
    else:
        default_in, default_out = ('./data', './out/staged') if args.local else ('/app/data', '/app/out/staged')
        fields.update(input_dir=args.input_dir or default_in, stage_dataset=args.stage_dataset or default_out)
        if args.metric_options:
            fields['metric_options'] = json.loads(args.metric_options)
        result = client.legacy_run({k: v for k, v in fields.items() if v is not None})
    print('cmd:', result.get('cmd'))
    print('returncode:', result.get('returncode'))
    for stream in ('stdout', 'stderr'):
        text = (result.get(stream) or '').rstrip()
        if text:
            print(f'\n{stream} (last 40 lines):\n' + '\n'.join(text.splitlines()[-40:]),
                  file=sys.stderr if stream == 'stderr' else sys.stdout)
    for note in result.get('notes') or []:
        print(f'note: {note}', file=sys.stderr)
    saved = save_artifacts(result, args.save_dir)
    if 'cdfvd_results' in result:
        for model, res in result['cdfvd_results'].items():
            print(f"CD-FVD {model}: {res.get('fvd_score', 'ERROR: ' + str(res.get('error')))}")
    for path in saved:
        print(f'saved {path}', file=sys.stderr)
    rc = result.get('returncode')
    return rc if isinstance(rc, int) else 1


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
    argv = sys.argv[1:] if argv is None else list(argv)
    args = build_parser().parse_args(argv)
    with AIGVEClient(args.url, token=args.token) as client:
        try:
            if legacy_mode(args, argv) and not args.list_metrics:
                return run_legacy(client, args)
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
