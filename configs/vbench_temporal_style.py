# VBench temporal style: ViCLIP-L/14 cosine of the video (8 VBench 'middle' frames) and its full prompt, the same
# computation as overall_consistency on VBench's temporal-style prompts; everything else as in that config.
_base_ = ['vbench_overall_consistency.py']

val_evaluator = dict(type='TemporalStyle')
test_evaluator = val_evaluator
