"""The manifest: every checkpoint aigve knows (:data:`WEIGHTS`), one :class:`WeightSpec` each.

Facts about a checkpoint (its file name, download address, Hugging Face repo and revision, expected sha256,
license) live only here; loaders name an entry and :func:`aigve.utils.weights.resolve_weights` finds the file.

Adding a checkpoint: append a :class:`WeightSpec` to ``_MANIFEST`` below (or call :func:`register_weights`
from a plugin, e.g. a config's ``custom_imports``). Never write a hash that no public source states.
"""
from __future__ import annotations

import difflib
import os
import re
from dataclasses import dataclass

__all__ = ['WeightSpec', 'WEIGHTS', 'register_weights', 'get_weight_spec', 'UnknownWeightsError', 'DOWNLOAD_HINT']

_HEX = re.compile(r'^[0-9a-f]+$')

#: How users fetch a checkpoint; ``{name}`` is filled in.
DOWNLOAD_HINT = 'aigve weights download {name}   (or: python scripts/download_weights.py {name})'


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
        """True for a whole Hugging Face model (a hub snapshot folder, not one file)."""
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
        name='light-vqa-llveqa',
        filename='last2_SI+TI_epoch_16_SRCC_0.937369.pth',
        metric='light_vqa',
        license='unknown (wenzhouyidu/Light-VQA has no license file)',
        url='https://drive.google.com/uc?export=download&id=1GEvjpbDwG7L3fekkLt2eQQ3ozzAz3qCx',
        description='Light-VQA (Dong et al., ACM MM 2023) trained on LLVE-QA; published in the README as '
        'https://drive.google.com/file/d/1GEvjpbDwG7L3fekkLt2eQQ3ozzAz3qCx/view?usp=sharing (file name from '
        'its test.py). Google Drive may answer with a confirmation page (refused as HTML): then download it '
        'in a browser and pass model_path.'),
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
    raise UnknownWeightsError(f'`name` must be a checkpoint in aigve.utils.manifest.WEIGHTS, but got {name!r}.'
                              f'{hint} Known: {", ".join(sorted(WEIGHTS))} (list them with `aigve weights list`).')
