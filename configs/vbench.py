# VBench (Huang et al., CVPR 2024): every dimension that runs on our stack and on custom videos, in one pass over
# the videos (each video decoded once and handed to every dimension), then VBench's Quality score
# (Min/Max-normalised, dynamic degree weighted 0.5). Semantic and Total need dimensions that need GRiT or
# Tag2Text (not available); the results' provenance (protocol.vbench.missing) names them.
#   python main_aigve.py configs/vbench.py --cfg-options data_root=/my/videos ann_file=/my/ann.json
# VBench's standard prompt suite: write one annotation per dimension with scripts/vbench_annotations.py and run
# configs/vbench_<dimension>.py on each (VBench scores each dimension on its own prompts).
# RAFT and AMT-S need frames of at least 128 px (after padding): on the toy set's 96x96 videos DynamicDegree and
# MotionSmoothness score nothing (each video is listed as their failure, with the reason) and Quality is not made.
_base_ = ['_base_/default_runtime.py', '_base_/datasets/toy.py']

val_dataloader = dict(dataset=dict(pipeline=_base_.generated_pipeline))  # every frame; no reference videos
val_evaluator = [
    dict(type='SubjectConsistency', device='auto'),
    dict(type='BackgroundConsistency', device='auto'),
    dict(type='TemporalFlickering', device='auto'),
    dict(type='MotionSmoothness', device='auto'),
    dict(type='DynamicDegree', device='auto'),
    dict(type='AestheticQuality', device='auto'),
    dict(type='ImagingQuality', device='auto'),
    dict(type='OverallConsistency', device='auto'),   # reads the prompt
    dict(type='TemporalStyle', device='auto'),        # reads the prompt
    dict(type='VBenchScores'),                        # last: made from the dimensions above
]
test_evaluator = val_evaluator
