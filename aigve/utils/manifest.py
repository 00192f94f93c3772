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
    # --- TIFA (H-VLM-2): the two optional helper models; no public source states a commit, so 'main'
    WeightSpec(
        name='tifa-sbert',
        filename='sentence-transformers/all-mpnet-base-v2',
        metric='tifa',
        license='Apache-2.0',
        hf_repo='sentence-transformers/all-mpnet-base-v2',
        hf_revision='main',
        description="SBERT all-mpnet-base-v2 (transformers AutoModel): TIFA maps a free-form VQA answer to the "
        'nearest choice with it (tifascore/mc_sbert.py).'),
    WeightSpec(
        name='tifa-unifiedqa',
        filename='allenai/unifiedqa-v2-t5-large-1363200',
        metric='tifa',
        license='Apache-2.0 (allenai/unifiedqa code; the model card states none)',
        hf_repo='allenai/unifiedqa-v2-t5-large-1363200',
        hf_revision='main',
        description="UnifiedQA v2 T5-large (AutoModelForSeq2SeqLM): TIFA's optional question filter "
        '(tifascore/unifiedqa.py, question_filter.py).'),
    # --- VideoPhy (lead) ---
    WeightSpec(
        name='videophy-1',
        filename='videophysics/videocon_physics',
        metric='videophy',
        license='see the model card (LLaMA-7B based)',
        hf_repo='videophysics/videocon_physics',
        hf_revision='main',
        description='VideoCon-Physics (VideoPhy-1 judge): mPLUG-Owl-video, LLaMA-7B, merged weights in '
                    'pytorch_model.bin; unpinned: no public source here names its commit.'),
    WeightSpec(
        name='videophy-2',
        filename='videophysics/videophy_2_auto',
        metric='videophy',
        license='see the model card (LLaMA-7B based)',
        hf_repo='videophysics/videophy_2_auto',
        hf_revision='main',
        description='VideoPhy-2 AutoEval: mPLUG-Owl-video, LLaMA-7B; unpinned: no public source here names its '
                    'commit.'),
    # --- VideoScore (lead) ---
    WeightSpec(
        name='videoscore-v1.1',
        filename='TIGER-Lab/VideoScore-v1.1',
        metric='videoscore',
        license='MIT',
        hf_repo='TIGER-Lab/VideoScore-v1.1',
        hf_revision='dcecee6f43e27307a0fe97abe6faf67fc479badc',
        description='VideoScore v1.1 (Idefics2-8B regression, 48 frames); the hub main commit "Fix task tag (#1)".'),
    WeightSpec(
        name='videoscore-v1',
        filename='TIGER-Lab/VideoScore',
        metric='videoscore',
        license='Apache-2.0',
        hf_repo='TIGER-Lab/VideoScore',
        hf_revision='main',
        description='VideoScore v1 (Idefics2-8B regression, 16 frames); unpinned: no public source here names '
                    'its current commit.'),
    # --- VideoScore2 (H-VS2): no public source read here states a commit of the hub repo, so 'main'
    WeightSpec(
        name='videoscore2',
        filename='TIGER-Lab/VideoScore2',
        metric='videoscore2',
        license='Apache-2.0',
        hf_repo='TIGER-Lab/VideoScore2',
        hf_revision='main',
        description='VideoScore2 (Qwen2.5-VL-7B, SFT + GRPO on VideoFeedback2; generative, three 1-5 scores); '
                    'unpinned: no public source here names its commit.'),
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
    # --- VBench motion_smoothness (AMT-S), H-VB-D. Address from VBench's vbench/utils.py (@45e79ec), which
    # downloads https://huggingface.co/lalala125/AMT/resolve/main/amt-s.pth; no commit or sha256 is published.
    WeightSpec(
        name='amt-s',
        filename='amt-s.pth',
        metric='vbench',
        license='CC-BY-NC-4.0 (MCG-NKU/AMT)',
        hf_repo='lalala125/AMT',
        hf_revision='main',
        hf_filename='amt-s.pth',
        description='AMT-S frame interpolation (Li et al., CVPR 2023; weights under "state_dict", loaded '
        'strictly): VBench motion_smoothness.'),
    # --- VBench overall_consistency / temporal_style (ViCLIP) and human_action (UMT), H-VB-C. Addresses from
    # VBench's pretrained/{viclip,umt}_model/model_path.txt (@45e79ec); no public commit or sha256 is stated.
    WeightSpec(
        name='viclip-internvid-10m-flt',
        filename='ViClip-InternVid-10M-FLT.pth',
        metric='vbench',
        license='unspecified (OpenGVLab/VBench_Used_Models states none; InternVideo code is Apache-2.0)',
        hf_repo='OpenGVLab/VBench_Used_Models',
        hf_filename='ViClip-InternVid-10M-FLT.pth',
        description='ViCLIP ViT-L/14 trained on InternVid-10M-FLT (state dict under "model"): VBench '
        'overall_consistency and temporal_style.'),
    WeightSpec(
        name='umt-l16-k400',
        filename='l16_ptk710_ftk710_ftk400_f16_res224.pth',
        metric='vbench',
        license='unspecified (OpenGVLab/VBench_Used_Models states none; unmasked_teacher code is MIT)',
        hf_repo='OpenGVLab/VBench_Used_Models',
        hf_filename='l16_ptk710_ftk710_ftk400_f16_res224.pth',
        description='UMT ViT-L/16 (pre-trained K710, fine-tuned K710 then Kinetics-400, 16 frames, 224 px): '
        'VBench human_action; converted to transformers VideoMAEForVideoClassification at load time.'),
    # --- VBench subject_consistency (DINO), aesthetic_quality (CLIP ViT-L/14 + LAION head), H-VB-A.
    # DINO: the address of facebookresearch/dino hubconf.py dino_vitb16 (@7c446df), which VBench loads through
    # torch.hub; no sha256 is published. LAION head: LAION-AI/aesthetic-predictor @6d122ad (the file last
    # changed in 7e37768); its sha256 and size are those of the file in that commit (blob d4135b63).
    WeightSpec(
        name='dino-vitb16',
        filename='dino_vitbase16_pretrain.pth',
        metric='vbench',
        license='Apache-2.0',
        url='https://dl.fbaipublicfiles.com/dino/dino_vitbase16_pretrain/dino_vitbase16_pretrain.pth',
        description='DINO ViT-B/16 backbone (state dict of vit_base(patch_size=16, num_classes=0)): VBench '
        'subject_consistency.'),
    WeightSpec(
        name='dino-vitb16-hf',
        filename='facebook/dino-vitb16',
        metric='vbench',
        license='Apache-2.0',
        hf_repo='facebook/dino-vitb16',
        hf_revision='main',
        description='The same DINO ViT-B/16 in the transformers ViTModel layout; aigve converts its keys to '
        "DINO's exactly (pass the folder as model_path)."),
    WeightSpec(
        name='clip-vit-large-patch14',
        filename='openai/clip-vit-large-patch14',
        metric='clip',
        license='MIT',
        hf_repo='openai/clip-vit-large-patch14',
        hf_revision='main',
        description='OpenAI CLIP ViT-L/14 (transformers CLIPModel + CLIPProcessor): VBench aesthetic_quality.'),
    WeightSpec(
        name='laion-aesthetic-vit-l-14',
        filename='sa_0_4_vit_l_14_linear.pth',
        metric='vbench',
        license='MIT',
        url='https://raw.githubusercontent.com/LAION-AI/aesthetic-predictor/'
        '6d122adad522ab246644d9dc1c6d7a3810ee255f/sa_0_4_vit_l_14_linear.pth',
        sha256='2cd4e60f4f24ae3bcd57b847b13c1f3ba27edc28cc1a7f9ce74ee9f421243cba',
        size=4071,
        description='LAION aesthetic predictor v1: nn.Linear(768, 1) on L2-normalised CLIP ViT-L/14 image '
        'embeddings (keys weight, bias): VBench aesthetic_quality.'),
    # --- VBench dynamic_degree + static filter (RAFT) and imaging_quality (MUSIQ), H-VB-B.
    # RAFT: torchvision 0.29 Raft_Large_Weights.C_T_V1 (torchvision loads it with check_hash=True, so 22a6c225
    # is a verified sha256 prefix; meta `_file_size` 20.129 MB). MUSIQ: pyiqa's default_model_urls['spaq']
    # (pyiqa/archs/musiq_arch.py @01ae427); the GitHub release tag v0.1-weights holds the same file as the hub
    # repo chaofengc/IQA-PyTorch-Weights. 358bb6af is the torch-hub style suffix of its name (not verified
    # against the file by any public code: pyiqa downloads without a hash check).
    WeightSpec(
        name='raft-large-c-t-v1',
        filename='raft_large_C_T_V1-22a6c225.pth',
        metric='vbench',
        license='BSD-3-Clause',
        url='https://download.pytorch.org/models/raft_large_C_T_V1-22a6c225.pth',
        sha256_prefix='22a6c225',
        description='torchvision RAFT-large C_T_V1 state_dict (ported from the original RAFT trained on Chairs '
        '+ Things; about 20 MB): VBench dynamic_degree and the static-video filter.'),
    WeightSpec(
        name='musiq-spaq',
        filename='musiq_spaq_ckpt-358bb6af.pth',
        metric='vbench',
        license='Apache-2.0 (Google MUSIQ checkpoint, converted by pyiqa)',
        url='https://github.com/chaofengc/IQA-PyTorch/releases/download/v0.1-weights/musiq_spaq_ckpt-358bb6af.pth',
        sha256_prefix='358bb6af',
        description='MUSIQ (Ke et al., ICCV 2021) trained on SPAQ, in pyiqa\'s key layout (also at '
        'huggingface.co/chaofengc/IQA-PyTorch-Weights): VBench imaging_quality.'),
    # --- VLM judges (aigve.models.judges.local_hf), H-VLM-1: local stand-ins for VIEScore's GPT-4o judge.
    # No public source states a commit for these repos, so they follow `main` (the card says so); pin one with
    # `revision=` (HFVLMBackend) for a reproducible run.
    WeightSpec(
        name='qwen2-vl-2b-instruct',
        filename='Qwen/Qwen2-VL-2B-Instruct',
        metric='vlm_judge',
        license='Apache-2.0',
        hf_repo='Qwen/Qwen2-VL-2B-Instruct',
        hf_revision='main',
        description='Qwen2-VL-2B-Instruct (about 2.2 B parameters, fp32 about 9 GB): a local VLM judge for '
        'VIEScore / DSG yes-no questions (AutoModelForImageTextToText + chat template).'),
    WeightSpec(
        name='llava-onevision-qwen2-0.5b-ov',
        filename='llava-hf/llava-onevision-qwen2-0.5b-ov-hf',
        metric='vlm_judge',
        license='Apache-2.0',
        hf_repo='llava-hf/llava-onevision-qwen2-0.5b-ov-hf',
        hf_revision='main',
        description='LLaVA-OneVision 0.5B (transformers port): a small local VLM judge that fits a CPU.'),
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
