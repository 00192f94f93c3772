# TIFA: an LLM writes multiple-choice questions about each prompt (TIFA's in-context prompt, once per unique
# prompt, cached under $AIGVE_HOME/questions); a VLM answers them on 4 frames per video; score = accuracy.
# The judge is any OpenAI-compatible endpoint (OpenAI, vLLM, Ollama); the API key is read from the environment
# variable NAMED below, never written here:   export OPENAI_API_KEY=...
# Local server without a key (vLLM `vllm serve Qwen/Qwen2.5-VL-7B-Instruct`):
#   --cfg-options val_evaluator.backend.base_url=http://127.0.0.1:8000/v1 \
#                 val_evaluator.backend.model=Qwen/Qwen2.5-VL-7B-Instruct val_evaluator.backend.api_key_env=None
# Local transformers VLM for the answers:  backend=dict(type='hf', model='Salesforce/blip-vqa-capfilt-large')
# (TIFA's own BLIP-large; mPLUG-large, TIFA's recommended VQA model, is not available here: see the card).
# Precomputed questions (TIFA v1.0): questions_file='tifa_v1.0_question_answers.json' (looked up by caption).
_base_ = ['_base_/default_runtime.py', '_base_/datasets/toy.py']

val_dataloader = dict(dataset=dict(pipeline=_base_.generated_pipeline))  # reads no reference video

backend = dict(                     # answers the questions (vision)
    type='openai',
    base_url='https://api.openai.com/v1',
    model='gpt-4o-2024-08-06',
    api_key_env='OPENAI_API_KEY',   # the variable's NAME; the key stays in the environment
    temperature=0.0,
    seed=0,
    max_side=512,                   # frames resized to at most 512 px on the longest side before upload
    max_in_flight=8,                # questions x frames of a batch are asked concurrently up to this cap
    max_retries=3,
    timeout=120.0,
    cache=False,                    # True: answers cached under $AIGVE_HOME/judge_answers (a re-run is free)
)
qg_backend = dict(backend, model='gpt-3.5-turbo')  # writes the questions (text only); TIFA used gpt-3.5-turbo

val_evaluator = dict(
    type='TIFA',
    backend=backend,
    qg_backend=qg_backend,
    questions_file=None,
    num_frames=4,                   # frames per video, spread uniformly; cost = questions x frames calls
    question_filter=False,          # True: TIFA's UnifiedQA filter (weights 'tifa-unifiedqa')
    choice_mapping='sbert',         # TIFA's: exact, else SBERT-nearest (weights 'tifa-sbert'); 'normalized': no model
    mc_prompt=False,                # True: show the choices to the VQA model (TIFA does for BLIP-2 only)
    qg_max_tokens=700,
    vqa_max_tokens=50,
    question_cache=True,
    parse_retries=2,
)
test_evaluator = val_evaluator
