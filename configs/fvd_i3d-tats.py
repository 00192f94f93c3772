# FVD with cd-fvd's I3D (TATS i3d_pretrained_400.pt, 400 logits), cd-fvd preprocessing; `resolution` is
# cd-fvd's loader resolution (None = frames as decoded, its in-memory compute_fvd path).
_base_ = ['./fvd.py']

val_evaluator = dict(type='FVD', backbone='i3d_tats', resolution=None, num_frames=16)
test_evaluator = val_evaluator
