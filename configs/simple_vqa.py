# SimpleVQA (Sun et al., ACM MM 2022), LSVQ-trained: ResNet-50 on one key frame per second + SlowFast-R50
# on a 32-frame clip per second. Needs every frame and the file's fps (samples without fps use fallback_fps).
# Weights: `aigve weights download simplevqa-lsvq slowfast-r50-k400`.
_base_ = ['_base_/default_runtime.py', '_base_/datasets/toy.py']

val_dataloader = dict(batch_size=1)
val_evaluator = dict(type='SimpleVQA', model_path=None, slowfast_model_path=None, fallback_fps=25.0,
                     device='auto')
test_evaluator = val_evaluator
