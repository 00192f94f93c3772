"""VBench human_action: the UMT -> VideoMAE key conversion (released key table, strict load), the position table,
parity with VBench's UMT definition on a tiny seeded model, UMT's OpenCV transform, labels, the top-5 rule."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from viclip_helpers import TINY_UMT, load_json, seeded_state

from aigve.metrics import HumanAction
from aigve.metrics.vbench.human_action import (
    action_label,
    clip_indices,
    is_correct,
    kept_labels,
    kinetics400_names,
    label_from_filename,
    umt_transform,
)
from aigve.models import umt as umt_module
from aigve.models.umt import (
    build_umt_videomae,
    convert_umt_state_dict,
    load_umt,
    set_position_embeddings,
    umt_position_table,
    umt_videomae_config,
)
from aigve.registry import METRICS
from aigve.utils.weights import WeightsNotFoundError


# ------------------------------------------------------------------------------------------- conversion
def test_released_key_table_converts_onto_videomae_exactly(monkeypatch) -> None:
    # every key and shape of l16_ptk710_ftk710_ftk400_f16_res224.pth, written from VBench's UMT definition
    table = load_json('umt_l16_keys.json')
    assert table['patch_embed.proj.weight'] == [1024, 3, 1, 16, 16] and table['pos_embed'] == [1, 3136, 1024]
    assert table['blocks.23.attn.qkv.weight'] == [3072, 1024] and table['head.weight'] == [400, 1024]
    assert 'norm.weight' not in table and 'blocks.0.attn.qkv.bias' not in table
    converted, pos = convert_umt_state_dict({k: torch.empty(s, device='meta') for k, s in table.items()})
    assert list(pos.shape) == [1, 3136, 1024]
    from transformers.models.videomae import modeling_videomae

    # transformers builds its (replaced) table with a Python loop over 3136 x 1024 entries: skip that here
    monkeypatch.setattr(modeling_videomae, 'get_sinusoid_encoding_table', lambda n, d: torch.zeros(1, n, d))
    monkeypatch.setattr(umt_module, 'umt_position_table', lambda t, g, d: torch.zeros(1, t * g * g, d))
    with torch.device('meta'):
        model = build_umt_videomae()
    assert {k: list(v.shape) for k, v in converted.items()} == {k: list(v.shape) for k, v in model.state_dict().items()}
    model.load_state_dict(converted, strict=True, assign=True)
    config = model.config
    assert (config.hidden_size, config.num_hidden_layers, config.num_attention_heads, config.intermediate_size,
            config.layer_norm_eps, config.num_frames, config.tubelet_size, config.use_mean_pooling,
            config.num_labels) == (1024, 24, 16, 4096, 1e-6, 16, 1, True, 400)
    assert model.fc_norm.eps == 1e-6  # UMT's norm_layer, not transformers' default 1e-5


def test_converter_refuses_unknown_keys_and_unwraps() -> None:
    state = {'head.weight': torch.zeros(2, 4), 'head.bias': torch.zeros(2)}
    conv, pos = convert_umt_state_dict({'module': {'module.' + k: v for k, v in state.items()}})
    assert set(conv) == {'classifier.weight', 'classifier.bias'} and pos is None
    with pytest.raises(ValueError, match='does not know'):
        convert_umt_state_dict({**state, 'norm.weight': torch.zeros(4)})
    with pytest.raises(ValueError, match='3 \\* D'):
        convert_umt_state_dict({'blocks.0.attn.qkv.weight': torch.zeros(4, 4)})
    with pytest.raises(TypeError, match='state dict'):
        convert_umt_state_dict([1])


def test_position_table_equals_vbench_interpolated_sinusoid() -> None:
    ref = load_json('umt_pos_embed_reference.json')
    table = umt_position_table(16, 14, 1024)
    assert list(table.shape) == ref['shape'] and table.dtype == torch.float32
    assert float(table.double().sum()) == pytest.approx(ref['sum'], rel=1e-9, abs=1e-6)
    assert float(table.double().abs().sum()) == pytest.approx(ref['abs_sum'], rel=1e-9)
    for key, value in ref['samples'].items():
        i, j = map(int, key.split(','))
        assert float(table[0, i, j]) == value
    model = build_umt_videomae(umt_videomae_config(**TINY_UMT))  # the builder puts UMT's table in
    torch.testing.assert_close(model.videomae.embeddings.position_embeddings, umt_position_table(4, 2, 32))


def _tiny_umt_state() -> dict[str, torch.Tensor]:
    """The UMT state dict of the stored reference run (same names, shapes and seeded values)."""
    d, mlp, classes, n = 32, 128, 10, 16
    shapes = {'patch_embed.proj.weight': (d, 3, 1, 16, 16), 'patch_embed.proj.bias': (d, ), 'pos_embed': (1, n, d),
              'fc_norm.weight': (d, ), 'fc_norm.bias': (d, ), 'head.weight': (classes, d), 'head.bias': (classes, )}
    for i in range(2):
        shapes.update({f'blocks.{i}.norm1.weight': (d, ), f'blocks.{i}.norm1.bias': (d, ),
                       f'blocks.{i}.attn.q_bias': (d, ), f'blocks.{i}.attn.v_bias': (d, ),
                       f'blocks.{i}.attn.qkv.weight': (3 * d, d), f'blocks.{i}.attn.proj.weight': (d, d),
                       f'blocks.{i}.attn.proj.bias': (d, ), f'blocks.{i}.norm2.weight': (d, ),
                       f'blocks.{i}.norm2.bias': (d, ), f'blocks.{i}.mlp.fc1.weight': (mlp, d),
                       f'blocks.{i}.mlp.fc1.bias': (mlp, ), f'blocks.{i}.mlp.fc2.weight': (d, mlp),
                       f'blocks.{i}.mlp.fc2.bias': (d, )})
    return seeded_state({k: torch.Size(v) for k, v in shapes.items()})


def test_parity_with_vbench_umt_definition() -> None:
    ref = load_json('umt_tiny_reference.json')
    model = build_umt_videomae(umt_videomae_config(**TINY_UMT)).eval()
    converted, pos = convert_umt_state_dict(_tiny_umt_state())
    model.load_state_dict(converted, strict=True)
    set_position_embeddings(model, pos)
    x = torch.randn(2, 3, 4, 32, 32, generator=torch.Generator().manual_seed(1))  # (B, C, T, H, W) as UMT
    with torch.no_grad():
        logits = model(pixel_values=x.permute(0, 2, 1, 3, 4)).logits
    expected = torch.tensor(ref['logits'])
    assert expected.std() > 0.1
    torch.testing.assert_close(logits, expected, atol=1e-5, rtol=1e-5)  # fp32, sdpa vs explicit softmax


def test_loader_converts_strictly_with_and_without_pos_embed(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(umt_module, 'build_umt_videomae', lambda: build_umt_videomae(umt_videomae_config(**TINY_UMT)))
    state = _tiny_umt_state()
    path = tmp_path / 'l16_ptk710_ftk710_ftk400_f16_res224.pth'
    torch.save(state, path)
    model, resolved = load_umt(str(path))
    assert resolved.name == 'umt-l16-k400' and not any(p.requires_grad for p in model.parameters())
    torch.testing.assert_close(model.videomae.embeddings.position_embeddings, state['pos_embed'])
    torch.save({'model': {k: v for k, v in state.items() if k != 'pos_embed'}}, path)
    model, _ = load_umt(str(path), check_hash=False)
    torch.testing.assert_close(model.videomae.embeddings.position_embeddings, umt_position_table(4, 2, 32))
    with pytest.raises(WeightsNotFoundError, match='aigve weights download umt-l16-k400'):
        load_umt()


# ------------------------------------------------------------------------------------------- preprocessing
def vbench_umt_transform(frames_thwc: np.ndarray) -> torch.Tensor:
    """A transcription of VBench's Compose([Resize(256,'bilinear'), CenterCrop(224), ClipToTensor(), Normalize])."""
    import cv2

    clip = list(frames_thwc)
    im_h, im_w, _ = clip[0].shape
    if not ((im_w <= im_h and im_w == 256) or (im_h <= im_w and im_h == 256)):
        if im_w < im_h:
            ow, oh = 256, int(256 * im_h / im_w)
        else:
            oh, ow = 256, int(256 * im_w / im_h)
        clip = [cv2.resize(img, (ow, oh), interpolation=cv2.INTER_LINEAR) for img in clip]
    im_h, im_w, _ = clip[0].shape
    x1, y1 = int(round((im_w - 224) / 2.)), int(round((im_h - 224) / 2.))
    clip = [img[y1:y1 + 224, x1:x1 + 224, :] for img in clip]
    np_clip = np.zeros([3, len(clip), 224, 224])
    for i, img in enumerate(clip):
        np_clip[:, i] = img.transpose(2, 0, 1)
    tensor = torch.from_numpy(np_clip).float() / 255
    mean = torch.as_tensor([0.485, 0.456, 0.406])
    std = torch.as_tensor([0.229, 0.224, 0.225])
    return tensor.sub_(mean[:, None, None, None]).div_(std[:, None, None, None])  # (C, T, H, W)


@pytest.mark.parametrize('hw', [(240, 427), (427, 241), (256, 300), (300, 300), (225, 226)])
def test_transform_equals_vbench_umt_transform(hw) -> None:
    g = torch.Generator().manual_seed(sum(hw))
    frames = torch.randint(0, 256, (3, 3, *hw), generator=g, dtype=torch.uint8)
    ours = umt_transform(frames)
    expected = vbench_umt_transform(frames.permute(0, 2, 3, 1).numpy()).permute(1, 0, 2, 3)
    assert ours.shape == (3, 3, 224, 224)
    torch.testing.assert_close(ours, expected, atol=1e-6, rtol=0)


def test_clip_indices_are_vbench_middle_16() -> None:
    assert clip_indices(100) == [2, 8, 14, 21, 27, 33, 39, 46, 52, 58, 64, 71, 77, 83, 89, 96]
    assert clip_indices(4) == [0, 1, 2, 3] + [3] * 12


# ------------------------------------------------------------------------------------------- labels
def test_label_parsing_from_file_names() -> None:
    assert label_from_filename('A person is riding a bike-0.mp4') == 'riding a bike'
    assert label_from_filename('/data/vbench/A person is playing guitar-4.mp4') == 'playing guitar'
    assert label_from_filename('C:\\v\\A person is marching-1.mp4') == 'marching'
    assert label_from_filename('A Person Is Dodgeball_v2-3.mp4') == 'dodgeball'


def test_kinetics_names_and_action_label_sources() -> None:
    names = kinetics400_names()
    assert len(names) == 400 and len(set(names)) == 400 and names[:3] == ('riding a bike', 'marching', 'dodgeball')
    aux = dict(video='A person is marching-0.mp4', meta=dict(auxiliary_info={'human_action': {'action': 'dodgeball'}}))
    assert action_label(aux, names) == 'dodgeball'  # the annotation wins over the file name
    plain = dict(video='x.mp4', meta=dict(auxiliary_info={'human_action': 'Marching'}))
    assert action_label(plain, names) == 'marching'
    assert action_label(dict(video='A person is marching-0.mp4', meta={}), names) == 'marching'
    verdict = action_label(dict(video='0001.mp4', meta={}), names)
    assert 'not a Kinetics-400 class' in verdict.reason


def test_top5_threshold_rule_rounds_like_vbench() -> None:
    names = [f'c{i}' for i in range(8)]
    probs = torch.tensor([0.2, 0.99, 0.849951, 0.84994, 0.9, 0.1, 0.95, 0.97])
    assert kept_labels(probs, names) == ['c1', 'c7', 'c6', 'c4', 'c2']  # top-5, rounded to 4 decimals >= 0.85
    assert is_correct(probs, 'c2', names) and not is_correct(probs, 'c3', names)
    assert not is_correct(torch.tensor([0.5, 0.6]), 'c0', names[:2])


# ------------------------------------------------------------------------------------------- metric
@pytest.fixture(scope='module')
def tiny_classifier():
    """A 400-class tiny UMT-VideoMAE (32 px, 16 frames) whose class 0 ('riding a bike') always wins."""
    torch.manual_seed(0)
    model = build_umt_videomae(umt_videomae_config(image_size=32, hidden_size=32, num_hidden_layers=1,
                                                   num_attention_heads=4, intermediate_size=64)).eval()
    with torch.no_grad():
        model.classifier.bias.fill_(-10.0)
        model.classifier.bias[0] = 10.0
    return model


def make_video(t: int, h: int = 40, w: int = 50, seed: int = 0) -> torch.Tensor:
    return torch.randint(0, 256, (t, 3, h, w), generator=torch.Generator().manual_seed(seed), dtype=torch.uint8)


def test_metric_known_answers_and_failures(tiny_classifier) -> None:
    metric = METRICS.build(dict(type='HumanAction', model=tiny_classifier, resize=36, crop=32, device='cpu'))
    vids = [make_video(20), make_video(5, 36, 36, 1), make_video(3), make_video(9)]
    samples_paths = ['A person is riding a bike-0.mp4', 'A person is marching-1.mp4', 'nothing.mp4',
                     'x.mp4']
    metric.results.clear()
    samples = [dict(video=p, video_id=i, prompt=None, meta={}) for i, p in enumerate(samples_paths)]
    samples[3]['meta'] = dict(auxiliary_info={'human_action': {'action': 'riding a bike'}})
    metric.process(dict(inputs=vids), samples)
    result = metric.compute_metrics(metric.results)
    scores = {r['video']: r['human_action/human_action'] for r in metric.per_video}
    assert scores == {'A person is riding a bike-0.mp4': 1.0, 'A person is marching-1.mp4': 0.0, 'x.mp4': 1.0}
    assert result['human_action'] == pytest.approx(2 / 3)
    assert len(metric.failures) == 1 and 'nothing.mp4' in metric.failures[0]['video']


def test_metric_batch_size_independence(tiny_classifier) -> None:
    a = HumanAction(model=tiny_classifier, resize=36, crop=32, video_batch_size=1, device='cpu')
    b = HumanAction(model=tiny_classifier, resize=36, crop=32, video_batch_size=4, device='cpu')
    clips = [umt_transform(make_video(16, seed=s), 36, 32) for s in range(3)]
    pa, pb = a.probabilities(clips), b.probabilities(clips)
    torch.testing.assert_close(pa, pb, atol=1e-5, rtol=1e-5)
    assert pa.shape == (3, 400) and math.isclose(float(pa[0, 0]), 1.0, abs_tol=1e-4)


def test_metric_arguments(tiny_classifier) -> None:
    with pytest.raises(ValueError, match='num_frames'):
        HumanAction(model=tiny_classifier, num_frames=8, resize=36, crop=32)  # the model takes 16
    with pytest.raises(ValueError, match='threshold'):
        HumanAction(model=tiny_classifier, threshold=2.0)
    with pytest.raises(ValueError, match='crop'):
        HumanAction(model=tiny_classifier, resize=30, crop=32)


@pytest.mark.slow
def test_real_checkpoint_converts_and_loads_strictly() -> None:
    """With l16_ptk710_ftk710_ftk400_f16_res224.pth in the cache (aigve weights download umt-l16-k400)."""
    try:
        model, _ = load_umt()
    except WeightsNotFoundError:
        pytest.skip('l16_ptk710_ftk710_ftk400_f16_res224.pth is not in the cache')
    with torch.no_grad():
        probs = torch.sigmoid(model(pixel_values=torch.zeros(1, 16, 3, 224, 224)).logits)
    assert probs.shape == (1, 400) and torch.isfinite(probs).all()
