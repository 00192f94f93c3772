# FVD with cd-fvd's VideoMAE-v2 ViT-g (1408-d features; about 1 B parameters: use a GPU).
_base_ = ['./fvd.py']

val_evaluator = dict(type='FVD', backbone='videomae', resolution=None, num_frames=16, batch_size=2)
test_evaluator = val_evaluator
