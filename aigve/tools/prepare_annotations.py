"""``scripts/prepare_annotations.py``: pair a mixed folder, write the annotation, optionally stage and evaluate.

Examples::

    python scripts/prepare_annotations.py --input-dir clips/                # -> clips/annotations.json
    python scripts/prepare_annotations.py --input-dir clips/ --stage-dataset staged/ --link
    python scripts/prepare_annotations.py --input-dir clips/ --compute --metrics TemporalFlickering \\
        --max-seconds 4 --work-dir work_dirs/clips
    python scripts/prepare_annotations.py --list-metrics

``--max-seconds S`` keeps the first ``S`` seconds of each video at the file's own frame rate. It is not done by
re-encoding: the annotation records it (``metainfo.max_seconds``), the summary lists each file's frames, fps
and the frames kept, and ``--compute`` applies it as ``SampleFrames(max_seconds=S)`` in the run's pipeline,
so the decoded frames are exactly the file's first ``floor(S * fps)`` frames.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from aigve.tools.pairing import PAIRING_MODES, parse_suffixes, probe_videos, scan_folder, select_entries


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``prepare_annotations.py`` (also shown by the service's ``GET /help``)."""
    p = argparse.ArgumentParser(
        prog='prepare_annotations.py', formatter_class=argparse.RawDescriptionHelpFormatter,
        description='Pair generated videos with their references by file name (4056.mp4 + 4056_synthetic.mp4, '
                    '4056-generated.mov), write the annotation JSON, optionally stage a dataset folder and '
                    'evaluate metrics with `aigve run`.', epilog=__doc__.split('Examples::', 1)[1])
    p.add_argument('--input-dir', help='folder holding generated and reference videos side by side')
    p.add_argument('--out-json', help='annotation to write (default: <input-dir>/annotations.json)')
    p.add_argument('--generated-suffixes', default='synthetic,generated',
                   help='comma-separated suffixes of generated videos; _ and - forms (default: %(default)s)')
    p.add_argument('--pairing', choices=PAIRING_MODES, default='auto',
                   help="'pairs': pairs only; 'none': every video, no references; 'auto': pairs plus generated "
                        "videos without reference, or every video when no file has a generated suffix")
    p.add_argument('--stage-dataset', metavar='DST', help='copy the videos to DST/evaluate/ and write '
                   'DST/annotations/evaluate.json')
    p.add_argument('--link', action='store_true', help='with --stage-dataset: symlink instead of copying')
    p.add_argument('--max-seconds', type=float, help='evaluate only the first S seconds of each video '
                   '(at its real fps; recorded in the annotation, applied by --compute)')
    p.add_argument('--compute', action='store_true', help='evaluate the metrics with `aigve run`')
    p.add_argument('--metrics', help='comma-separated metrics for --compute (registry key or prefix, or the older '
                   "names fid, is, fvd, gstvqa, simplevqa, lightvqa+; 'all' = FID, IS, FVD, the default when neither "
                   '--metrics nor --categories is given)')
    p.add_argument('--categories', help='comma-separated families for --compute: distribution, video_quality, '
                   'text_video, vbench (older names distribution_based, nn_based_video accepted)')
    p.add_argument('--work-dir', help='folder of the --compute run (default: <annotation folder>/aigve_run)')
    p.add_argument('--device', help="force a device for --compute, e.g. 'cpu' (hides CUDA from the run)")
    p.add_argument('--list-metrics', action='store_true', help='list the registered metrics and exit')
    old = p.add_argument_group("the older script's options")
    old.add_argument('--max-len', type=int, help='evaluate only the first N frames of each video (overridden by '
                     '--max-seconds)')
    old.add_argument('--fps', type=float, default=25.0, help='with --max-seconds: the frame rate assumed for a '
                     "file whose own rate is unknown; every other file uses its real fps (default: %(default)s)")
    old.add_argument('--pad', action='store_true', help='with --max-len: pad shorter videos to N frames (by repeating '
                     'the last frame)')
    old.add_argument('--use-cpu', action='store_true', help='same as --device cpu')
    for flag, metric in LEGACY_MODEL_FLAGS.items():
        old.add_argument(flag, metavar='PATH', help=f'checkpoint of {metric} (its `model_path`)')
    old.add_argument('--lightvqa-plus-swin', metavar='PATH', help='accepted and unused: our LightVQAPlus has no '
                     'separate Swin checkpoint')
    return p


#: the older script's checkpoint options -> the metric whose ``model_path`` they set
LEGACY_MODEL_FLAGS = {'--fvd-model': 'FVD', '--gstvqa-model': 'GSTVQA', '--simplevqa-model': 'SimpleVQA',
                      '--lightvqa-plus-model': 'LightVQAPlus'}


def _list_metrics() -> int:
    from aigve.tools.metric_names import legacy_metrics_text, registered_cards

    print(legacy_metrics_text(), end='')  # the older script's listing, then ours
    print('Registered metrics:')
    for c in registered_cards():
        flags = [f for f in ('needs_reference', 'needs_prompt', 'set_level') if c.get(f)]
        print(f"{c['name']:<24} {c.get('family', ''):<14} {', '.join(flags) or '-':<30} {c.get('summary', '')}")
    return 0


def _report(result, info: dict[str, dict], max_seconds: float | None, fallback_fps: float = 25.0) -> None:
    from aigve.utils.frames import frames_within_seconds

    print(f'{len(result.pairs)} pairs', file=sys.stderr)
    for label, names in (('generated without reference', result.no_reference),
                         ('reference without generated', result.no_generated), ('not a video', result.ignored)):
        if names:
            print(f'{label} ({len(names)}): {", ".join(names)}', file=sys.stderr)
    for ref, gens in result.shared.items():
        print(f'reference {ref} is shared by {", ".join(gens)} (all pairs kept)', file=sys.stderr)
    for name, i in info.items():
        if 'error' in i:
            print(f'unreadable: {i["error"]}', file=sys.stderr)
        elif max_seconds is not None and not i.get('fps'):
            kept = min(i['num_frames'], max(1, round(max_seconds * fallback_fps)))
            print(f'{name}: {i["num_frames"]} frames, frame rate unknown: keeping the first {kept} '
                  f'({max_seconds:g} s at --fps {fallback_fps:g})', file=sys.stderr)
        elif max_seconds is not None:
            kept = frames_within_seconds(i['num_frames'], i['fps'], max_seconds)
            print(f'{name}: {i["num_frames"]} frames at {i["fps"]:.3f} fps, keeping the first {kept} '
                  f'({max_seconds:g} s at the file\'s own fps)', file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the script; return the exit code."""
    from aigve.tools.pairing import build_annotation, stage_dataset, write_annotation

    args = build_parser().parse_args(argv)
    if args.list_metrics:
        return _list_metrics()
    if not args.input_dir:
        build_parser().error('--input-dir is required (or --list-metrics)')
    if args.link and not args.stage_dataset:
        build_parser().error('--link needs --stage-dataset')
    if args.max_seconds is not None and args.max_seconds <= 0:
        build_parser().error(f'--max-seconds must be positive, but got {args.max_seconds}')
    if args.max_len is not None and args.max_len <= 0:
        build_parser().error(f'--max-len must be positive, but got {args.max_len}')
    if args.fps is not None and args.fps <= 0:
        build_parser().error(f'--fps must be positive, but got {args.fps}')
    if args.lightvqa_plus_swin:
        print('warning: --lightvqa-plus-swin is not used: our LightVQAPlus loads no separate Swin checkpoint',
              file=sys.stderr)
    input_dir = Path(args.input_dir)
    suffixes = parse_suffixes(args.generated_suffixes)
    result = scan_folder(input_dir, suffixes)
    entries = select_entries(result, args.pairing)
    names = sorted({e[k] for e in entries for k in ('video_path_pd', 'video_path_gt') if e.get(k)})
    info = probe_videos(input_dir, names) if args.max_seconds is not None else {}
    _report(result, info, args.max_seconds, args.fps)
    args.unknown_fps = any(not i.get('fps') for i in info.values() if 'error' not in i)
    if not entries:
        print(f'error: no video to evaluate in {input_dir} (suffixes: {", ".join(suffixes)})', file=sys.stderr)
        return 1
    meta = dict(generated_suffixes=suffixes, max_seconds=args.max_seconds,
                unpaired=dict(no_reference=result.no_reference, no_generated=result.no_generated))
    if args.stage_dataset:
        ann_path = stage_dataset(input_dir, entries, args.stage_dataset, link=args.link, **meta)
        data_root = Path(args.stage_dataset)
        print(f'Staged dataset at: {Path(args.stage_dataset).resolve()}', file=sys.stderr)
    else:
        ann_path = Path(args.out_json) if args.out_json else input_dir / 'annotations.json'
        write_annotation(ann_path, build_annotation(entries, name=input_dir.resolve().name, **meta))
        data_root = input_dir
    print(f'annotation: {ann_path.resolve()} ({len(entries)} entries)', file=sys.stderr)
    print(json.dumps(dict(annotation=str(ann_path.resolve()), **result.summary())))
    if not args.compute:
        return 0
    return _compute(args, data_root, ann_path, any('video_path_gt' in e for e in entries))


def _compute(args: argparse.Namespace, data_root: Path, ann_path: Path, has_reference: bool) -> int:
    """Evaluate with :func:`aigve.core.evaluate.evaluate_config` (what ``aigve run`` and ``main_aigve.py`` run)."""
    from aigve.core.evaluate import evaluate_config
    from aigve.tools.metric_names import expand_metric_request, registered_cards
    from aigve.tools.run_config import metric_entry, write_run_config

    cards = registered_cards()
    metrics = args.metrics if (args.metrics or args.categories) else 'all'  # the older script's default
    names = expand_metric_request(metrics, args.categories, cards)
    needs_ref = any(c.get('needs_reference') for c in cards if c['name'] in names)
    work_dir = Path(args.work_dir) if args.work_dir else ann_path.parent / 'aigve_run'
    options: dict[str, dict] = {}
    for flag, metric in LEGACY_MODEL_FLAGS.items():
        value = getattr(args, flag[2:].replace('-', '_'))
        if value and metric in names:
            options[metric] = dict(model_path=str(Path(value).expanduser().resolve()))
        elif value:
            print(f'warning: {flag} is not used: {metric} is not among the metrics ({", ".join(names)})',
                  file=sys.stderr)
    frames: dict = dict(max_seconds=args.max_seconds)
    if args.max_seconds is not None and getattr(args, 'unknown_fps', False):
        frames.update(num_frames=max(1, round(args.max_seconds * args.fps)), strategy='first')
    elif args.max_seconds is None and args.max_len:
        frames.update(num_frames=args.max_len, strategy='first', pad='repeat_last' if args.pad else None)
        print(f'--max-len {args.max_len}: the first {args.max_len} frames of each video'
              + (' (shorter ones padded by repeating the last frame)' if args.pad else ''), file=sys.stderr)
    config = write_run_config(work_dir / 'inputs' / 'run_config.py', data_root=str(data_root.resolve()),
                              ann_file=str(ann_path.resolve()),
                              metrics=[metric_entry(n, options.get(n)) for n in names],
                              with_reference=needs_ref and has_reference, **frames)
    if args.device == 'cpu' or args.use_cpu:
        os.environ['CUDA_VISIBLE_DEVICES'] = ''
    print(f'evaluating {", ".join(names)}: aigve run {config} --work-dir {work_dir}', file=sys.stderr)
    results = evaluate_config(config, work_dir=str(work_dir))
    for key, value in results['metrics'].items():
        print(f'{key}: {value:.6g}', file=sys.stderr)
    n = results['num_videos']
    print(f"scored {n['scored']} videos, {n['failed']} failed -> {work_dir / 'results.json'}", file=sys.stderr)
    return 0
