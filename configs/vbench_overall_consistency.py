# VBench overall consistency: ViCLIP-L/14 cosine of the video (8 VBench 'middle' frames) and its full prompt.
_base_ = ['_base_/default_runtime.py', '_base_/datasets/toy.py']

# ViClip-InternVid-10M-FLT.pth (or a folder holding it); None: cache, then download from
# OpenGVLab/VBench_Used_Models. Override with: --cfg-options model_path=/path/to/ViClip-InternVid-10M-FLT.pth
model_path = None

# Only the 8 frames VBench reads are decoded: get_frame_indices(8, T, 'middle'), padded with the last frame.
# The metric applies the same rule to whatever frames it is given, so a pipeline decoding every frame agrees.
pipeline = [
    dict(type='OpenVideo', backend='auto', with_reference=False),
    dict(type='SampleFrames', strategy='middle', num_frames=8, pad='repeat_last'),
    dict(type='DecodeFrames'),
    dict(type='PackVideoInputs'),
]
val_dataloader = dict(dataset=dict(pipeline=pipeline))
# tokenizer: OpenAI CLIP BPE (hub id or local folder; only its tokenizer files are read), context 32 as VBench.
val_evaluator = dict(type='OverallConsistency', model_path=model_path, tokenizer='openai/clip-vit-large-patch14',
                     video_batch_size=8, device='auto')
test_evaluator = val_evaluator
