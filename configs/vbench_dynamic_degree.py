# VBench dynamic degree: RAFT-large (torchvision C_T_V1 weights, 20 flow updates) between frames taken at stride
# max(1, round(fps / 8)) of the file's real fps, full resolution; a video is dynamic (1) when enough pairs' top-5%
# flow magnitude exceeds 6 * min(H, W) / 256; the aggregate is the fraction of dynamic videos.
# Weights: raft_large_C_T_V1-22a6c225.pth (`aigve weights download raft-large-c-t-v1`), or pass model_path.
# torchvision's RAFT needs frames of at least 128 pixels a side: the toy set's small videos are all listed as
# failures, so point data_root / ann_file at your own videos.
_base_ = ['_base_/default_runtime.py', '_base_/datasets/toy.py']

model_path = None
val_dataloader = dict(dataset=dict(pipeline=_base_.generated_pipeline))  # every frame; no reference video
val_evaluator = dict(type='DynamicDegree', model_path=model_path, num_flow_updates=20, batch_size=8,
                     device='auto')
test_evaluator = val_evaluator
