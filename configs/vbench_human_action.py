# VBench human action: UMT ViT-L/16 Kinetics-400 (as transformers VideoMAE) on 16 VBench 'middle' frames; a video
# counts as correct when its action is among the top-5 classes with sigmoid probability >= 0.85. The action comes
# from the annotation's auxiliary_info {"human_action": {"action": "riding a bike"}}, else from the file name
# ("A person is riding a bike-0.mp4"), as VBench reads it.
_base_ = ['_base_/default_runtime.py', '_base_/datasets/toy.py']

# l16_ptk710_ftk710_ftk400_f16_res224.pth (or a folder holding it); None: cache, then download from
# OpenGVLab/VBench_Used_Models. Override with: --cfg-options model_path=/path/to/l16_ptk710_ftk710_ftk400_f16_res224.pth
model_path = None

pipeline = [
    dict(type='OpenVideo', backend='auto', with_reference=False),
    dict(type='SampleFrames', strategy='middle', num_frames=16, pad='repeat_last'),
    dict(type='DecodeFrames'),
    dict(type='PackVideoInputs'),
]
val_dataloader = dict(dataset=dict(pipeline=pipeline))
val_evaluator = dict(type='HumanAction', model_path=model_path, num_frames=16, top_k=5, threshold=0.85,
                     video_batch_size=4, device='auto')
test_evaluator = val_evaluator
