"""VBench imaging_quality: MUSIQ port (released key layout, strict load, parity with pyiqa's network on fixed
weights), VBench's preprocessing sizes, multi-scale tokens on hand cases, per-video mean and /100 aggregate
against a transcription of VBench's loop, batching invariance, failures."""
from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
import torch
from mmengine.registry import init_default_scope
from musiq_helpers import TINY, reference_images, tiny_musiq, tiny_state

from aigve.metrics import ImagingQuality
from aigve.metrics.vbench.imaging_quality import preprocess, preprocessed_size
from aigve.models.musiq import MUSIQ, load_musiq_spaq, multiscale_patches, scaled_size
from aigve.registry import METRICS
from aigve.utils.weights import WeightsNotFoundError

DATA = Path(__file__).resolve().parents[2] / 'data' / 'vbench'


@pytest.fixture(scope='module')
def net() -> MUSIQ:
    return tiny_musiq()


# ------------------------------------------------------------------------------------------ loading
def test_released_key_layout_loads_strict(tmp_path) -> None:
    # every key and shape of musiq_spaq_ckpt-358bb6af.pth, written from pyiqa's MUSIQ(num_class=1) definition
    table = json.loads((DATA / 'musiq_spaq_keys.json').read_text())
    assert len(table) == 248
    assert {k: list(v.shape) for k, v in MUSIQ().state_dict().items()} == table
    g = torch.Generator().manual_seed(0)
    state = {f'module.{k}': torch.randn(shape, generator=g) for k, shape in table.items()}  # DataParallel prefix
    path = tmp_path / 'musiq_spaq_ckpt-358bb6af.pth'
    torch.save(state, path)
    model, resolved = load_musiq_spaq(str(path), check_hash=False)
    assert resolved.name == 'musiq-spaq' and not model.training
    assert all(torch.equal(model.state_dict()[k[len('module.'):]], v) for k, v in state.items())


def test_strict_loading_names_the_wrong_keys(tmp_path) -> None:
    table = json.loads((DATA / 'musiq_spaq_keys.json').read_text())
    state = {k: torch.zeros(shape) for k, shape in table.items()}
    state['head.0.weight'] = state.pop('head.weight')  # AVA's 10-way head layout
    torch.save(state, tmp_path / 'wrong.pth')
    with pytest.raises(RuntimeError, match=r'(?s)Missing key.*head\.weight.*Unexpected key.*head\.0\.weight'):
        load_musiq_spaq(str(tmp_path / 'wrong.pth'), check_hash=False)


def test_missing_weights_offline_names_the_download_command() -> None:
    with pytest.raises(WeightsNotFoundError, match='aigve weights download musiq-spaq'):
        ImagingQuality(device='cpu')


def test_parity_with_pyiqa_network_on_fixed_weights(net) -> None:
    # reference: pyiqa's own MUSIQ class (@01ae427) run once on the same tiny_state() weights and images
    ref = json.loads((DATA / 'musiq_tiny_reference.json').read_text())
    assert ref['config'] == TINY
    for image, case in zip(reference_images(), ref['cases']):
        assert list(image.shape) == case['shape']
        # fp32 through 2 blocks and 337+ tokens: 1e-5 absolute (observed 1.2e-7)
        torch.testing.assert_close(net(image), torch.tensor(case['scores']), rtol=0, atol=1e-5)


def test_tiny_network_is_not_degenerate(net) -> None:
    scores = torch.cat([net(x) for x in reference_images()])
    assert scores.std() > 0.05  # different images get clearly different scores
    tokens = net.tokens(multiscale_patches(reference_images()[1] * 2 - 1)[0])
    assert 0.1 < tokens.std() < 10


# -------------------------------------------------------------------------------- preprocessing sizes
@pytest.mark.parametrize('size,mode,expected', [
    ((720, 1280), 'longer', (288, 512)),        # scale 0.4
    ((320, 512), 'longer', (320, 512)),         # longer side not above 512: unchanged
    ((600, 300), 'longer', (512, 256)),
    ((513, 100), 'longer', (512, 99)),          # int(512 / 513 * 100) = int(99.8) = 99 (truncated)
    ((1080, 1920), 'shorter', (512, 910)),
    ((1080, 1920), 'shorter_centercrop', (512, 512)),
    ((1080, 1920), 'None', (1080, 1920)),
])
def test_vbench_preprocessing_sizes(size, mode, expected) -> None:
    assert preprocessed_size(*size, mode) == expected
    assert tuple(preprocess(torch.zeros(1, 3, *size), mode).shape[-2:]) == expected


def test_preprocess_is_vbench_transform() -> None:
    # transcription of VBench's transform(images, 'longer') on float 0-255 frames
    from torchvision import transforms

    frames = torch.rand(2, 3, 300, 700) * 255
    scale = 512. / max(300, 700)
    expected = transforms.Resize(size=(int(scale * 300), int(scale * 700)), antialias=False)(frames) / 255.
    torch.testing.assert_close(preprocess(frames), expected, rtol=0, atol=0)
    small = torch.randint(0, 256, (1, 3, 40, 60), dtype=torch.uint8)
    torch.testing.assert_close(preprocess(small), small.float() / 255., rtol=0, atol=0)
    with pytest.raises(ValueError, match='`mode` must be one of'):
        preprocess(small, 'longest')


# ----------------------------------------------------------------------------- multi-scale tokens
def test_multiscale_tokens_hand_case() -> None:
    # 288 x 512 (a 720p frame after VBench's resize): 224 scale 126 x 224 -> 4 x 7 = 28 patches padded to 49;
    # 384 scale 216 x 384 -> 7 x 12 = 84 padded to 144; original 9 x 16 = 144, all kept: 337 tokens
    assert scaled_size(288, 512, 224) == (126, 224) and scaled_size(288, 512, 384) == (216, 384)
    patches, spatial, scale, mask = multiscale_patches(torch.zeros(1, 3, 288, 512))
    assert patches.shape == (1, 337, 3 * 32 * 32)
    assert [int(mask[0, a:b].sum()) for a, b in ((0, 49), (49, 193), (193, 337))] == [28, 84, 144]
    assert scale[0, :49].eq(0).all() and scale[0, 49:193].eq(1).all() and scale[0, 193:].eq(2).all()
    # hash positions: 4 rows onto a 10-row grid -> rows 0, 2, 5, 7 (nearest: floor(i * 10 / 4)); 7 columns
    # -> 0, 1, 2, 4, 5, 7, 8
    rows, cols = [0, 2, 5, 7], [0, 1, 2, 4, 5, 7, 8]
    assert spatial[0, :28].tolist() == [r * 10 + c for r in rows for c in cols]
    assert spatial[0, 28:49].eq(0).all() and not mask[0, 28:49].any()  # padding: position 0, masked


def test_patch_pixels_and_same_padding() -> None:
    # a 40 x 70 image: SAME padding to 64 x 96 (top 12, left 13), patches in channel, row, column order
    image = torch.arange(3 * 40 * 70, dtype=torch.float32).view(1, 3, 40, 70)
    patches, _, _, mask = multiscale_patches(image, longer_side_lengths=())
    assert patches.shape == (1, 2 * 3, 3 * 32 * 32) and mask.all()
    first = patches[0, 0].view(3, 32, 32)
    assert first[0, 12, 13] == image[0, 0, 0, 0] and first[0, :12].eq(0).all() and first[:, :, :13].eq(0).all()
    assert first[2, 31, 31] == image[0, 2, 19, 18]


def test_square_image_needs_no_padding_tokens() -> None:
    _, _, _, mask = multiscale_patches(torch.zeros(1, 3, 64, 64))
    assert mask.shape == (1, 49 + 144 + 4) and mask.all()
    assert math.ceil(224 / 32)**2 == 49


# ------------------------------------------------------------------------------------------ metric
def vbench_technical_quality(model, videos) -> tuple[float, list[float]]:
    """Transcription of VBench's ``technical_quality`` loop: each frame alone, mean per video, mean / 100."""
    results = []
    for video in videos:
        images = preprocess(video.float(), 'longer')
        acc = 0.
        for i in range(len(images)):
            acc += float(model(images[i].unsqueeze(0)))
        results.append(acc / len(images))
    return sum(results) / len(results) / 100., results


def test_scores_match_vbench_loop_and_batching_does_not_matter(net) -> None:
    g = torch.Generator().manual_seed(3)
    videos = [torch.randint(0, 256, (2, 3, 48, 80), generator=g, dtype=torch.uint8),
              torch.randint(0, 256, (1, 3, 530, 120), generator=g, dtype=torch.uint8),  # resized to 512 x 115
              torch.randint(0, 256, (3, 3, 48, 80), generator=g, dtype=torch.uint8)]
    expected_aggregate, expected = vbench_technical_quality(net, videos)
    runs = []
    for batch_size, video_batch in ((1, 1), (16, 3)):  # one frame per call vs frames of 2 videos stacked
        metric = ImagingQuality(net=net, batch_size=batch_size, device='cpu')
        out = metric.evaluate_videos(videos, batch_size=video_batch)
        runs.append([r['imaging_quality/musiq'] for r in metric.per_video])
        assert out['imaging_quality'] == pytest.approx(expected_aggregate, abs=1e-6)
        assert out['musiq'] == pytest.approx(expected_aggregate * 100, abs=1e-4)
        for r, e in zip(metric.per_video, expected):
            assert r['imaging_quality/musiq'] == pytest.approx(e, abs=1e-5)
            assert r['imaging_quality/imaging_quality'] == pytest.approx(r['imaging_quality/musiq'] / 100, abs=1e-12)
    torch.testing.assert_close(torch.tensor(runs[0]), torch.tensor(runs[1]), rtol=0, atol=1e-5)


def test_empty_video_is_a_listed_failure(net) -> None:
    metric = ImagingQuality(net=net, device='cpu')
    metric.evaluate_videos([torch.zeros(0, 3, 32, 32, dtype=torch.uint8), torch.zeros(1, 3, 32, 32, dtype=torch.uint8)])
    assert metric.failures[0]['reason'] == 'imaging_quality: the video has no frames'
    assert len(metric.per_video) == 1


def test_registry_card_and_arguments(net) -> None:
    init_default_scope('aigve')
    metric = METRICS.build(dict(type='ImagingQuality', net=net, device='cpu'))
    assert isinstance(metric, ImagingQuality) and metric.weights_used == {}
    card = ImagingQuality.card()
    assert card['higher_is_better'] is True and card['score_range'] == [0.0, 1.0]
    with pytest.raises(ValueError, match='preprocess_mode'):
        ImagingQuality(net=net, preprocess_mode='longest', device='cpu')
    with pytest.raises(ValueError, match='batch_size'):
        ImagingQuality(net=net, batch_size=0, device='cpu')
    with pytest.raises(TypeError, match='`net` must be an nn.Module'):
        ImagingQuality(net=tiny_state(), device='cpu')


def test_lazy_video_streams_with_the_same_scores(net, tmp_path) -> None:
    from helpers.videos import lazy_copy

    video = torch.randint(0, 256, (3, 3, 40, 56), dtype=torch.uint8)
    lazy = lazy_copy(video, tmp_path, 'v3', chunk_frames=2)
    metric = ImagingQuality(net=net, batch_size=3, device='cpu')
    ours, eager = metric.score_batch([lazy], [{}])[0], metric.score_batch([video], [{}])[0]
    assert ours == pytest.approx(eager, abs=1e-6)
