# GSTVQA (Chen et al., TCSVT 2021): multi-scale VGG16 mean/std features + GSTVQA network, KoNViD-1k checkpoint.
# Every frame at native resolution (the first 500 are scored). Other checkpoints: train_set='cvd2014',
# 'livequalcomm' or 'livevqc'. Weights: `aigve weights download gstvqa-konvid vgg16-imagenet`.
_base_ = ['_base_/default_runtime.py', '_base_/datasets/toy.py']

val_dataloader = dict(batch_size=1)
val_evaluator = dict(type='GSTVQA', train_set='konvid', model_path=None, vgg_model_path=None, frame_batch_size=16,
                     device='auto')
test_evaluator = val_evaluator
