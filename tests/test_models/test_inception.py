"""Parity of ``aigve.models.inception.FIDInception`` with pytorch-fid's network (random weights, no download).

pytorch-fid's ``fid_inception_v3()`` downloads its checkpoint; here its download and load are patched out,
so its own code builds the real topology with random weights. Those weights get a non-degenerate init
(Kaiming-normal convs, identity batch-norm: STYLE.md section 15), are saved in the checkpoint's format
(the state dict of pytorch-fid's ``Inception3``, the format of ``pt_inception-2015-12-05-6726825d.pth``)
and loaded into ours with ``strict=True``.

Tolerance for features: 1e-4 absolute on features of std ~0.5. Both graphs run the same float32 ops in
the same order (measured difference: exactly 0), but oneDNN may pick different conv algorithms for other
batch sizes or builds, which moves float32 results by ~1e-6; a wrong pooling type (the FID-specific part
of the graph) moves them by >1e-2 (checked by ``test_tf_pooling_is_what_makes_parity``).
"""
from __future__ import annotations

import numpy as np
import pytest
import torch
import torchvision
from helpers.init import nondegenerate_
from torch import nn

from aigve.metrics.distribution.functional import GaussianStats, frechet_distance_from_stats
from aigve.models import inception as aigve_inception
from aigve.models.inception import FIDInception, load_fid_inception
from aigve.utils.hashing import file_sha256
from aigve.utils.weights import ResolvedWeights

FEATURE_ATOL = 1e-4


def build_pytorch_fid_reference() -> tuple[nn.Module, nn.Module]:
    """Return pytorch-fid's ``InceptionV3([3])`` and the ``Inception3`` inside it, random weights, offline."""
    from pytorch_fid import inception as pfid

    captured = {}
    original = pfid.fid_inception_v3

    def capture() -> nn.Module:
        captured['net'] = original()
        return captured['net']

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(pfid, 'load_state_dict_from_url', lambda *args, **kwargs: None)  # no download
        mp.setattr(torchvision.models.inception.Inception3, 'load_state_dict', lambda self, *a, **k: None)
        mp.setattr(pfid, 'fid_inception_v3', capture)
        torch.manual_seed(0)
        model = pfid.InceptionV3([pfid.InceptionV3.BLOCK_INDEX_BY_DIM[2048]])
    nondegenerate_(captured['net'])  # InceptionV3's blocks share these modules
    return model.eval(), captured['net'].eval()


@pytest.fixture(scope='module')
def reference(tmp_path_factory):
    """pytorch-fid model, its Inception3, and its weights saved as a checkpoint file."""
    model, net = build_pytorch_fid_reference()
    path = tmp_path_factory.mktemp('fid') / 'pt_inception-random.pth'
    torch.save(net.state_dict(), path)
    return model, net, path


@pytest.fixture(scope='module')
def ours(reference):
    model = FIDInception()
    model.load_checkpoint(str(reference[2]))
    return model.eval().requires_grad_(False)


def _pytorch_fid_pool(model: nn.Module, images: torch.Tensor) -> torch.Tensor:
    """Features as pytorch-fid's ``get_activations`` makes them (ToTensor = uint8 / 255)."""
    with torch.no_grad():
        pred = model(images.float() / 255)[0]
    return pred.squeeze(3).squeeze(2)


def _images(n: int, size: int, seed: int, smooth: bool = False) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    if not smooth:
        return torch.randint(0, 256, (n, 3, size, size), dtype=torch.uint8, generator=g)
    low = torch.rand(n, 3, 4, 4, generator=g)
    up = nn.functional.interpolate(low, size=(size, size), mode='bilinear', align_corners=False)
    return (up * 200 + 40).round().to(torch.uint8)


# ------------------------------------------------------------------------------------ checkpoint
def test_state_dict_keys_and_shapes_match_pytorch_fid(reference):
    _, net, _ = reference
    theirs = {k: tuple(v.shape) for k, v in net.state_dict().items()}
    mine = {k: tuple(v.shape) for k, v in FIDInception().state_dict().items()}
    assert mine == theirs
    assert len(mine) == 566  # 94 BasicConv2d x (conv.weight + 5 bn entries) + fc.weight + fc.bias
    assert mine['fc.weight'] == (1008, 2048) and mine['Conv2d_1a_3x3.conv.weight'] == (32, 3, 3, 3)
    assert not any(k.startswith('AuxLogits') for k in mine)


def test_checkpoint_loads_strict(reference, ours, tmp_path):
    _, net, _ = reference
    for key, value in net.state_dict().items():
        assert torch.equal(ours.state_dict()[key], value), key
    # files without BatchNorm num_batches_tracked counters (older torch) load too
    state = {k: v for k, v in net.state_dict().items() if not k.endswith('num_batches_tracked')}
    torch.save(state, tmp_path / 'old.pth')
    FIDInception().load_checkpoint(str(tmp_path / 'old.pth'))
    # a wrong key is refused (strict)
    state['extra.weight'] = torch.zeros(1)
    torch.save(state, tmp_path / 'bad.pth')
    with pytest.raises(RuntimeError, match='extra.weight'):
        FIDInception().load_checkpoint(str(tmp_path / 'bad.pth'))


def test_load_fid_inception(reference, tmp_path):
    _, net, path = reference
    model, resolved = load_fid_inception(str(path), check_hash=False)  # random weights: not the published file
    assert not model.training and not any(p.requires_grad for p in model.parameters())
    assert isinstance(resolved, ResolvedWeights)
    assert (resolved.name, resolved.path, resolved.source) == ('fid-inception', path, 'model_path')
    assert resolved.sha256 == file_sha256(path)
    assert not hasattr(model, 'weights_sha256')  # the record travels next to the module, not on it
    assert torch.equal(model.fc.weight, net.fc.weight)
    with pytest.raises(ValueError, match='6726825d'):  # the published file's sha256 prefix is enforced
        load_fid_inception(str(path))
    with pytest.raises(FileNotFoundError):
        load_fid_inception(str(tmp_path / 'missing.pth'))


def test_inception_metrics_record_the_loaded_weights(reference):
    from aigve.metrics.distribution import FID

    _, _, path = reference
    metric = FID(model_path=str(path), check_hash=False, use_cache=False, device='cpu')
    [resolved] = metric.weights
    sha256 = file_sha256(path)
    assert resolved.name == 'fid-inception' and resolved.sha256 == sha256
    assert metric.weights_used == {'fid-inception': sha256}
    # the feature-cache / reference-stats spec carries the same sha256 as before the loader returned a record
    assert metric.spec()['weights_sha256'] == sha256 == metric.frame_protocol()['weights_sha256']
    injected = FID(model=FIDInception(), use_cache=False, device='cpu')
    assert injected.weights == [] and injected.weights_used == {} and injected.spec()['weights_sha256'] is None


# -------------------------------------------------------------------------------------- features
@pytest.mark.parametrize('size', [64, 299, 320])  # upsampled, native, downsampled
def test_pool_features_match_pytorch_fid(reference, ours, size):
    model, net, _ = reference
    images = _images(3, size, seed=size)
    ref = _pytorch_fid_pool(model, images)
    with torch.no_grad():
        out = ours(images)
    assert 0.1 < ref.std().item() < 10, 'random-weight features are degenerate'
    assert out['pool'].shape == (3, 2048)
    assert (out['pool'] - ref).abs().max().item() <= FEATURE_ATOL
    # float input in [0, 1] is the same as uint8
    with torch.no_grad():
        out_float = ours(images.float() / 255)
    assert (out_float['pool'] - out['pool']).abs().max().item() <= FEATURE_ATOL
    # logits: the 1008-way fc, with and without its bias
    with torch.no_grad():
        logits = net.fc(ref)
    assert out['logits'].shape == (3, 1008) and 0.05 < logits.std().item() < 10
    assert (out['logits'] - logits).abs().max().item() <= FEATURE_ATOL
    assert (out['logits_unbiased'] - (logits - net.fc.bias)).abs().max().item() <= FEATURE_ATOL


def test_network_matches_torch_fidelity(reference, ours):
    """Same weights in torch-fidelity's extractor: same network and IS logits; only preprocessing differs."""
    from torch_fidelity.feature_extractor_inceptionv3 import FeatureExtractorInceptionV3

    _, _, path = reference
    tfid = FeatureExtractorInceptionV3('inception-v3-compat', ['2048', 'logits_unbiased', 'logits'],
                                       feature_extractor_weights_path=str(path))
    images = _images(2, 299, seed=1)  # at 299 its TF1 resize is the identity, like ours
    with torch.no_grad():
        pool, logits_unbiased, logits = tfid(images)
        same_input = ours.forward_features((images.float() - 128) / 128)  # torch-fidelity's normalisation
        ours_default = ours(images)
    assert (same_input['pool'] - pool).abs().max().item() <= FEATURE_ATOL
    assert (same_input['logits_unbiased'] - logits_unbiased).abs().max().item() <= FEATURE_ATOL
    assert (same_input['logits'] - logits).abs().max().item() <= FEATURE_ATOL
    # pytorch-fid's x/127.5 - 1 vs torch-fidelity's (x - 128)/128: a small but real difference
    assert (ours_default['pool'] - pool).abs().max().item() > FEATURE_ATOL


def test_tf_pooling_is_what_makes_parity(reference, ours, monkeypatch):
    """Negative control: torchvision's average pool (padded zeros counted) breaks the parity."""
    model, _, _ = reference
    images = _images(2, 128, seed=3)
    ref = _pytorch_fid_pool(model, images)
    monkeypatch.setattr(aigve_inception, '_tf_avg_pool',
                        lambda x: nn.functional.avg_pool2d(x, kernel_size=3, stride=1, padding=1))
    with torch.no_grad():
        wrong = ours(images)['pool']
    assert (wrong - ref).abs().max().item() > 1e-2


def test_batch_size_independent(ours):
    images = _images(4, 96, seed=4)
    with torch.no_grad():
        full = ours(images)['pool']
        single = torch.cat([ours(images[i:i + 1])['pool'] for i in range(4)])
    assert (full - single).abs().max().item() <= 1e-5  # torch-fidelity's CPU batch-independence tolerance


def test_input_errors(ours):
    with pytest.raises(ValueError, match=r'\(N, 3, H, W\)'):
        ours(torch.zeros(3, 64, 64, dtype=torch.uint8))
    with pytest.raises(ValueError, match=r'in \[0, 1\]'):
        ours(torch.full((1, 3, 64, 64), 2.0))
    with pytest.raises(TypeError, match='uint8 or floating'):
        ours(torch.zeros(1, 3, 64, 64, dtype=torch.int32))
    with pytest.raises(TypeError, match='torch.Tensor'):
        ours(np.zeros((1, 3, 64, 64), dtype=np.uint8))


# --------------------------------------------------------------------------------------------- FID
def _fid_feature_sets(reference, ours, n: int = 40, size: int = 75):
    """Two image sets through both models at 75x75 without resizing (fast; the smallest valid size)."""
    model, _, _ = reference
    real, fake = _images(n, size, seed=10), _images(n, size, seed=11, smooth=True)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(model, 'resize_input', False)
        mp.setattr(ours, 'resize_input', False)
        theirs = [_pytorch_fid_pool(model, x).double().numpy() for x in (real, fake)]
        with torch.no_grad():
            mine = [ours(x)['pool'] for x in (real, fake)]
    return theirs, mine


def _moments(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and covariance as pytorch-fid's ``calculate_activation_statistics`` computes them."""
    return x.mean(axis=0), np.cov(x, rowvar=False)


@pytest.mark.filterwarnings('ignore::DeprecationWarning')  # pytorch-fid passes sqrtm(disp=False)
def test_fid_parity_pytorch_fid(reference, ours):
    from pytorch_fid.fid_score import calculate_frechet_distance

    theirs, mine = _fid_feature_sets(reference, ours)
    assert np.abs(theirs[0] - mine[0].numpy()).max() <= FEATURE_ATOL
    # the 16 highest-variance of the 2048 dims (some ReLU outputs are constant 0 at 75x75): full-rank
    # covariances with 40 samples, and scipy's sqrtm stays fast
    dims = np.argsort(theirs[0].var(axis=0))[-16:]
    theirs = [x[:, dims] for x in theirs]
    mine = [x[:, torch.from_numpy(dims)] for x in mine]
    assert np.linalg.matrix_rank(_moments(theirs[0])[1]) == 16
    ref = calculate_frechet_distance(*_moments(theirs[0]), *_moments(theirs[1]))
    value = frechet_distance_from_stats(*[GaussianStats.from_features(x) for x in mine])
    assert ref > 0.1
    assert value == pytest.approx(ref, rel=1e-6)


@pytest.mark.slow
@pytest.mark.filterwarnings('ignore::DeprecationWarning')
def test_fid_parity_pytorch_fid_full_2048(reference, ours):
    """All 2048 dims (singular covariances, N=40): scipy's sqrtm takes ~1 min here."""
    from pytorch_fid.fid_score import calculate_frechet_distance

    theirs, mine = _fid_feature_sets(reference, ours)
    ref = calculate_frechet_distance(*_moments(theirs[0]), *_moments(theirs[1]))
    value = frechet_distance_from_stats(*[GaussianStats.from_features(x) for x in mine])
    assert value == pytest.approx(ref, rel=1e-6)


# ------------------------------------------------------------------------------- input protocols
@pytest.mark.parametrize(('in_size', 'out_size'), [
    ((32, 32), (299, 299)),    # upsampling, as for small frames
    ((75, 50), (299, 299)),    # non-square upsampling
    ((320, 240), (299, 299)),  # downsampling one side, upsampling the other
    ((500, 700), (299, 299)),  # downsampling
    ((13, 17), (40, 7)),       # arbitrary output size
    ((299, 299), (299, 299)),  # identity
    ((1, 5), (3, 9)),          # a 1-pixel axis
])
@pytest.mark.parametrize('dtype', [torch.float32, torch.float64])
def test_resize_bilinear_tf1_equals_torch_fidelity(in_size, out_size, dtype):
    """Our TF1 bilinear resize equals torch-fidelity's ``interpolate_bilinear_2d_like_tensorflow1x``.

    Measured: bit-identical (max abs difference 0) for every case; the bound is rel 1e-5 of the 0-255 range.
    """
    from torch_fidelity.interpolate_compat_tensorflow import interpolate_bilinear_2d_like_tensorflow1x

    g = torch.Generator().manual_seed(in_size[0] * 1000 + in_size[1])
    x = (torch.rand(2, 3, *in_size, generator=g, dtype=torch.float64) * 255).to(dtype)
    theirs = interpolate_bilinear_2d_like_tensorflow1x(x, size=out_size, align_corners=False)
    mine = aigve_inception.resize_bilinear_tf1(x, out_size)
    assert mine.shape == theirs.shape and mine.dtype == dtype
    torch.testing.assert_close(mine, theirs, rtol=1e-5, atol=1e-5 * 255)
    if in_size != out_size:  # and it is not torch's half-pixel bilinear
        torch_bilinear = nn.functional.interpolate(x, size=out_size, mode='bilinear', align_corners=False)
        assert (torch_bilinear - theirs).abs().max().item() > 1e-2


def test_resize_bilinear_tf1_known_answer_and_errors():
    x = torch.arange(4.0).view(1, 1, 1, 4)
    # output j samples j * 4/8, no half-pixel shift; the last source pixel is repeated past the end
    assert aigve_inception.resize_bilinear_tf1(x, (1, 8)).flatten().tolist() == [0, .5, 1, 1.5, 2, 2.5, 3, 3]
    assert aigve_inception.resize_bilinear_tf1(x, (1, 2)).flatten().tolist() == [0, 2]  # skips, no antialias
    with pytest.raises(TypeError, match='floating-point'):
        aigve_inception.resize_bilinear_tf1(x.long(), (2, 2))
    with pytest.raises(ValueError, match=r'\(N, C, H, W\)'):
        aigve_inception.resize_bilinear_tf1(x[0], (2, 2))
    with pytest.raises(ValueError, match='`size`'):
        aigve_inception.resize_bilinear_tf1(x, (0, 2))


@pytest.mark.parametrize('size', [64, 299, 320])  # upsampled, native, downsampled
def test_torch_fidelity_protocol_matches_torch_fidelity(reference, ours, size):
    """``input_protocol='torch-fidelity'``: same pool and logits as torch-fidelity's own extractor."""
    from torch_fidelity.feature_extractor_inceptionv3 import FeatureExtractorInceptionV3

    _, _, path = reference
    tfid = FeatureExtractorInceptionV3('inception-v3-compat', ['2048', 'logits_unbiased'],
                                       feature_extractor_weights_path=str(path))
    images = _images(2, size, seed=size + 1)
    with torch.no_grad():
        pool, logits_unbiased = tfid(images)
        mine = ours(images, input_protocol='torch-fidelity')
        from_float = ours(images.float() / 255, input_protocol='torch-fidelity')
        default = ours(images)
    assert 0.1 < pool.std().item() < 10, 'random-weight features are degenerate'
    assert (mine['pool'] - pool).abs().max().item() <= FEATURE_ATOL
    assert (mine['logits_unbiased'] - logits_unbiased).abs().max().item() <= FEATURE_ATOL
    assert (from_float['pool'] - pool).abs().max().item() <= FEATURE_ATOL
    assert (default['pool'] - pool).abs().max().item() > FEATURE_ATOL  # the default stays pytorch-fid's
    module_default = FIDInception(input_protocol='torch-fidelity')
    module_default.load_state_dict(ours.state_dict())
    with torch.no_grad():
        assert torch.equal(module_default.eval()(images)['pool'], mine['pool'])


def test_input_protocol_errors(ours, reference):
    images = _images(1, 75, seed=5)
    with pytest.raises(ValueError, match="`input_protocol` must be 'pytorch-fid' or 'torch-fidelity'"):
        ours(images, input_protocol='tf')
    with pytest.raises(ValueError, match='`input_protocol`'):
        FIDInception(input_protocol='TF1')
    with pytest.raises(ValueError, match='`input_protocol`'):
        load_fid_inception(str(reference[2]), check_hash=False, input_protocol=None)
    with pytest.raises(ValueError, match=r'in \[0, 1\]'):
        ours(torch.full((1, 3, 75, 75), 2.0), input_protocol='torch-fidelity')
