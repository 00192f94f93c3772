# VideoPhy-2 AutoEval: greedy-generated 1-5 ratings of semantic adherence (SA) and physical commonsense (PC), joint =
# SA >= 4 and PC >= 4. Needs prompts. Add 'rule' to `tasks` with an annotation key `rule` (dataset extra_keys).
_base_ = ['./videophy.py']

val_evaluator = dict(_delete_=True, type='VideoPhy2', model_path=None, tasks=('sa', 'pc'), max_length=256,
                     num_frames=32, videos_per_batch=4, dtype='auto', device='auto')
test_evaluator = val_evaluator
