"""Issue 16: the older CD-FVD fields reach our FVD (``backbone='videomae'`` and ``'i3d_tats'``).

Tiny random cd-fvd checkpoints sit in the service's cache (``$AIGVE_HOME/checkpoints/fvd/``): the real
``InceptionI3d(400)`` with non-degenerate random weights, and a 2-block VideoMAE-v2 ViT (the job processes
build it instead of ViT-g through a ``sitecustomize`` on their ``PYTHONPATH``, given by the service's
``python`` setting). The values the service returns in ``cdfvd_results`` must equal a direct
``FVD(backbone=...)`` run on the same files.
"""
from __future__ import annotations

import importlib.util
import json
import stat
import sys
import textwrap
from pathlib import Path

import pytest
import requests
import torch
from helpers.env import environ
from helpers.init import nondegenerate_
from helpers.videos import synthetic_frames, write_video
from service_helpers import Server

pytest.importorskip('cdfvd')

RESOLUTION, LENGTH = 64, 16
TINY_VIT = textwrap.dedent('''
    """Test only: a 2-block VideoMAE-v2 ViT in place of cd-fvd's ViT-g builder (tiny random checkpoints)."""
    from functools import partial

    import torch


    def tiny_vit(**kwargs):
        from cdfvd.third_party.VideoMAEv2.videomaev2_finetune import VisionTransformer

        kwargs.pop('pretrained', None)
        kwargs.update(embed_dim=32, depth=2, num_heads=2, patch_size=56)
        return VisionTransformer(mlp_ratio=2, qkv_bias=True, norm_layer=partial(torch.nn.LayerNorm, eps=1e-6),
                                 **kwargs)
''')
SITECUSTOMIZE = textwrap.dedent('''
    import importlib.abc
    import sys


    class _PatchTinyViT(importlib.abc.MetaPathFinder):
        """After cd-fvd's VideoMAE utils load, swap its ViT-g builder for the tiny one."""

        name = 'cdfvd.third_party.VideoMAEv2.utils'

        def find_spec(self, fullname, path, target=None):
            if fullname != self.name:
                return None
            sys.meta_path.remove(self)
            import importlib.util
            spec = importlib.util.find_spec(fullname)
            loader = spec.loader
            exec_module = loader.exec_module

            def patched(module):
                exec_module(module)
                import tiny_videomae
                module.vit_giant_patch14_224 = tiny_videomae.tiny_vit
            loader.exec_module = patched
            return spec


    sys.meta_path.insert(0, _PatchTinyViT())
''')


def decoded(path: Path) -> torch.Tensor:
    from aigve.utils.video_io import open_video

    with open_video(path) as reader:
        frames = reader.get_frames(list(range(reader.num_frames)))
    return torch.from_numpy(frames).permute(0, 3, 1, 2).contiguous()


@pytest.fixture(scope='module')
def cdfvd_env(tmp_path_factory):
    base = tmp_path_factory.mktemp('cdfvd-svc')
    site = base / 'site'
    site.mkdir()
    (site / 'tiny_videomae.py').write_text(TINY_VIT)
    (site / 'sitecustomize.py').write_text(SITECUSTOMIZE)
    spec = importlib.util.spec_from_file_location('tiny_videomae', site / 'tiny_videomae.py')
    tiny = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tiny)
    from cdfvd.third_party.i3d.pytorch_i3d import InceptionI3d

    ckpts = base / 'home' / 'checkpoints' / 'fvd'
    ckpts.mkdir(parents=True)
    torch.manual_seed(0)
    torch.save(nondegenerate_(InceptionI3d(400, in_channels=3), linear=True, bias_std=0.1).state_dict(),
               ckpts / 'i3d_pretrained_400.pt')
    torch.manual_seed(0)
    vit = tiny.tiny_vit(img_size=224, num_classes=174, all_frames=16, tubelet_size=2, use_mean_pooling=True)
    torch.save({'model': vit.state_dict()}, ckpts / 'vit_g_hybrid_pt_1200e_ssv2_ft.pth')
    python = base / 'python'
    python.write_text(f'#!/bin/sh\nPYTHONPATH="{site}:$PYTHONPATH" exec "{sys.executable}" "$@"\n')
    python.chmod(python.stat().st_mode | stat.S_IEXEC)
    clips = base / 'data' / 'clips'
    clips.mkdir(parents=True)
    for i in range(2):
        write_video(clips / f'v{i}.mp4', synthetic_frames(LENGTH, 32, 32, seed=20 + i), fps=8)
        write_video(clips / f'v{i}_synthetic.mp4', synthetic_frames(LENGTH, 32, 32, seed=30 + i, noise=25), fps=8)
    return dict(base=base, home=base / 'home', ckpts=ckpts, python=python, clips=clips, tiny=tiny)


@pytest.fixture(scope='module')
def server(cdfvd_env):
    data = cdfvd_env['base'] / 'svc'
    data.mkdir()
    with environ(AIGVE_HOME=str(cdfvd_env['home']), AIGVE_SERVICE_PYTHON=str(cdfvd_env['python'])):
        srv = Server(data, [cdfvd_env['clips'].parent], '--max-workers', '2')
    try:
        srv.wait_ready()
        yield srv
    finally:
        srv.stop()


@pytest.fixture(scope='module')
def direct(cdfvd_env):
    """``FVD(backbone=...)`` on the decoded files, the tiny ViT patched in as in the job processes."""
    from cdfvd.third_party.VideoMAEv2 import utils as vm_utils

    from aigve.metrics.distribution import FVD

    clips = cdfvd_env['clips']
    gen = [decoded(clips / f'v{i}_synthetic.mp4') for i in range(2)]
    ref = [decoded(clips / f'v{i}.mp4') for i in range(2)]
    original = vm_utils.vit_giant_patch14_224
    vm_utils.vit_giant_patch14_224 = cdfvd_env['tiny'].tiny_vit
    try:
        out = {}
        for model, backbone, name in (('videomae', 'videomae', 'vit_g_hybrid_pt_1200e_ssv2_ft.pth'),
                                      ('i3d', 'i3d_tats', 'i3d_pretrained_400.pt')):
            m = FVD(backbone=backbone, model_path=str(cdfvd_env['ckpts'] / name), check_hash=False,
                    num_frames=LENGTH, resolution=RESOLUTION, device='cpu')
            feats, _ = m.extract(gen, ['a', 'b'])
            assert feats.std() > 0.05  # STYLE.md section 15: features of order 1
            out[model] = m.evaluate_videos(gen, ref_videos=ref)['fvd']
    finally:
        vm_utils.vit_giant_patch14_224 = original
    return out


def test_run_computes_both_cdfvd_models_like_a_direct_fvd(server, cdfvd_env, direct):
    body = dict(input_dir=str(cdfvd_env['clips']), compute=True, metrics='FVD',
                metric_options={'FVD': {'backbone': 'i3d_tats', 'num_frames': LENGTH}},
                cdfvd_resolution=RESOLUTION, cdfvd_sequence_length=LENGTH)
    result = requests.post(f'{server.url}/run', json=body, timeout=900).json()
    assert result['returncode'] == 0, result['stderr']
    cdfvd = result['cdfvd_results']
    assert set(cdfvd) == {'videomae', 'i3d'}
    for model in ('videomae', 'i3d'):
        entry = cdfvd[model]
        assert 'error' not in entry, entry
        assert entry['fvd_score'] == pytest.approx(direct[model], rel=1e-5, abs=1e-6)
        assert entry['resolution'] == RESOLUTION and entry['sequence_length'] == LENGTH
        assert entry['num_real_videos'] == 2 and entry['num_fake_videos'] == 2
        assert entry['protocol']['cdfvd_resolution'] == RESOLUTION and entry['protocol']['num_frames'] == LENGTH
    assert cdfvd['i3d']['backbone'] == 'i3d_tats'
    arts = {a['name']: a for a in result['artifacts']}
    assert arts['cdfvd_results.json']['json'] == cdfvd
    fvd = arts['fvd_results.json']['json']  # the main job's FVD under its older name
    assert fvd['FVD_Mean_Score'] == fvd['metrics']['fvd/fvd'] > 0
    assert fvd['video_results'] == [] and fvd['set_level'] is True


def test_run_upload_single_model_with_use_cdfvd(server, cdfvd_env, direct):
    clips = cdfvd_env['clips']
    files = [('videos', (p.name, p.read_bytes(), 'application/octet-stream')) for p in sorted(clips.iterdir())]
    form = dict(compute=True, metrics='TemporalFlickering', use_cdfvd=True, cdfvd_model='i3d',
                cdfvd_all_flavors=False, cdfvd_resolution=RESOLUTION, cdfvd_sequence_length=LENGTH)
    result = requests.post(f'{server.url}/run_upload', data=form, files=files, timeout=900).json()
    assert result['returncode'] == 0, result['stderr']
    assert set(result['cdfvd_results']) == {'i3d'}
    assert result['cdfvd_results']['i3d']['fvd_score'] == pytest.approx(direct['i3d'], rel=1e-5, abs=1e-6)
    assert result['processing_summary']['cdfvd_models_successful'] == 1
    assert result['processing_summary']['cdfvd_models_total'] == 1
    # a clip length the backbone refuses: the model's entry says why, the main result stands
    form.update(cdfvd_sequence_length=4)
    result = requests.post(f'{server.url}/run_upload', data=form, files=files, timeout=900).json()
    assert result['returncode'] == 0
    assert 'error' in result['cdfvd_results']['i3d'] and result['processing_summary']['cdfvd_models_successful'] == 0
    assert json.dumps(result['cdfvd_results'])  # plain JSON
