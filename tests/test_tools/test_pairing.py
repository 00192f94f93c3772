"""Pairing generated and reference videos by name; the prepare_annotations script; run configs."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers.videos import synthetic_frames, write_video

from aigve.tools.pairing import pair_names, select_entries, suffix_tokens
from aigve.tools.prepare_annotations import main as prepare_main
from aigve.tools.run_config import metric_entry, write_run_config


def test_mixed_suffixes_containers_and_cases():
    names = ['4056.mp4', '4056_synthetic.mp4', '4056-generated.mov', '77.MKV', '77_Synthetic.webm',
             'clip-GENERATED.Mp4', 'clip.avi', 'lonely_generated.mp4', 'ref_only.mp4', 'notes.txt',
             'photosynthetic.mp4']
    r = pair_names(names)
    pairs = {(p.generated, p.reference) for p in r.pairs}
    assert pairs == {('4056_synthetic.mp4', '4056.mp4'), ('4056-generated.mov', '4056.mp4'),
                     ('77_Synthetic.webm', '77.MKV'), ('clip-GENERATED.Mp4', 'clip.avi')}
    # nothing is dropped silently
    assert r.no_reference == ['lonely_generated.mp4']
    assert r.no_generated == ['photosynthetic.mp4', 'ref_only.mp4']  # the bare form 'photo'+'synthetic' is no match
    assert r.ignored == ['notes.txt']
    assert r.shared == {'4056.mp4': ['4056-generated.mov', '4056_synthetic.mp4']}


def test_reference_container_preference():
    r = pair_names(['a.avi', 'a.mov', 'a.mp4', 'a_synthetic.mov', 'b.webm', 'b.mp4', 'b-generated.mkv'])
    assert {(p.generated, p.reference) for p in r.pairs} == {('a_synthetic.mov', 'a.mov'),
                                                            ('b-generated.mkv', 'b.mp4')}
    assert r.no_generated == ['a.avi', 'a.mp4', 'b.webm']


def test_custom_suffixes_and_tokens():
    assert suffix_tokens(['fake', '_gen']) == ['_fake', '-fake', '_gen']
    r = pair_names(['x.mp4', 'x_fake.mp4', 'x_synthetic.mp4'], suffixes=['fake'])
    assert [(p.generated, p.reference) for p in r.pairs] == [('x_fake.mp4', 'x.mp4')]
    assert r.no_generated == ['x_synthetic.mp4']
    with pytest.raises(ValueError, match='generated_suffixes'):
        suffix_tokens([' ', ''])


def test_select_entries_modes():
    r = pair_names(['a.mp4', 'a_synthetic.mp4', 'b_generated.mp4', 'c.mp4'])
    assert select_entries(r, 'pairs') == [dict(video_path_pd='a_synthetic.mp4', video_path_gt='a.mp4')]
    assert select_entries(r, 'auto') == [dict(video_path_pd='a_synthetic.mp4', video_path_gt='a.mp4'),
                                         dict(video_path_pd='b_generated.mp4')]
    assert [e['video_path_pd'] for e in select_entries(r, 'none')] == ['a.mp4', 'a_synthetic.mp4',
                                                                      'b_generated.mp4', 'c.mp4']
    # no generated suffix anywhere: every video is a generated video
    plain = pair_names(['x.mp4', 'y.mov'])
    assert select_entries(plain) == [dict(video_path_pd='x.mp4'), dict(video_path_pd='y.mov')]
    with pytest.raises(ValueError, match='pairing'):
        select_entries(r, 'everything')


@pytest.fixture(scope='module')
def mixed_dir(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp('mixed')
    frames = synthetic_frames(12, 32, 32)
    write_video(d / '4056.mp4', frames, fps=8)
    write_video(d / '4056_synthetic.mp4', frames[::-1].copy(), fps=8)
    write_video(d / '77.mov', frames, fps=4)
    write_video(d / '77-Generated.mov', frames, fps=4)
    write_video(d / 'orphan_generated.mp4', frames, fps=8)
    (d / 'readme.txt').write_text('not a video')
    return d


def test_script_writes_annotation_and_lists_unpaired(mixed_dir, tmp_path, capsys):
    out = tmp_path / 'ann.json'
    assert prepare_main(['--input-dir', str(mixed_dir), '--out-json', str(out), '--pairing', 'pairs']) == 0
    ann = json.loads(out.read_text())
    assert ann['data_list'] == [dict(video_path_pd='77-Generated.mov', video_path_gt='77.mov'),
                                dict(video_path_pd='4056_synthetic.mp4', video_path_gt='4056.mp4')]
    assert ann['metainfo']['length'] == 2
    assert ann['metainfo']['unpaired']['no_reference'] == ['orphan_generated.mp4']
    err = capsys.readouterr().err
    assert 'generated without reference (1): orphan_generated.mp4' in err
    assert 'not a video (1): readme.txt' in err


@pytest.mark.parametrize('link', [False, True])
def test_stage_dataset_copy_and_link(mixed_dir, tmp_path, link):
    dst = tmp_path / 'staged'
    args = ['--input-dir', str(mixed_dir), '--stage-dataset', str(dst)] + (['--link'] if link else [])
    assert prepare_main(args) == 0
    ann = json.loads((dst / 'annotations' / 'evaluate.json').read_text())
    assert {e['video_path_pd'] for e in ann['data_list']} == {
        'evaluate/4056_synthetic.mp4', 'evaluate/77-Generated.mov', 'evaluate/orphan_generated.mp4'}
    for e in ann['data_list']:
        for key in ('video_path_pd', 'video_path_gt'):
            if key in e:
                staged = dst / e[key]
                assert staged.is_symlink() == link
                assert staged.read_bytes() == (mixed_dir / Path(e[key]).name).read_bytes()
    assert not (dst / 'evaluate' / 'readme.txt').exists()


def test_max_seconds_uses_real_fps(mixed_dir, tmp_path, capsys):
    out = tmp_path / 'ann.json'
    assert prepare_main(['--input-dir', str(mixed_dir), '--out-json', str(out), '--max-seconds', '1']) == 0
    assert json.loads(out.read_text())['metainfo']['max_seconds'] == 1.0
    err = capsys.readouterr().err
    # 12 frames each: the 8 fps file keeps 8 frames in 1 s, the 4 fps file keeps 4
    assert '4056.mp4: 12 frames at 8.000 fps, keeping the first 8' in err
    assert '77-Generated.mov: 12 frames at 4.000 fps, keeping the first 4' in err


def test_compute_runs_aigve_run_with_max_seconds(mixed_dir, tmp_path):
    work = tmp_path / 'run'
    assert prepare_main(['--input-dir', str(mixed_dir), '--out-json', str(tmp_path / 'a.json'), '--compute',
                         '--metrics', 'temporal_flickering', '--max-seconds', '1', '--work-dir', str(work)]) == 0
    results = json.loads((work / 'results.json').read_text())
    assert results['num_videos'] == dict(scored=3, failed=0)
    data = json.loads((work / 'inputs' / 'run_config.data.json').read_text())  # values are data, not config text
    assert data['val_dataloader']['dataset']['pipeline'][1]['max_seconds'] == 1.0
    assert data['val_evaluator'][0]['type'] == 'TemporalFlickering'


def test_run_config_loads_and_refuses_code(tmp_path):
    from aigve.core.evaluate import load_config

    path = write_run_config(tmp_path / 'c.py', data_root='/d', ann_file='/d/a.json',
                            metrics=[metric_entry('TemporalFlickering', dict(device='cpu'))], with_reference=False,
                            max_seconds=2.5, num_workers=0)
    cfg = load_config(path)
    assert cfg.val_evaluator == [dict(type='TemporalFlickering', device='cpu')]
    assert cfg.val_dataloader.dataset.data_root == '/d'
    assert cfg.val_dataloader.dataset.pipeline[1] == dict(type='SampleFrames', strategy='all', max_seconds=2.5)
    assert cfg.val_cfg.type == 'AIGVELoop'  # the runtime base is in
    with pytest.raises(ValueError, match='option names'):
        metric_entry('X', {'__import__': 1})
    with pytest.raises(ValueError, match='option names'):
        metric_entry('X', {'type': 'Other'})
    with pytest.raises(TypeError, match='JSON data'):
        metric_entry('X', {'model': object()})
    with pytest.raises(ValueError, match='config'):
        write_run_config(tmp_path / 'd.py', data_root='/d', ann_file='a.json', config='../secret')
