# Light-VQA (Dong et al., ACM MM 2023; see docs/metrics/light_vqa.md): Swin-S on 8 key frames at 512x960 with
# brightness/noise features, SlowFast-R50 on the per-second 32-frame clips of the first 8 s, brightness
# consistency over each eighth of the video; the mean of the 8 clip scores.
# Weights: `aigve weights download light-vqa-llveqa slowfast-r50-k400` (or pass model_path).
_base_ = ['_base_/default_runtime.py', '_base_/datasets/toy.py']

model_path = None
val_dataloader = dict(batch_size=1)
val_evaluator = dict(type='LightVQA', model_path=model_path, slowfast_model_path=None, key_frames='released',
                     device='auto')
test_evaluator = val_evaluator
