# VIEScore (t2v): a VLM judge rates each video's frames for prompt following (SC) and quality (PQ); 0-10.
# The judge is any OpenAI-compatible endpoint (OpenAI, vLLM, Ollama). The API key is read from the environment
# variable NAMED below, never written here:   export OPENAI_API_KEY=...
# Local server without a key (vLLM `vllm serve Qwen/Qwen2.5-VL-7B-Instruct --limit-mm-per-prompt '{"image":16}'`):
#   --cfg-options val_evaluator.backend.base_url=http://127.0.0.1:8000/v1 \
#                 val_evaluator.backend.model=Qwen/Qwen2.5-VL-7B-Instruct val_evaluator.backend.api_key_env=None
# Local transformers model instead of HTTP:
#   val_evaluator = dict(type='VIEScore', backend=dict(type='hf', model='Qwen/Qwen2-VL-2B-Instruct'), num_frames=8)
_base_ = ['_base_/default_runtime.py', '_base_/datasets/toy.py']

val_dataloader = dict(dataset=dict(pipeline=_base_.generated_pipeline))  # reads no reference video

backend = dict(
    type='openai',
    base_url='https://api.openai.com/v1',
    model='gpt-4o-2024-08-06',      # upstream used gpt-4o-2024-05-13
    api_key_env='OPENAI_API_KEY',   # the variable's NAME; the key stays in the environment
    temperature=0.0,                # upstream sent none (so 1.0); 0 + seed for repeatable runs
    seed=0,
    max_tokens_key='max_tokens',    # 'max_completion_tokens' for o-series / gpt-5 models (set temperature=None)
    max_side=512,                   # frames resized to at most 512 px on the longest side before upload
    max_in_flight=4,                # requests in flight at once; a batch of B videos sends 2B requests together
    max_retries=3,                  # on 429 / 5xx / timeouts, honouring Retry-After
    timeout=120.0,
    cache=False,                    # True: answers cached under $AIGVE_HOME/judge_answers (a re-run is free)
)

# All sampled frames of a video go into one SC and one PQ request (frames_per_call=None), as upstream does.
val_evaluator = dict(
    type='VIEScore',
    backend=backend,
    num_frames=8,
    frames_per_call=None,
    parse_mode='tolerant',          # 'strict' or 'upstream' (the original parser's rules, never its random guess)
    parse_retries=2,
    max_tokens=1400,
)
test_evaluator = val_evaluator
