# VBench imaging quality: MUSIQ trained on SPAQ (pyiqa's layout; scales longer side 224, 384 + original, patch 32)
# on every frame after VBench's 'longer' preprocessing (longer side above 512 -> 512, bilinear, no antialias).
# Per video: `musiq` = mean frame score on its 0-100 scale (VBench's per-video value) and `imaging_quality` =
# musiq / 100; the aggregate `imaging_quality` is VBench's dimension score (mean over videos / 100).
# Weights: musiq_spaq_ckpt-358bb6af.pth (`aigve weights download musiq-spaq`), or pass model_path.
_base_ = ['_base_/default_runtime.py', '_base_/datasets/toy.py']

model_path = None
val_dataloader = dict(dataset=dict(pipeline=_base_.generated_pipeline))  # every frame; no reference video
val_evaluator = dict(type='ImagingQuality', model_path=model_path, preprocess_mode='longer', batch_size=16,
                     device='auto')
test_evaluator = val_evaluator
