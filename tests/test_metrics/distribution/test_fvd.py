"""FVD: analytic cases, invariances, stats files, and parity with cd-fvd (i3d_tats, videomae)."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from dist_helpers import nondegenerate_, random_videos

from aigve.metrics.distribution import FVD
from aigve.metrics.distribution.functional import GaussianStats, frechet_distance
from aigve.registry import METRICS
from aigve.utils.frames import select_frames

GEN = random_videos(6, frames=12, seed=1)
REF = random_videos(6, frames=12, seed=2, offset=30)


def to_np(videos: list[torch.Tensor]) -> np.ndarray:
    """(T, C, H, W) tensors -> cd-fvd's (N, T, H, W, C) uint8 array."""
    return torch.stack(videos).permute(0, 1, 3, 4, 2).numpy()


def fvd(path: str, **kw) -> FVD:
    return FVD(backbone='i3d', model_path=path, num_frames=kw.pop('num_frames', 9), device='cpu', **kw)


def test_features_are_not_degenerate(i3d_script_path: str) -> None:
    m = fvd(i3d_script_path)
    feats, _ = m.extract(GEN, [f'v{i}' for i in range(len(GEN))])
    assert feats.shape == (6, 24)
    assert 0.1 < feats.std().item() < 100  # STYLE.md section 15: order 1, not 1e-8


def test_identical_sets_give_zero(i3d_script_path: str) -> None:
    out = fvd(i3d_script_path).evaluate_videos(GEN, ref_videos=GEN)
    assert out['fvd'] == pytest.approx(0.0, abs=1e-6)


def test_different_sets_positive_and_repeatable(i3d_script_path: str) -> None:
    m = fvd(i3d_script_path)
    a = m.evaluate_videos(GEN, ref_videos=REF)['fvd']
    b = m.evaluate_videos(GEN, ref_videos=REF)['fvd']
    assert a > 0.1 and a == b  # the state is reset between runs


def test_batch_and_split_independence(i3d_script_path: str) -> None:
    whole = fvd(i3d_script_path, batch_size=8).evaluate_videos(GEN, ref_videos=REF, batch_size=6)['fvd']
    one_by_one = fvd(i3d_script_path, batch_size=1).evaluate_videos(GEN, ref_videos=REF, batch_size=1)['fvd']
    assert one_by_one == pytest.approx(whole, rel=1e-5)  # CPU conv rounding differs with batch shape


def test_videos_of_different_sizes_share_a_batch(i3d_script_path: str) -> None:
    mixed = GEN[:3] + random_videos(3, frames=12, size=40, seed=7)  # 32x32 and 40x40 in one batch
    m = fvd(i3d_script_path, batch_size=8)
    together, _ = m.extract(mixed, [f'v{i}' for i in range(6)])
    alone = torch.cat([m.extract([v], ['v'])[0] for v in mixed])
    assert together.shape == (6, 24)
    torch.testing.assert_close(together, alone, rtol=1e-5, atol=1e-6)  # CPU conv rounding with batch shape


def test_matches_functional_on_features(i3d_script_path: str) -> None:
    m = fvd(i3d_script_path)
    names = [str(i) for i in range(6)]
    g, r = m.extract(GEN, names)[0], m.extract(REF, names)[0]
    expected = frechet_distance(r.double().mean(0), np.cov(r.double().numpy(), rowvar=False, ddof=0),
                                g.double().mean(0), np.cov(g.double().numpy(), rowvar=False, ddof=0))
    assert m.evaluate_videos(GEN, ref_videos=REF)['fvd'] == pytest.approx(expected, rel=1e-8)


def test_runner_path_prefix_protocol_and_failures(i3d_script_path: str) -> None:
    m = fvd(i3d_script_path, num_frames=10)
    short = torch.zeros(5, 3, 32, 32, dtype=torch.uint8)
    samples = [dict(video=f'g{i}', ref_video=r) for i, r in enumerate(REF)] + [dict(video='short', ref_video=None)]
    m.process(dict(inputs=GEN + [short]), samples)
    out = m.evaluate(7)
    assert set(out) == {'fvd/fvd'} and out['fvd/fvd'] > 0
    assert [f['video'] for f in m.failures] == ['short']
    p = m.protocol
    assert (p['backbone'], p['num_frames'], p['n_generated'], p['n_reference'], p['covariance']) == \
        ('i3d', 10, 6, 6, 'N (ddof=0)')
    assert m._acc['generated'].count == 0  # reset after evaluate


def test_pad_keeps_short_videos(i3d_script_path: str) -> None:
    m = fvd(i3d_script_path, num_frames=16, pad='repeat_last')
    assert m.evaluate_videos(GEN, ref_videos=REF)['fvd'] > 0 and not m.failures


def test_too_few_samples_raise(i3d_script_path: str) -> None:
    with pytest.raises(RuntimeError, match='at least 2 reference'):
        fvd(i3d_script_path).evaluate_videos(GEN, ref_videos=[REF[0]] + [None] * 5)


def test_bad_arguments(i3d_script_path: str) -> None:
    with pytest.raises(ValueError, match='`backbone` must be one of'):
        FVD(backbone='i3dd', device='cpu')
    with pytest.raises(ValueError, match='`clip` must be one of'):
        fvd(i3d_script_path, clip='middle')
    with pytest.raises(ValueError, match='`num_frames` must be at least 9'):
        fvd(i3d_script_path, num_frames=8)
    with pytest.raises(ValueError, match='`resolution` applies'):
        fvd(i3d_script_path, resolution=128)


def test_registry_build(i3d_script_path: str) -> None:
    m = METRICS.build(dict(type='FVD', model_path=i3d_script_path, num_frames=9, device='cpu'))
    assert isinstance(m, FVD) and m.card()['set_level'] and m.weights_used


def test_stats_file_round_trip_and_spec_mismatch(i3d_script_path: str, tmp_path) -> None:
    path = str(tmp_path / 'ref.pt')
    first = fvd(i3d_script_path, save_ref_stats=path).evaluate_videos(GEN, ref_videos=REF)['fvd']
    again = fvd(i3d_script_path, ref_stats_file=path).evaluate_videos(GEN)['fvd']
    assert again == pytest.approx(first, rel=1e-12)
    with pytest.raises(ValueError, match='num_frames: file has 9, this metric uses 10'):
        fvd(i3d_script_path, ref_stats_file=path, num_frames=10)
    with pytest.raises(FileNotFoundError):
        fvd(i3d_script_path, ref_stats_file=str(tmp_path / 'missing.pt'))


def test_clip_frames() -> None:
    """FVD's clip comes from the shared selector (its own ``clip_indices`` is gone)."""
    assert select_frames(20, num_frames=4, strategy='uniform') == [2, 7, 12, 17]
    assert select_frames(20, num_frames=4, strategy='first', stride=3) == [0, 3, 6, 9]
    assert select_frames(3, num_frames=4, strategy='first', pad='loop') == [0, 1, 2, 0]
    assert select_frames(3, num_frames=4, strategy='first') == [0, 1, 2]  # too short: FVD lists a failure


# ------------------------------------------------------------------------------------- i3d_tats parity
def test_fused_i3d_equals_cdfvd_model(tats_ckpt: str) -> None:
    from cdfvd.third_party.i3d.utils import load_i3d_model

    from aigve.models.i3d_tats import FusedI3D

    ref = load_i3d_model(torch.device('cpu'), tats_ckpt)
    x = torch.rand(1, 3, 10, 230, 250) * 2 - 1  # odd sizes: uneven "same" padding in every layer kind
    with torch.no_grad():
        a, b = ref(x), FusedI3D(ref)(x)
    assert a.std() > 0.1
    torch.testing.assert_close(b, a, rtol=1e-4, atol=1e-4 * a.abs().max().item())  # BN folding: fp32 rounding


def test_i3d_tats_parity_with_cdfvd(tats_ckpt: str) -> None:
    """End to end against cd-fvd 0.1.1 with the same random checkpoint and the same uint8 videos.

    cd-fvd computes sqrtm of the (rank-deficient, 2 samples) covariance product with scipy; the values
    agree to 1e-3 relative (fp32 feature rounding amplified by the ill-conditioned trace term).
    """
    from cdfvd import fvd as cdfvd_fvd

    gen, ref = random_videos(2, frames=10, seed=5), random_videos(2, frames=10, seed=6, offset=40)
    ours = FVD(backbone='i3d_tats', model_path=tats_ckpt, check_hash=False, num_frames=10, device='cpu')
    feats, _ = ours.extract(gen, ['a', 'b'])
    assert 0.1 < feats.std().item() < 1e3  # non-degenerate random I3D
    value = ours.evaluate_videos(gen, ref_videos=ref)['fvd']
    ev = cdfvd_fvd.cdfvd(model='i3d', ckpt_path=tats_ckpt, device='cpu')
    ev.add_real_stats(to_np(ref))
    ev.add_fake_stats(to_np(gen))
    expected = float(ev.compute_fvd_from_stats())
    assert value > 1 and value == pytest.approx(expected, rel=1e-3)
    assert ours.protocol['covariance'] == 'N (ddof=0)'


def test_cdfvd_loader_step_matches_cdfvd() -> None:
    from cdfvd.utils.data_utils import preprocess

    from aigve.models.video_backbones import cdfvd_loader_step

    video = random_videos(1, frames=4, size=48, seed=3)[0][..., :40]  # (T, C, 48, 40): not square
    theirs = (preprocess(video.permute(0, 2, 3, 1), 32)['video'] * 255).byte()  # (C, T, H, W)
    ours = cdfvd_loader_step(video.unsqueeze(0), 32)[0].transpose(0, 1)
    assert torch.equal(ours, theirs)


# ------------------------------------------------------------------------------------- videomae parity
def _tiny_vit(**kwargs):
    from functools import partial

    from cdfvd.third_party.VideoMAEv2.videomaev2_finetune import VisionTransformer
    kwargs.pop('pretrained', None)
    kwargs.update(embed_dim=32, depth=2, num_heads=2, patch_size=56)
    return VisionTransformer(mlp_ratio=2, qkv_bias=True, norm_layer=partial(torch.nn.LayerNorm, eps=1e-6), **kwargs)


def _videomae_parity(ckpt: str, frames: int, n: int = 3) -> tuple[float, float]:
    from cdfvd import fvd as cdfvd_fvd

    gen, ref = random_videos(n, frames=frames, seed=7), random_videos(n, frames=frames, seed=8, offset=40)
    ours = FVD(backbone='videomae', model_path=ckpt, check_hash=False, num_frames=frames, device='cpu')
    value = ours.evaluate_videos(gen, ref_videos=ref)['fvd']
    ev = cdfvd_fvd.cdfvd(model='videomae', ckpt_path=ckpt, device='cpu')
    ev.add_real_stats(to_np(ref))
    ev.add_fake_stats(to_np(gen))
    return value, float(ev.compute_fvd_from_stats())


def test_videomae_parity_tiny(monkeypatch, tmp_path) -> None:
    """cd-fvd's own builder and loader, monkeypatched to a tiny ViT in both implementations."""
    from cdfvd.third_party.VideoMAEv2 import utils as vm_utils

    monkeypatch.setattr(vm_utils, 'vit_giant_patch14_224', _tiny_vit)
    torch.manual_seed(0)
    model = _tiny_vit(img_size=224, num_classes=174, all_frames=16, tubelet_size=2, use_mean_pooling=True)
    ckpt = str(tmp_path / 'tiny_videomae.pth')
    torch.save({'model': model.state_dict()}, ckpt)
    value, expected = _videomae_parity(ckpt, frames=16)
    assert value > 0 and value == pytest.approx(expected, rel=1e-4)  # same fp32 graph; scipy sqrtm vs eigh


@pytest.mark.slow
def test_videomae_parity_full_vit_g(tmp_path) -> None:
    """The real 1 B-parameter ViT-g architecture (random weights): about 10 min and 9 GB RAM on 2 cores."""
    from cdfvd.third_party.VideoMAEv2.utils import vit_giant_patch14_224

    torch.manual_seed(0)
    model = vit_giant_patch14_224(img_size=224, num_classes=174, all_frames=16, tubelet_size=2,
                                  use_mean_pooling=True)
    ckpt = str(tmp_path / 'vit_g.pth')
    torch.save({'model': model.state_dict()}, ckpt)
    del model
    value, expected = _videomae_parity(ckpt, frames=16, n=2)
    assert value == pytest.approx(expected, rel=1e-3)


# ------------------------------------------------------------------------------------------- r3d18
def test_r3d18_backbone(tmp_path) -> None:
    from torchvision.models.video import r3d_18

    torch.manual_seed(0)
    path = tmp_path / 'r3d_18.pth'
    torch.save(nondegenerate_(r3d_18(weights=None)).state_dict(), path)
    m = FVD(backbone='r3d18', model_path=str(path), check_hash=False, num_frames=8, device='cpu')
    feats, _ = m.extract(GEN[:1], ['a'])
    assert feats.shape == (1, 512) and feats.std() > 0.05
    assert m.evaluate_videos(GEN[:2], ref_videos=GEN[:2])['fvd'] == pytest.approx(0.0, abs=1e-6)
    assert 'not comparable' in m.protocol['comparable'] and m.protocol['covariance'] == 'N-1 (ddof=1)'
    with pytest.raises(Exception, match='sha256'):
        FVD(backbone='r3d18', model_path=str(path), num_frames=8, device='cpu')  # hash check is on by default


def test_gaussian_stats_state_is_bounded(i3d_script_path: str) -> None:
    m = fvd(i3d_script_path)
    m.evaluate_videos(GEN[:2], ref_videos=REF[:2])  # warm
    m.process(dict(inputs=GEN), [dict(video=str(i), ref_video=r) for i, r in enumerate(REF)])
    acc = m._acc['generated']
    assert isinstance(acc, GaussianStats) and acc.count == 6 and m.results == []


def samples_with_hashes(tag: str) -> list[dict]:
    return [dict(video=f'gen/{i}.mp4', video_id=i, video_sha256=f'{tag}-gen-{i}', frame_inds=list(range(12)),
                 ref_video=REF[i], ref_video_path=f'ref/{i}.mp4', ref_video_sha256=f'{tag}-ref-{i}',
                 ref_frame_inds=list(range(12))) for i in range(len(GEN))]


def run_batches(m: FVD, samples: list[dict]) -> dict:
    for start in (0, 3):
        batch = samples[start:start + 3]
        m.process(dict(inputs=GEN[start:start + 3], data_samples=batch), batch)
    return m.compute_metrics([])


def test_feature_cache_skips_the_model_on_a_second_run(i3d_script_path: str, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv('AIGVE_HOME', str(tmp_path))
    first = fvd(i3d_script_path, check_hash=False)
    expected = run_batches(first, samples_with_hashes('a'))
    assert first.feature_cache.misses == 4 and first.feature_cache.hits == 0  # 2 batches x 2 sides

    second = fvd(i3d_script_path, check_hash=False)
    calls = []
    original = second.extract
    monkeypatch.setattr(second, 'extract', lambda *a: calls.append(1) or original(*a))
    assert run_batches(second, samples_with_hashes('a')) == expected
    assert calls == [] and second.feature_cache.hits == 4  # no model work

    other_content = fvd(i3d_script_path, check_hash=False)
    run_batches(other_content, samples_with_hashes('b'))  # other content hashes: computed again
    assert other_content.feature_cache.hits == 0

    off = fvd(i3d_script_path, check_hash=False, use_cache=False)
    assert run_batches(off, samples_with_hashes('a')) == expected
    assert off.feature_cache.hits == 0
