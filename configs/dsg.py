# DSG (Davidsonian Scene Graph): an LLM writes each prompt's tuples, one yes/no question per tuple and the
# tuples' parents (DSG's three in-context prompts: 3 calls per unique prompt, cached under $AIGVE_HOME/questions);
# a VLM answers the questions on 4 frames per video; a question whose parent is answered "no" scores 0.
# Results: dsg (with dependencies, headline) and dsg_nodep.
# The judge is any OpenAI-compatible endpoint (OpenAI, vLLM, Ollama); the API key is read from the environment
# variable NAMED below, never written here:   export OPENAI_API_KEY=...
# Local server without a key (vLLM `vllm serve Qwen/Qwen2.5-VL-7B-Instruct`):
#   --cfg-options val_evaluator.backend.base_url=http://127.0.0.1:8000/v1 \
#                 val_evaluator.backend.model=Qwen/Qwen2.5-VL-7B-Instruct val_evaluator.backend.api_key_env=None
# Local transformers VLM:  backend=dict(type='hf', model='Qwen/Qwen2-VL-2B-Instruct')  (yes/no from next-token logits)
# Precomputed questions (DSG-1k): questions_file='dsg-1k-anns.csv' (looked up by prompt text).
_base_ = ['_base_/default_runtime.py', '_base_/datasets/toy.py']

val_dataloader = dict(dataset=dict(pipeline=_base_.generated_pipeline))  # reads no reference video

backend = dict(                     # answers the questions (vision)
    type='openai',
    base_url='https://api.openai.com/v1',
    model='gpt-4o-2024-08-06',      # DSG's own GPT-4o VQA example used 'gpt-4o'
    api_key_env='OPENAI_API_KEY',
    temperature=0.0,
    seed=0,
    max_side=512,
    logprobs=True,                  # P(yes) from the first token (answer_rule='prob' uses it)
    max_in_flight=8,
    max_retries=3,
    timeout=120.0,
    cache=False,
)
# writes the scene graphs; DSG used gpt-3.5-turbo-16k-0613 (retired): any 16k-context chat model
qg_backend = dict(backend, model='gpt-4o-mini')

val_evaluator = dict(
    type='DSG',
    backend=backend,
    qg_backend=qg_backend,
    questions_file=None,
    num_frames=4,                   # frames per video, spread uniformly; cost = questions x frames calls
    answer_rule='first_word',       # 'exact' = DSG's answer == 'yes'; 'prob' = P(yes) >= 0.5
    qg_max_tokens=1024,             # DSG's 500 can cut long scene graphs (up to 52 questions)
    question_cache=True,
    parse_retries=2,
)
test_evaluator = val_evaluator
