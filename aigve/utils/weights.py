"""Every checkpoint aigve knows, and how a metric finds it: ``WEIGHTS`` + :func:`resolve_weights`.

Resolution order for a single-file checkpoint (the first hit wins):

1. ``model_path`` given by the user: a file, or a folder holding the manifest's file name. If it is
   missing, :class:`FileNotFoundError` is raised at once; there is no silent fallback.
2. The cache ``aigve_home()/checkpoints/<metric>/<filename>``.
3. A download from the manifest's pinned URL into the cache (streamed, hashed, written atomically),
   unless ``AIGVE_OFFLINE`` or ``HF_HUB_OFFLINE`` is set.
4. Otherwise :class:`WeightsNotFoundError`, naming every place searched, the expected sha256, the command
   that fetches the file and the environment variables.

Hashes: a file whose manifest entry has a full ``sha256`` (or a ``sha256_prefix``, the torch-hub
convention of the ``-6726825d`` suffix in a file name) must match it. For entries without a full hash the
first download (or first use of a file placed in the cache by hand) records the computed sha256 in a
sidecar ``<file>.sha256``; later runs and ``aigve weights verify`` check the file against it. The sidecar
also remembers the file's size and mtime, so a 4 GB checkpoint is hashed once, not on every run. Hashes of
files outside the cache (``model_path``) are memoised under ``aigve_home()/hashes/``.

Hugging Face models (entries with ``hf_repo`` and no ``hf_filename``) are resolved by
:func:`aigve.utils.hf.resolve_hf_model` instead.

Adding a checkpoint: append a :class:`WeightSpec` to ``_MANIFEST`` below (or call
:func:`register_weights` from a plugin). Never write a hash that no public source states.
"""
from __future__ import annotations

import difflib
import hashlib
import json
import logging
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from mmengine.logging import print_log

from aigve.utils.atomic import write_json_atomic
from aigve.utils.download import DownloadError, download_file
from aigve.utils.hashing import file_sha256 as content_sha256

__all__ = [
    'WeightSpec', 'WEIGHTS', 'ResolvedWeights', 'WeightsNotFoundError', 'WeightsHashError',
    'UnknownWeightsError', 'register_weights', 'get_weight_spec', 'aigve_home', 'is_offline',
    'checkpoint_path', 'sidecar_path', 'sha256_file', 'file_sha256', 'resolve_weights', 'download_weights',
    'verify_weights', 'DOWNLOAD_HINT'
]

_TRUE = {'1', 'true', 'yes', 'on'}
_HEX = re.compile(r'^[0-9a-f]+$')

#: How users fetch a checkpoint; ``{name}`` is filled in.
DOWNLOAD_HINT = 'aigve weights download {name}   (or: python scripts/download_weights.py {name})'


# ---------------------------------------------------------------------------------------------- manifest
@dataclass(frozen=True)
class WeightSpec:
    """One checkpoint in the manifest.

    Args:
        name: Manifest key, kebab-case (``'fvd-i3d-tats'``).
        filename: File name in the cache (for Hugging Face models: the repo id, for display only).
        metric: Cache subfolder, usually the metric family (``'fvd'``).
        license: SPDX id or short note of the weights' license.
        url: Pinned download address of a single file. Defaults to None.
        hf_repo: Hugging Face repo id. Alone it names a whole model (snapshot); with ``hf_filename`` one
            file of that repo. Defaults to None.
        hf_revision: Branch, tag or commit of ``hf_repo``. Defaults to None (``'main'``).
        hf_filename: File inside ``hf_repo``. Defaults to None.
        sha256: Full hex sha256 of the file, only when a public source states it. Defaults to None.
        size: Size in bytes, only when known exactly. Defaults to None.
        description: What the file is and who uses it. Defaults to ''.
        sha256_prefix: Leading hex digits of the sha256 as carried in the file name (torch-hub
            convention). Defaults to None.
        manual_source: For a checkpoint with no public download address: where a user can obtain it.
            Such a file resolves only from ``model_path`` or the cache. Defaults to None.
    """

    name: str
    filename: str
    metric: str
    license: str
    url: str | None = None
    hf_repo: str | None = None
    hf_revision: str | None = None
    hf_filename: str | None = None
    sha256: str | None = None
    size: int | None = None
    description: str = ''
    sha256_prefix: str | None = None
    manual_source: str | None = None

    def __post_init__(self) -> None:
        for field in ('name', 'filename', 'metric', 'license'):
            if not isinstance(getattr(self, field), str) or not getattr(self, field):
                raise ValueError(f'`{field}` must be a non-empty str, but got {getattr(self, field)!r}')
        if self.url is None and self.hf_repo is None and not self.manual_source:
            raise ValueError(f'{self.name}: `url`, `hf_repo` or `manual_source` must be given, but got none')
        if not self.is_hf_model and ('/' in self.filename or '\\' in self.filename):
            raise ValueError(f'{self.name}: `filename` must be a bare file name, but got {self.filename!r}')
        if self.sha256 is not None and not (len(self.sha256) == 64 and _HEX.match(self.sha256)):
            raise ValueError(f'{self.name}: `sha256` must be 64 lowercase hex digits, but got {self.sha256!r}')
        if self.sha256_prefix is not None and not _HEX.match(self.sha256_prefix):
            raise ValueError(f'{self.name}: `sha256_prefix` must be lowercase hex, but got {self.sha256_prefix!r}')
        if self.sha256 and self.sha256_prefix and not self.sha256.startswith(self.sha256_prefix):
            raise ValueError(f'{self.name}: `sha256` {self.sha256} does not start with `sha256_prefix` '
                             f'{self.sha256_prefix}')
        if self.size is not None and (not isinstance(self.size, int) or self.size <= 0):
            raise ValueError(f'{self.name}: `size` must be a positive int, but got {self.size!r}')

    @property
    def is_hf_model(self) -> bool:
        """True for a whole Hugging Face model (resolved with ``resolve_hf_model``)."""
        return self.hf_repo is not None and self.hf_filename is None and self.url is None

    @property
    def revision(self) -> str:
        """The Hugging Face revision, ``'main'`` when not pinned."""
        return self.hf_revision or 'main'

    @property
    def download_url(self) -> str | None:
        """Where the single file comes from: ``url``, else the hub's resolve address of ``hf_filename``."""
        if self.url is not None:
            return self.url
        if self.hf_repo is not None and self.hf_filename is not None:
            endpoint = os.environ.get('HF_ENDPOINT', 'https://huggingface.co').rstrip('/')
            return f'{endpoint}/{self.hf_repo}/resolve/{self.revision}/{self.hf_filename}'
        return None

    def expected_hash_text(self) -> str:
        """Human text of the expected sha256 for error messages."""
        if self.sha256:
            return self.sha256
        if self.sha256_prefix:
            return (f'starts with {self.sha256_prefix} (from the file name; the full sha256 is recorded in '
                    f'{self.filename}.sha256 on first download)')
        return 'not pinned (recorded in the .sha256 sidecar on first download)'


# Sources of the entries (read 2026-11; no public source states a full sha256 for any of these files):
# * pytorch-fid src/pytorch_fid/inception.py FID_WEIGHTS_URL; torch-fidelity mirrors the same name.
# * StyleGAN-V src/metrics/frechet_video_distance.py detector_url (Dropbox, ?dl=1).
# * cd-fvd 0.1.1 cdfvd/third_party/i3d/utils.py and cdfvd/third_party/VideoMAEv2/utils.py.
# * torchvision 0.29 R3D_18_Weights.KINETICS400_V1 (torchvision loads it with check_hash=True, so the
#   b3b3357e suffix is a verified sha256 prefix; meta `_file_size` 127.359 MB).
# * The CLIP ViT-B/32 commit 3d74acf9... is the one pinned by public code that loads this repo.
_MANIFEST: list[WeightSpec] = [
    WeightSpec(
        name='fid-inception',
        filename='pt_inception-2015-12-05-6726825d.pth',
        metric='fid',
        license='Apache-2.0',
        url='https://github.com/mseitzer/pytorch-fid/releases/download/fid_weights/'
        'pt_inception-2015-12-05-6726825d.pth',
        sha256_prefix='6726825d',
        description='FID Inception-v3 (TF 2015-12-05 graph ported to PyTorch by pytorch-fid); state_dict for '
        "pytorch-fid's FIDInceptionA/C/E network; 2048-d pool3 features."),
    WeightSpec(
        name='fvd-i3d-torchscript',
        filename='i3d_torchscript.pt',
        metric='fvd',
        license='Apache-2.0',
        url='https://www.dropbox.com/s/ge9e5ujwgetktms/i3d_torchscript.pt?dl=1',
        description='I3D Kinetics-400 (TF-Hub weights of the original FVD code) as TorchScript, from '
        'StyleGAN-V; call with rescale/resize/return_features for 400-d pre-softmax features.'),
    WeightSpec(
        name='fvd-i3d-tats',
        filename='i3d_pretrained_400.pt',
        metric='fvd',
        license='Apache-2.0',
        url='https://github.com/songweige/TATS/raw/main/tats/fvd/i3d_pretrained_400.pt',
        description="I3D Kinetics-400 state_dict for pytorch_i3d.InceptionI3d(400) as used by TATS and cd-fvd's "
        "model='i3d'; input 224x224 in [-1, 1], 400 logits."),
    WeightSpec(
        name='fvd-videomae',
        filename='vit_g_hybrid_pt_1200e_ssv2_ft.pth',
        metric='fvd',
        license='MIT',
        url='https://pjlab-gvm-data.oss-cn-shanghai.aliyuncs.com/internvideo/videomaev2/'
        'vit_g_hybrid_pt_1200e_ssv2_ft.pth',
        description="VideoMAE-v2 ViT-g/14 fine-tuned on SSv2 (cd-fvd model='videomae', 1408-d features; "
        'about 1 B parameters). OpenGVLab/VideoMAEv2 code is MIT; the model zoo asks users to fill a '
        'download request form.'),
    WeightSpec(
        name='fvd-r3d18',
        filename='r3d_18-b3b3357e.pth',
        metric='fvd',
        license='BSD-3-Clause',
        url='https://download.pytorch.org/models/r3d_18-b3b3357e.pth',
        sha256_prefix='b3b3357e',
        description='torchvision R3D-18 KINETICS400_V1 state_dict (about 127 MB; used by the older aigve FVD).'),
    WeightSpec(
        name='clip-vit-base-patch32',
        filename='openai/clip-vit-base-patch32',
        metric='clip',
        license='MIT',
        hf_repo='openai/clip-vit-base-patch32',
        hf_revision='3d74acf9a28c67741b2f4f2ea7635f0aaf6f0268',
        description='OpenAI CLIP ViT-B/32 (transformers CLIPModel + CLIPProcessor).'),
    WeightSpec(
        name='blip-itm-base-coco',
        filename='Salesforce/blip-itm-base-coco',
        metric='blip',
        license='BSD-3-Clause',
        hf_repo='Salesforce/blip-itm-base-coco',
        hf_revision='main',
        description='BLIP ViT-B image-text matching fine-tuned on COCO (transformers BlipForImageTextRetrieval).'),
    WeightSpec(
        name='pickscore-v1',
        filename='yuvalkirstain/PickScore_v1',
        metric='pickscore',
        license='unspecified (see the model card)',
        hf_repo='yuvalkirstain/PickScore_v1',
        hf_revision='main',
        description='PickScore v1: CLIP-H fine-tuned on Pick-a-Pic preferences (transformers CLIPModel).'),
    WeightSpec(
        name='pickscore-processor',
        filename='laion/CLIP-ViT-H-14-laion2B-s32B-b79K',
        metric='pickscore',
        license='MIT',
        hf_repo='laion/CLIP-ViT-H-14-laion2B-s32B-b79K',
        hf_revision='main',
        description="LAION CLIP ViT-H/14; PickScore's processor (tokenizer + image preprocessing) comes from here."),
    WeightSpec(
        name='gstvqa-konvid',
        filename='training-all-data-GSTVQA-konvid-EXP0-best',
        metric='gstvqa',
        license='unspecified (the GSTVQA repository has no LICENSE file)',
        url='https://github.com/Baoliang93/GSTVQA/raw/main/TCSVT_Release/GVQA_Release/GVQA_Cross/models/training-all-data-GSTVQA-konvid-EXP0-best',
        description='GSTVQA (Chen et al., TCSVT 2021) trained on KoNViD-1k (default).'),
    WeightSpec(
        name='gstvqa-cvd2014',
        filename='training-all-data-GSTVQA-cvd14-EXP0-best',
        metric='gstvqa',
        license='unspecified (the GSTVQA repository has no LICENSE file)',
        url='https://github.com/Baoliang93/GSTVQA/raw/main/TCSVT_Release/GVQA_Release/GVQA_Cross/models/training-all-data-GSTVQA-cvd14-EXP0-best',
        description='GSTVQA (Chen et al., TCSVT 2021) trained on CVD2014.'),
    WeightSpec(
        name='gstvqa-livequalcomm',
        filename='training-all-data-GSTVQA-liveq-EXP0-best',
        metric='gstvqa',
        license='unspecified (the GSTVQA repository has no LICENSE file)',
        url='https://github.com/Baoliang93/GSTVQA/raw/main/TCSVT_Release/GVQA_Release/GVQA_Cross/models/training-all-data-GSTVQA-liveq-EXP0-best',
        description='GSTVQA (Chen et al., TCSVT 2021) trained on LIVE-Qualcomm.'),
    WeightSpec(
        name='gstvqa-livevqc',
        filename='training-all-data-GSTVQA-livev-EXP0-best',
        metric='gstvqa',
        license='unspecified (the GSTVQA repository has no LICENSE file)',
        url='https://github.com/Baoliang93/GSTVQA/raw/main/TCSVT_Release/GVQA_Release/GVQA_Cross/models/training-all-data-GSTVQA-livev-EXP0-best',
        description='GSTVQA (Chen et al., TCSVT 2021) trained on LIVE-VQC.'),
    WeightSpec(
        name='vgg16-imagenet',
        filename='vgg16-397923af.pth',
        metric='gstvqa',
        license='BSD-3-Clause',
        url='https://download.pytorch.org/models/vgg16-397923af.pth',
        sha256_prefix='397923af',
        description="torchvision VGG16 ImageNet-1k weights: GSTVQA's frame feature extractor."),
    WeightSpec(
        name='simplevqa-lsvq',
        filename='UGC_BVQA_model.pth',
        metric='simple_vqa',
        license='Apache-2.0 (SimpleVQA repository)',
        url='https://drive.google.com/uc?export=download&id=137XJdq3reNMJ9tkBNqKUYTY_dTlcwXc3',
        description='SimpleVQA (Sun et al., ACM MM 2022) trained on LSVQ. Google Drive may answer with a '
        'confirmation page (refused as HTML): then download it in a browser and pass model_path.'),
    WeightSpec(
        name='slowfast-r50-k400',
        filename='SLOWFAST_8x8_R50.pyth',
        metric='slowfast',
        license='Apache-2.0',
        url='https://dl.fbaipublicfiles.com/pytorchvideo/model_zoo/kinetics/SLOWFAST_8x8_R50.pyth',
        description='PyTorchVideo SlowFast-R50 8x8 Kinetics-400 (weights under model_state): motion features '
        'of SimpleVQA and LightVQA+.'),
    WeightSpec(
        name='lightvqa-plus',
        filename='last2_SI+TI_epoch_19_SRCC_0.925264.pth',
        metric='lightvqa_plus',
        license='unknown',
        manual_source='not published; request it from the Light-VQA+ authors and pass model_path',
        description='LightVQA+ trained on VEC-QA (file name from the older AIGVE toolkit config).'),
]

#: Manifest: name -> spec. Add entries with :func:`register_weights` or in ``_MANIFEST`` above.
WEIGHTS: dict[str, WeightSpec] = {}


def register_weights(spec: WeightSpec, *, overwrite: bool = False) -> WeightSpec:
    """Add ``spec`` to :data:`WEIGHTS` and return it.

    Raises:
        TypeError: If ``spec`` is not a :class:`WeightSpec`.
        ValueError: If the name is taken and ``overwrite`` is False.
    """
    if not isinstance(spec, WeightSpec):
        raise TypeError(f'`spec` must be a WeightSpec, but got {type(spec).__name__}')
    if spec.name in WEIGHTS and not overwrite:
        raise ValueError(f'weights {spec.name!r} are already registered; pass overwrite=True to replace them')
    WEIGHTS[spec.name] = spec
    return spec


for _spec in _MANIFEST:
    register_weights(_spec)


class UnknownWeightsError(KeyError, ValueError):
    """A name that is not in the manifest (both a KeyError and a ValueError)."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ''


def get_weight_spec(name: str | WeightSpec) -> WeightSpec:
    """Return the manifest entry ``name``; unknown names raise with close matches suggested."""
    if isinstance(name, WeightSpec):
        return name
    if name in WEIGHTS:
        return WEIGHTS[name]
    close = difflib.get_close_matches(str(name), list(WEIGHTS), n=3, cutoff=0.5)
    hint = f' Did you mean: {", ".join(close)}?' if close else ''
    raise UnknownWeightsError(f'`name` must be a checkpoint in aigve.utils.weights.WEIGHTS, but got {name!r}.'
                              f'{hint} Known: {", ".join(sorted(WEIGHTS))} (list them with `aigve weights list`).')


# ------------------------------------------------------------------------------------------ places & env
def aigve_home() -> Path:
    """Root of aigve's caches: ``$AIGVE_HOME``, else ``$XDG_CACHE_HOME/aigve``, else ``~/.cache/aigve``."""
    home = os.environ.get('AIGVE_HOME')
    if home:
        return Path(home).expanduser()
    xdg = os.environ.get('XDG_CACHE_HOME')
    if xdg:
        return Path(xdg).expanduser() / 'aigve'
    return Path('~/.cache/aigve').expanduser()


def is_offline() -> bool:
    """True when ``AIGVE_OFFLINE`` or ``HF_HUB_OFFLINE`` is 1/true/yes/on (any case)."""
    return any(os.environ.get(v, '').strip().lower() in _TRUE for v in ('AIGVE_OFFLINE', 'HF_HUB_OFFLINE'))


def checkpoint_path(name: str | WeightSpec) -> Path:
    """Cache path of a single-file checkpoint: ``aigve_home()/checkpoints/<metric>/<filename>``."""
    spec = get_weight_spec(name)
    if spec.is_hf_model:
        raise ValueError(f'{spec.name!r} is a Hugging Face model ({spec.hf_repo}); it lives in the hub cache '
                         'under aigve_home()/hf, see aigve.utils.hf.resolve_hf_model')
    return aigve_home() / 'checkpoints' / spec.metric / spec.filename


def sidecar_path(path: str | os.PathLike) -> Path:
    """The ``<file>.sha256`` record next to a cached checkpoint."""
    path = Path(path)
    return path.with_name(path.name + '.sha256')


# ------------------------------------------------------------------------------------------------- hashes
class WeightsHashError(ValueError):
    """A checkpoint whose sha256 (or size) does not match the manifest or the recorded hash."""


class WeightsNotFoundError(FileNotFoundError):
    """A checkpoint that is in none of the searched places and could not be downloaded."""


def sha256_file(path: str | os.PathLike) -> str:
    """Stream ``path`` through sha256 and return the hex digest (no memo; see :func:`file_sha256`)."""
    return content_sha256(path)


def _stat_key(path: Path) -> dict[str, int]:
    st = path.stat()
    return {'size': st.st_size, 'mtime_ns': st.st_mtime_ns}


def _read_json(path: Path) -> dict | None:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get('sha256'), str):
        return None
    return data


def _write_json_quietly(path: Path, data: dict) -> None:
    try:
        write_json_atomic(path, data)
    except OSError as e:  # read-only cache or home: hashing again next time is the only cost
        print_log(f'could not write {path}: {e}', logger='current', level=logging.DEBUG)


def _memo_path(path: Path) -> Path:
    key = hashlib.sha256(str(path).encode()).hexdigest()[:32]
    return aigve_home() / 'hashes' / f'{key}.json'


def file_sha256(path: str | os.PathLike, *, use_memo: bool = True) -> str:
    """sha256 of any file, memoised under ``aigve_home()/hashes`` keyed by (path, size, mtime).

    Args:
        path: The file.
        use_memo: Reuse a memo whose size and mtime still match. Defaults to True.
    """
    path = Path(path).resolve()
    memo_file = _memo_path(path)
    key = _stat_key(path)
    memo = _read_json(memo_file) if use_memo else None
    if memo is not None and memo.get('path') == str(path) and all(memo.get(k) == v for k, v in key.items()):
        return memo['sha256']
    sha256 = sha256_file(path)
    _write_json_quietly(memo_file, {'path': str(path), 'sha256': sha256, **key})
    return sha256


def _hash_problem(spec: WeightSpec, actual: str, recorded: str | None = None) -> str | None:
    """Why ``actual`` is not acceptable for ``spec``, or None when it is."""
    if spec.sha256 and actual != spec.sha256:
        return f'its sha256 is {actual}, but the manifest expects {spec.sha256}'
    if spec.sha256_prefix and not actual.startswith(spec.sha256_prefix):
        return (f'its sha256 is {actual}, but the file name {spec.filename} says it must start with '
                f'{spec.sha256_prefix}')
    if recorded and actual != recorded:
        return f'its sha256 is {actual}, but {recorded} was recorded when it was first downloaded or used'
    return None


def _cached_sha256(spec: WeightSpec, path: Path, *, rehash: bool = False) -> str:
    """Check a cached file against the manifest and its sidecar; record the hash on first use.

    Raises:
        WeightsHashError: On a mismatch.
    """
    side = sidecar_path(path)
    record = _read_json(side)
    key = _stat_key(path)
    unchanged = record is not None and all(record.get(k) == v for k, v in key.items())
    actual = record['sha256'] if (unchanged and not rehash) else sha256_file(path)
    problem = _hash_problem(spec, actual, record['sha256'] if record else None)
    if problem:
        raise WeightsHashError(
            f'{spec.name}: the cached file {path} is refused: {problem}. The file is corrupt, truncated or '
            f'replaced. Fix: delete {path} and {side}, then run `{DOWNLOAD_HINT.format(name=spec.name)}` '
            f'(or `aigve weights download {spec.name} --force`). If you replaced it on purpose with other '
            f'weights, pass model_path=<file> instead.')
    if not unchanged:
        origin = record.get('origin', 'first-use') if record else 'first-use'
        _write_json_quietly(side, {'sha256': actual, 'origin': origin, 'name': spec.name, **key,
                                   **({'url': record['url']} if record and 'url' in record else {})})
    return actual


# ------------------------------------------------------------------------------------------------ resolve
@dataclass(frozen=True)
class ResolvedWeights:
    """Where a checkpoint was found: its path, sha256, and ``'model_path'``, ``'cache'`` or ``'download'``."""

    path: Path
    sha256: str
    source: Literal['model_path', 'cache', 'download']
    name: str = ''


def _model_path_file(spec: WeightSpec, model_path: str | os.PathLike) -> Path:
    path = Path(model_path).expanduser()
    if path.is_file():
        return path
    if path.is_dir():
        inner = path / spec.filename
        if inner.is_file():
            return inner
        raise FileNotFoundError(
            f'{spec.name}: `model_path` is a folder without the expected file {spec.filename}: looked for '
            f'{inner}. Pass the checkpoint file itself, or put {spec.filename} in that folder.')
    raise FileNotFoundError(
        f'{spec.name}: `model_path` must be an existing file or folder, but got {str(model_path)!r} (not '
        f'found). aigve does not fall back to the cache when model_path is given; fix the path or remove '
        f'model_path to use {checkpoint_path(spec)}.')


def _not_found_message(spec: WeightSpec, cache: Path, download_note: str) -> str:
    url = spec.download_url
    lines = [
        f'Checkpoint {spec.name!r} ({spec.filename}, used by {spec.metric}) was not found.',
        'Searched:',
        '  1. model_path: not given',
        f'  2. cache: {cache} (missing)',
        f'  3. download from {url}: {download_note}',
        f'Expected sha256: {spec.expected_hash_text()}',
        'Fix, on a machine with internet access:',
        f'  {DOWNLOAD_HINT.format(name=spec.name)}',
        f'or download {url} yourself and save it as {cache},',
        f'or pass model_path=<path to {spec.filename}>.',
        f'The cache root is AIGVE_HOME (now {aigve_home()}); downloads are off while AIGVE_OFFLINE=1 or '
        'HF_HUB_OFFLINE=1.',
    ]
    return '\n'.join(lines)


def _download_into_cache(spec: WeightSpec, dest: Path, *, timeout: float, progress: bool) -> str:
    url = spec.download_url
    if url is None:
        raise ValueError(f'{spec.name}: the manifest has no download address')

    def check(sha256: str, size: int) -> None:
        if spec.size is not None and size != spec.size:
            raise WeightsHashError(f'{spec.name}: the download from {url} is refused: {size} bytes, but the '
                                   f'manifest expects {spec.size}. Nothing was written to {dest}.')
        problem = _hash_problem(spec, sha256)
        if problem:
            raise WeightsHashError(f'{spec.name}: the download from {url} is refused: {problem}. Nothing was '
                                   f'written to {dest}. The server may serve another file now; report it.')

    side = sidecar_path(dest)
    if side.exists():
        side.unlink()
    sha256 = download_file(url, dest, check=check, timeout=timeout, progress=progress, desc=spec.name)
    _write_json_quietly(side, {'sha256': sha256, 'origin': 'download', 'name': spec.name, 'url': url,
                               **_stat_key(dest)})
    return sha256


def _log_loaded(name: str, path: Path) -> None:
    print_log(f'{name}: loaded weights from {path}', logger='current', level=logging.INFO)


def resolve_weights(name: str,
                    model_path: str | os.PathLike | None = None,
                    *,
                    check_hash: bool = True,
                    timeout: float = 60.0,
                    progress: bool = True) -> ResolvedWeights:
    """Find the checkpoint ``name``: explicit ``model_path``, then the cache, then a download.

    Args:
        name: Manifest key, e.g. ``'fvd-i3d-tats'``.
        model_path: A checkpoint file, or a folder holding the manifest's file name. Defaults to None.
        check_hash: Refuse a ``model_path`` file whose sha256 differs from the manifest's. Set False to
            load other weights on purpose. Cached and downloaded files are always checked. Defaults to True.
        timeout: Seconds for the connection and each read of a download. Defaults to 60.
        progress: Show a tqdm bar on stderr while downloading. Defaults to True.

    Returns:
        ResolvedWeights with the path, its sha256 and where it came from.

    Raises:
        UnknownWeightsError: ``name`` is not in the manifest (a KeyError and a ValueError).
        ValueError: ``name`` is a whole Hugging Face model (use ``resolve_hf_model``).
        FileNotFoundError: ``model_path`` is given but missing.
        WeightsHashError: A file does not match the manifest's or the recorded sha256.
        WeightsNotFoundError: Not cached and not downloadable (offline, network or server error).
    """
    spec = get_weight_spec(name)
    if spec.is_hf_model:
        raise ValueError(f'{spec.name!r} is a Hugging Face model ({spec.hf_repo}); resolve it with '
                         'aigve.utils.hf.resolve_hf_model')
    if model_path is not None:
        path = _model_path_file(spec, model_path)
        sha256 = file_sha256(path)
        problem = _hash_problem(spec, sha256) if check_hash else None
        if problem:
            raise WeightsHashError(
                f'{spec.name}: model_path {path} is refused: {problem}. Fix: point model_path at the original '
                f'{spec.filename} (`{DOWNLOAD_HINT.format(name=spec.name)}` fetches it), or pass '
                'check_hash=False to load different weights on purpose.')
        _log_loaded(spec.name, path)
        return ResolvedWeights(path, sha256, 'model_path', spec.name)

    cache = checkpoint_path(spec)
    if cache.is_file():
        sha256 = _cached_sha256(spec, cache)
        _log_loaded(spec.name, cache)
        return ResolvedWeights(cache, sha256, 'cache', spec.name)

    if spec.download_url is None:
        raise WeightsNotFoundError(_not_found_message(
            spec, cache, f'impossible, there is no public download address ({spec.manual_source})'))
    if is_offline():
        raise WeightsNotFoundError(_not_found_message(
            spec, cache, 'skipped, offline mode is on (AIGVE_OFFLINE or HF_HUB_OFFLINE is set)'))
    try:
        sha256 = _download_into_cache(spec, cache, timeout=timeout, progress=progress)
    except DownloadError as e:
        raise WeightsNotFoundError(_not_found_message(spec, cache, f'failed: {e}')) from e
    _log_loaded(spec.name, cache)
    return ResolvedWeights(cache, sha256, 'download', spec.name)


def download_weights(name: str,
                     *,
                     force: bool = False,
                     timeout: float = 60.0,
                     progress: bool = True) -> ResolvedWeights:
    """Make sure the single-file checkpoint ``name`` is in the cache (what ``aigve weights download`` runs).

    A valid cached file is kept unless ``force``; ``force`` downloads again and replaces it atomically.

    Raises:
        WeightsNotFoundError: Offline mode, or the download failed.
        WeightsHashError: The cached file (without ``force``) or the download does not match.
    """
    spec = get_weight_spec(name)
    cache = checkpoint_path(spec)
    if cache.is_file() and not force:
        return ResolvedWeights(cache, _cached_sha256(spec, cache), 'cache', spec.name)
    if is_offline():
        raise WeightsNotFoundError(
            f'{spec.name}: cannot download {spec.download_url} because offline mode is on; unset AIGVE_OFFLINE '
            f'and HF_HUB_OFFLINE, or copy the file to {cache}.')
    try:
        sha256 = _download_into_cache(spec, cache, timeout=timeout, progress=progress)
    except DownloadError as e:
        raise WeightsNotFoundError(_not_found_message(spec, cache, f'failed: {e}')) from e
    return ResolvedWeights(cache, sha256, 'download', spec.name)


def verify_weights(name: str) -> tuple[str, str]:
    """Re-hash the cached file ``name``; return ``(status, detail)``.

    ``status`` is ``'OK'``, ``'MISSING'`` or ``'MISMATCH'``. A file without any expected hash gets its
    hash recorded (detail says so).
    """
    spec = get_weight_spec(name)
    cache = checkpoint_path(spec)
    if not cache.is_file():
        return 'MISSING', str(cache)
    had_record = _read_json(sidecar_path(cache)) is not None
    try:
        sha256 = _cached_sha256(spec, cache, rehash=True)
    except WeightsHashError as e:
        return 'MISMATCH', str(e)
    pinned = bool(spec.sha256 or spec.sha256_prefix or had_record)
    return 'OK', sha256 if pinned else f'{sha256} (no pinned hash; recorded now)'
