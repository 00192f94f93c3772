# VBench motion smoothness: AMT-S predicts every odd frame from its even neighbours (t = 0.5);
# score = (255 - mean |predicted - real|) / 255 on uint8 frames, every frame read. Weights: `amt-s.pth`
# (Hugging Face lalala125/AMT; `aigve weights download amt-s`), or pass model_path. Frames must be at least
# 113 pixels on each side (AMT-S's correlation pyramid): the toy set's 96x96 videos are all listed as failures,
# so point data_root / ann_file at your own videos.
_base_ = ['_base_/default_runtime.py', '_base_/datasets/toy.py']

model_path = None
val_dataloader = dict(dataset=dict(pipeline=_base_.generated_pipeline))  # all frames, no reference video
val_evaluator = dict(type='MotionSmoothness', model_path=model_path, pair_batch_size=8,
                     max_corr_mib=4096, device='auto')
test_evaluator = val_evaluator
