"""``aigve agreement RESULTS... [--aspects A...]``: how well each metric agrees with human ratings.

Writes ``agreement.json``, ``agreement.csv`` and ``agreement_heatmap.png`` into ``--out-dir`` and prints the
table. ``RESULTS`` are ``results.json`` files (or run folders), optionally labelled with their generator:
``sora=work_dirs/sora/results.json``.
"""
from __future__ import annotations

import argparse
from typing import Any


def add_run_args(p: argparse.ArgumentParser) -> None:
    """The arguments ``agreement`` and ``report`` share: results, human ratings, bootstrap settings."""
    p.add_argument('results', nargs='+', metavar='RESULTS',
                   help='results.json files or run folders, optionally GENERATOR=PATH')
    p.add_argument('--ann-file', default=None,
                   help="annotation JSON with the human ratings (default: the one each run's dumped config names)")
    p.add_argument('--aspects', nargs='+', default=None, help='human aspects to use (default: all found)')
    p.add_argument('--n-boot', type=int, default=1000, help='bootstrap resamples (default 1000)')
    p.add_argument('--seed', type=int, default=0, help='bootstrap seed (default 0)')
    p.add_argument('--level', type=float, default=0.95, help='interval coverage (default 0.95)')
    p.add_argument('--keep-zero-ratings', action='store_true',
                   help='keep 0 ratings of action_presentence/action_quality (by default 0 = not applicable)')
    p.add_argument('--lower-is-better', nargs='+', default=[], metavar='KEY',
                   help='score keys to negate (besides the metrics whose card says lower is better)')
    p.add_argument('--higher-is-better', nargs='+', default=[], metavar='KEY',
                   help='score keys to use as they are, overriding the cards')


def add_agreement_parser(subparsers: Any) -> None:
    """Add the ``agreement`` command."""
    p = subparsers.add_parser('agreement', help='correlate metric scores with human ratings (AIGVE-Bench)')
    add_run_args(p)
    p.add_argument('--out-dir', default='agreement', help='folder for agreement.json/.csv/_heatmap.png')


def load_runs(args: argparse.Namespace) -> tuple[list[tuple[str, str | None, dict]], dict, dict[str, Any]]:
    """``([(path, label, doc)], human ratings by video, agreement keyword arguments)`` from the parsed args."""
    from aigve.tools.agreement import score_directions
    from aigve.tools.export import read_annotation_meta, read_results, run_dataset_paths, split_label
    from aigve.tools.metric_names import registered_cards

    runs = []
    for arg in args.results:
        label, path = split_label(arg)
        doc = read_results(path)
        runs.append((doc['_path'], label, doc))
    human: dict = {}
    if args.ann_file:
        human = read_annotation_meta(args.ann_file)
    else:  # the annotation each run read, found through the config it dumped beside its results
        for path, _, _ in runs:
            ann = run_dataset_paths(path)['ann_file']
            if ann is not None:
                human.update(read_annotation_meta(ann))
    keys = {k for _, _, doc in runs for k in doc['metrics']}
    try:
        cards = registered_cards()
    except Exception as e:  # a metric module that fails to import must not hide every direction silently
        import sys
        print(f'warning: the metric cards could not be read ({type(e).__name__}: {e}); every score is used as '
              f'reported: pass --lower-is-better KEY for lower-is-better scores', file=sys.stderr)
        cards = []
    overrides = {**{k: 'lower' for k in args.lower_is_better}, **{k: 'higher' for k in args.higher_is_better}}
    options = dict(aspects=args.aspects, directions=score_directions(sorted(keys), cards, overrides),
                   n_boot=args.n_boot, seed=args.seed, level=args.level, keep_zero=args.keep_zero_ratings)
    return runs, human, options


def agreement_command(args: argparse.Namespace) -> int:
    """``aigve agreement``: compute, write the three files, print the table."""
    from pathlib import Path

    from aigve.core.console import format_table
    from aigve.tools.agreement import agreement, format_agreement, plot_heatmap, write_csv
    from aigve.utils.atomic import write_json_atomic

    runs, human, options = load_runs(args)
    result = agreement([(label, doc) for _, label, doc in runs], human=human, **options)
    result['runs'] = [dict(path=path, label=label) for path, label, _ in runs]
    out = Path(args.out_dir)
    write_json_atomic(out / 'agreement.json', result)
    write_csv(result, str(out / 'agreement.csv'))
    plot_heatmap(result, str(out / 'agreement_heatmap.png'))
    print(format_agreement(result, format_table))
    print(f'\nwrote {out / "agreement.json"}, {out / "agreement.csv"} and {out / "agreement_heatmap.png"}')
    return 0
