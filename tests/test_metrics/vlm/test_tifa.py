"""TIFA: the byte-exact prompt, the reply parser, the filter and mapping rules, parity with TIFA's sample
results, and end-to-end runs against a scripted backend and the fake OpenAI-compatible server."""
from __future__ import annotations

import hashlib
import json
import statistics
from pathlib import Path

import pytest
import torch
from helpers.fake_openai import FakeOpenAI, FakeReply, image_urls, user_text

from aigve.metrics.vlm.question_cache import QuestionCache
from aigve.metrics.vlm.tifa import TIFA
from aigve.metrics.vlm.tifa.functional import (
    filter_checks,
    load_tifa_questions,
    map_to_choice,
    normalize_answer,
    parse_qg_reply,
    token_f1,
    unifiedqa_mc_input,
    words_to_number,
)
from aigve.metrics.vlm.tifa.prompts import TIFA_QG_PROMPT, TIFA_QG_PROMPT_SHA256, tifa_qg_request
from aigve.models.judges.scripted import ScriptedBackend
from aigve.registry import METRICS

DATA = Path(__file__).resolve().parents[2] / 'data' / 'vlm' / 'tifa'
SAMPLE = json.loads((DATA / 'sample_evaluation_result.json').read_text())
QAS = DATA / 'sample_question_answers.json'

# A reply in TIFA's format, as gpt-3.5-turbo writes it after "...\nEntities" (the text starts at ": ").
REPLY = """: cat, sofa
Activities: sleeping
Colors: black, red
Counting:
Other attributes:
Questions and answers are below:
About cat (animal):
Q: is this a cat?
Choices: yes, no
A: yes
Q: what animal is on the sofa?
Choices: cat, dog, rabbit, bird
A: cat
About sofa (object):
Q: is there a sofa?
Choices: yes, no
A: yes
About sleeping (activity):
Q: is the cat sleeping?
Choices: yes, no
A: yes
About black (color):
Q: what color is the cat?
Choices: black, white, orange, gray
A: black
About red (color):
Q: is the sofa red?
Choices: yes, no
A: yes"""
PROMPT = 'a black cat sleeping on a red sofa'


def reference_parse_resp(resp: str) -> list[tuple]:
    """TIFA's ``parse_resp`` rules (skip six lines, then the About/Q/Choices/A state machine), for parity."""
    lines, out = resp.split('\n'), []
    entity = etype = question = choices = None
    for line in lines[6:]:
        if line.startswith('About '):
            whole = line[len('About '):-1]
            entity, etype = whole.split(' (')[0], whole.split(' (')[1].split(')')[0]
        elif line.startswith('Q: '):
            question = line[3:]
        elif line.startswith('Choices: '):
            choices = line[9:].split(', ')
        elif line.startswith('A: '):
            if entity and question and choices:
                out.append((entity, question, choices, line[3:], etype))
            question = choices = None
    return out


# ----------------------------------------------------------------------------------------------- prompt
def test_prompt_is_byte_exact():
    assert len(TIFA_QG_PROMPT) == 12029
    assert TIFA_QG_PROMPT.startswith('\nGiven a image descriptions, generate one or two multiple-choice questions')
    assert TIFA_QG_PROMPT.endswith('\nDescription: ')
    assert TIFA_QG_PROMPT_SHA256 == '42b551d5e78db86e' + TIFA_QG_PROMPT_SHA256[16:]
    assert TIFA_QG_PROMPT_SHA256 == hashlib.sha256(TIFA_QG_PROMPT.encode()).hexdigest()
    request = tifa_qg_request('A CAPTION')
    assert len(request) == 12047
    assert hashlib.sha256(request.encode()).hexdigest()[:16] == '20a2c531266dd426'  # research notes, section 2.2
    assert 'Choices:jacket, t-shirt' in TIFA_QG_PROMPT  # the original's typo is kept


# ----------------------------------------------------------------------------------------------- parser
def test_parser_reads_a_well_formed_reply():
    parsed = parse_qg_reply(REPLY, PROMPT)
    assert parsed.problems == []
    assert [(q['element'], q['question'], q['answer'], q['element_type']) for q in parsed.qas] == [
        ('cat', 'is this a cat?', 'yes', 'animal/human'), ('cat', 'what animal is on the sofa?', 'cat', 'animal/human'),
        ('sofa', 'is there a sofa?', 'yes', 'object'), ('sleeping', 'is the cat sleeping?', 'yes', 'activity'),
        ('black', 'what color is the cat?', 'black', 'color'), ('red', 'is the sofa red?', 'yes', 'color')]
    assert parsed.qas[1]['choices'] == ['cat', 'dog', 'rabbit', 'bird']
    assert all(q['caption'] == PROMPT for q in parsed.qas)


def test_parser_matches_tifa_on_its_own_in_context_examples():
    # each example after its "Entities" is a reply that follows the format: the two parsers must agree
    examples = TIFA_QG_PROMPT.split('\nDescription: ')[1:-1]
    assert len(examples) == 12
    total = 0
    for example in examples:
        caption, rest = example.split('\nEntities', 1)
        ours = [(q['element'], q['question'], q['choices'], q['answer'], q['element_type'])
                for q in parse_qg_reply(rest.strip('\n'), caption).qas]
        theirs = [(e, q, c, a, 'animal/human' if t in ('animal', 'human') else t)
                  for e, q, c, a, t in reference_parse_resp(rest.strip('\n'))]
        assert ours == theirs
        total += len(ours)
    assert total > 100


def test_parser_reports_malformed_lines_instead_of_crashing():
    reply = ('Entities: cat\nHere are the questions you asked for!\n: cat\nActivities:\nColors:\nCounting:\n'
             'Other attributes:\nQuestions and answers are below:\n'
             'About cat (animal):\nQ: is this a cat?\nChoices: yes, no\nA: yes\n'
             'About the mood\nQ: is it happy?\nChoices: yes, no\nA: yes\n'
             'About sofa (furniture):\nQ: is there a sofa?\nChoices: yes, no\nA: yes\n'
             'About red (color):\nQ: is the sofa red?\nChoices:yes, no\nA: yes\n'
             'some chatter\n'
             'About cat (animal):\nQ: how many cats?\nChoices: 1, 2, 3, 4\nA: 1\n'
             'Description: a dog\nEntities: dog\nAbout dog (animal):\nQ: is this a dog?\nChoices: yes, no\nA: yes')
    parsed = parse_qg_reply(reply, 'a cat')
    assert [q['question'] for q in parsed.qas] == ['is this a cat?', 'how many cats?']
    text = '\n'.join(parsed.problems)
    assert 'no "(type)"' in text and "'furniture' is not a TIFA type" in text
    assert 'without a header, question and choices' in text  # the 'Choices:yes' typo and the typeless header
    assert "not understood: 'some chatter'" in text and 'run-on example' in text
    assert parse_qg_reply('I cannot help with that.', 'x').qas == []
    assert parse_qg_reply('I cannot help with that.', 'x').problems
    with pytest.raises(TypeError):
        parse_qg_reply(None, 'x')


# ------------------------------------------------------------------------------------ filter and mapping
def test_filter_rules():
    qa = dict(question='how many cats are there?', caption='Two cats on a couch.', choices=['1', '2', '3', '4'],
              answer='2', element_type='counting')
    assert filter_checks(qa, '2', 'two') is None  # numeric answers compare after words -> number
    assert 'UnifiedQA chose' in filter_checks(qa, '3', 'two')
    colour = dict(qa, question='what color is the couch?', answer='dark red', choices=['dark red', 'blue'])
    assert token_f1(['dark', 'red'], ['red']) == pytest.approx(2 / 3)
    assert filter_checks(colour, 'dark red', 'dark red') is None
    yes = dict(qa, answer='yes', choices=['yes', 'no'])
    assert filter_checks(yes, 'yes', None) is None and filter_checks(yes, 'no', None) is not None
    assert words_to_number('twenty three') == 23 and words_to_number('one hundred and five') == 105
    assert words_to_number('no idea') is None
    assert unifiedqa_mc_input('q?', 'c', ['a', 'b', 'c', 'd', 'e']) == 'q? \n c \n (A) a (B) b (C) c (D) d '


def test_filter_threshold_is_strict():
    colour = dict(question='what color?', caption='c', choices=['dark red', 'blue'], answer='dark red')
    # F1(['dark','red'], ['red']) = 0.667 > 0.6: kept; F1 with ['red', 'and', 'blue'] = 0.4: dropped
    assert filter_checks(colour, 'dark red', 'red') is None
    assert 'token F1 0.40' in filter_checks(colour, 'dark red', 'red and blue')


def test_choice_mapping():
    assert map_to_choice('surfer', ['surfer', 'swimmer']) == ('surfer', 'exact')
    assert map_to_choice('Yes, it is a surfer.', ['yes', 'no']) == ('yes', 'normalized')
    assert map_to_choice('A swimmer', ['surfer', 'swimmer']) == ('swimmer', 'normalized')
    assert map_to_choice('0', ['1', '2'], nearest=lambda a, c: '1') == ('1', 'nearest')
    assert map_to_choice('0', ['1', '2']) == (None, 'unmatched')
    assert normalize_answer('The  Red, car!') == 'red car'


def test_questions_file_reads_the_v1_layout():
    qs = load_tifa_questions(QAS)
    assert sorted(qs) == ['On a gray day a surfer carrying a white board walks on a beach.',
                          'Three cats and two dogs sitting on the grass.']
    assert [len(v) for v in qs.values()] == [11, 8]
    assert load_tifa_questions(QAS, key='id').keys() == {'coco_301091', 'drawbench_52'}
    with pytest.raises(FileNotFoundError):
        load_tifa_questions(DATA / 'missing.json')


# --------------------------------------------------------------------------- parity with the sample results
def _recorded() -> tuple[dict[str, str], dict[tuple[str, tuple[str, ...]], str]]:
    free, mapped = {}, {}
    for details in SAMPLE['question_details'].values():
        for q, d in details.items():
            free[q] = d['free_form_vqa']
            mapped[(d['free_form_vqa'], tuple(d['choices']))] = d['multiple_choice_vqa']
    return free, mapped


def _videos(n: int, frames: int = 3) -> list[torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    return [torch.randint(0, 256, (frames, 3, 24, 32), dtype=torch.uint8, generator=g) for _ in range(n)]


def _sample_metric(**kwargs) -> tuple[TIFA, ScriptedBackend]:
    free, mapped = _recorded()
    backend = ScriptedBackend(generate_fn=lambda r: free[r.prompt], model='recorded-mplug-large')
    nearest_calls = []

    def nearest(answer, choices):  # stands in for SBERT: TIFA's recorded choice for that answer
        nearest_calls.append(answer)
        return mapped[(answer, tuple(choices))]

    metric = TIFA(backend=backend, questions_file=str(QAS), sbert_model=nearest, num_frames=2, **kwargs)
    metric.nearest_calls = nearest_calls
    return metric, backend


def test_sample_results_reproduce_tifa_scores():
    metric, backend = _sample_metric()
    captions = [d[next(iter(d))]['caption'] for d in SAMPLE['question_details'].values()]
    out = metric.evaluate_videos(_videos(2), prompts=captions)
    per_video = [r['tifa/tifa'] for r in metric.per_video]
    assert per_video == [SAMPLE['caption_scores']['coco_301091'], SAMPLE['caption_scores']['drawbench_52']]
    assert per_video == [1.0, 0.625]
    assert out['tifa'] == pytest.approx(SAMPLE['tifa_average']) == 0.8125
    assert statistics.stdev(per_video) == pytest.approx(SAMPLE['tifa_stdev'])
    by_type = {k[len('accuracy_'):]: v for k, v in out.items() if k.startswith('accuracy_')}
    expected = {k.replace('/', '_'): v for k, v in SAMPLE['accuracy_by_type'].items()}
    assert by_type == pytest.approx(expected)
    assert metric.nearest_calls == ['0', '0']  # only "0" (not a choice) needed SBERT: once per frame
    assert metric.protocol['choice_mapping_counts'] == {'exact': 36, 'nearest': 2}
    assert len(backend.requests) == 19 * 2 and all(len(r.images) == 1 for _, r in backend.requests)
    assert metric.protocol['usage']['calls'] == 38 and metric.protocol['question_generation']['generated'] == 0


def test_prompt_missing_from_the_questions_file_is_a_failure_not_a_guess():
    metric, _ = _sample_metric()
    out = metric.evaluate_videos(_videos(2), prompts=['Three cats and two dogs sitting on the grass.', 'a dog'])
    assert out['tifa'] == 0.625
    assert len(metric.failures) == 1 and 'not in questions_file' in metric.failures[0]['reason']


def test_failed_vqa_call_makes_the_video_unscorable():
    free, _ = _recorded()
    backend = ScriptedBackend(generate_fn=lambda r: (_ for _ in ()).throw(RuntimeError('boom'))
                              if r.prompt == 'are there dogs?' else free[r.prompt])
    metric = TIFA(backend=backend, questions_file=str(QAS), choice_mapping='normalized', num_frames=1)
    out = metric.evaluate_videos(_videos(2), prompts=['On a gray day a surfer carrying a white board walks on a beach.',
                                                     'Three cats and two dogs sitting on the grass.'])
    assert out['tifa'] == 1.0 and len(metric.failures) == 1
    assert 'VQA calls failed' in metric.failures[0]['reason'] and 'boom' in metric.failures[0]['reason']


# --------------------------------------------------------------------------------- generation and cache
def _qg_backend(reply: str = REPLY):
    calls = []

    def generate(request):
        calls.append(request)
        if 'Questions and answers are below:' in request.prompt:
            return reply
        return {'is this a cat?': 'yes', 'what animal is on the sofa?': 'a cat', 'is there a sofa?': 'yes',
                'is the cat sleeping?': 'no', 'what color is the cat?': 'black', 'is the sofa red?': 'Yes.'}[
                    request.prompt]

    return ScriptedBackend(generate_fn=generate), calls


def test_generates_once_per_prompt_and_caches_on_disk(tmp_path):
    backend, calls = _qg_backend()
    metric = TIFA(backend=backend, choice_mapping='normalized', num_frames=2, cache_root=str(tmp_path))
    out = metric.evaluate_videos(_videos(3), prompts=[PROMPT, PROMPT, PROMPT], batch_size=2)
    qg = [c for c in calls if c.tag == 'tifa-qg']
    assert len(qg) == 1 and qg[0].prompt == tifa_qg_request(PROMPT) and qg[0].images == ()
    assert qg[0].max_tokens == 700 and qg[0].stop == ('\n\n', '<|endoftext|>')
    assert out['tifa'] == pytest.approx(5 / 6)  # 'is the cat sleeping?' answered no
    assert out['accuracy_activity'] == 0.0 and out['accuracy_color'] == 1.0
    entries = list((tmp_path / 'tifa').rglob('*.json'))
    assert len(entries) == 1
    entry = json.loads(entries[0].read_text())
    assert entry['prompt'] == PROMPT and entry['template_sha256'] == TIFA_QG_PROMPT_SHA256
    assert entry['payload']['raw'] == REPLY and len(entry['payload']['qas']) == 6
    # a new run (new metric, same settings) reads the cache: no generation call
    backend2, calls2 = _qg_backend(reply='garbage')
    metric2 = TIFA(backend=backend2, choice_mapping='normalized', num_frames=2, cache_root=str(tmp_path))
    assert metric2.evaluate_videos(_videos(1), prompts=[PROMPT])['tifa'] == pytest.approx(5 / 6)
    assert not [c for c in calls2 if c.tag == 'tifa-qg']
    assert metric2.protocol['question_generation']['question_cache_hits'] == 1


def test_cache_key_covers_template_model_decoding_and_prompt(tmp_path):
    def key(metric='tifa', template='T', model='m', max_tokens=700, prompt='p'):
        return QuestionCache(metric, template, dict(model=model, temperature=0), dict(max_tokens=max_tokens),
                             root=tmp_path).key(prompt)

    base = QuestionCache('tifa', 'T', dict(model='m', temperature=0), dict(max_tokens=700), root=tmp_path)
    assert key() == base.key('p')
    keys = {key(), key(template='T2'), key(model='m2'), key(max_tokens=500), key(metric='dsg'), key(prompt='q')}
    assert len(keys) == 6
    base.put('p', dict(x=1))
    assert base.get('p') == dict(x=1) and not list(tmp_path.rglob('*.tmp'))
    base.path('p').write_text('{broken')
    assert base.get('p') is None  # an unreadable entry is a miss, never a crash


def test_unparsable_generation_is_reasked_then_fails():
    def generate(request):
        if request.tag == 'tifa-qg':
            return REPLY if request.attempt == 1 else 'Sure! Here are some questions.'
        return 'yes'

    backend = ScriptedBackend(generate_fn=generate)
    metric = TIFA(backend=backend, choice_mapping='normalized', num_frames=1, question_cache=False)
    metric.evaluate_videos(_videos(1), prompts=[PROMPT])
    qg = [r for _, r in backend.requests if r.tag == 'tifa-qg']
    assert [r.attempt for r in qg] == [0, 1]
    assert metric.protocol['question_generation']['unparsable'] == 1

    never = ScriptedBackend(generate_fn=lambda r: 'no questions here')
    metric = TIFA(backend=never, choice_mapping='normalized', num_frames=1, question_cache=False, parse_retries=1)
    with pytest.raises(RuntimeError, match='no video was scored'):
        metric.evaluate_videos(_videos(1), prompts=[PROMPT])
    assert 'TIFA question generation' in metric.failures[0]['reason']


def test_question_filter_with_unifiedqa_rules():
    class FakeUnifiedQA:
        def mcqa(self, question, caption, choices):
            return 'dog' if 'animal' in question else ('yes' if choices == ['yes', 'no'] else choices[0])

        def qa(self, question, caption):
            return 'black'

    backend, _ = _qg_backend(REPLY + '\nQ: is this a cat?\nChoices: yes, no\nA: yes')  # a duplicate
    metric = TIFA(backend=backend, choice_mapping='normalized', num_frames=1, question_cache=False,
                  question_filter=True, unifiedqa_model=FakeUnifiedQA())
    metric.evaluate_videos(_videos(1), prompts=[PROMPT])
    kept = [q['question'] for q in metric._filtered[PROMPT]]
    assert kept == ['is this a cat?', 'is there a sofa?', 'is the cat sleeping?', 'what color is the cat?',
                    'is the sofa red?']  # 'what animal' dropped (UnifiedQA disagrees), the duplicate dropped


def test_arguments_are_checked():
    backend = ScriptedBackend(default='yes')
    with pytest.raises(ValueError, match='choice_mapping'):
        TIFA(backend=backend, choice_mapping='fuzzy')
    with pytest.raises(ValueError, match='num_frames'):
        TIFA(backend=backend, choice_mapping='normalized', num_frames=0)
    with pytest.raises(ValueError, match='backend'):
        TIFA(choice_mapping='normalized')
    with pytest.raises(FileNotFoundError, match="choice_mapping='normalized'"):
        TIFA(backend=backend)  # SBERT weights are not in the test cache (offline)
    metric = METRICS.build(dict(type='TIFA', backend=dict(type='scripted', default='yes'), choice_mapping='normalized'))
    assert metric.card()['score_range'] == [0.0, 1.0] and metric.needs_prompt
    with pytest.raises(RuntimeError, match='no video was scored'):
        metric.evaluate_videos(_videos(1), prompts=[None])
    assert 'no prompt' in metric.failures[0]['reason']


# ------------------------------------------------------------------------------------ fake OpenAI server
def test_end_to_end_against_the_fake_openai_server(tmp_path, monkeypatch):
    monkeypatch.setenv('FAKE_KEY', 'sk-test-123456789')
    answers = {'is this a cat?': 'Yes', 'what animal is on the sofa?': 'cat', 'is there a sofa?': 'yes',
               'is the cat sleeping?': 'yes', 'what color is the cat?': 'Black.', 'is the sofa red?': 'no'}

    def responder(body):
        text = user_text(body)
        if 'Questions and answers are below:' in text:
            return FakeReply(content=REPLY)
        return FakeReply(content=answers[text])

    with FakeOpenAI(responder=responder) as server:
        backend = dict(type='openai', base_url=server.base_url, model='fake-vlm', api_key_env='FAKE_KEY',
                       max_retries=0, max_in_flight=4, seed=7)
        metric = TIFA(backend=backend, choice_mapping='normalized', num_frames=2, cache_root=str(tmp_path))
        out = metric.evaluate_videos(_videos(2), prompts=[PROMPT, PROMPT])
        assert out['tifa'] == pytest.approx(5 / 6)  # the sofa is not red
        qg = [r for r in server.requests if 'Questions and answers are below:' in user_text(r['body'])]
        vqa = [r for r in server.requests if r not in qg]
        assert len(qg) == 1 and len(vqa) == 2 * 2 * 6
        body = qg[0]['body']
        assert user_text(body) == tifa_qg_request(PROMPT) and image_urls(body) == []
        assert body['temperature'] == 0 and body['seed'] == 7 and body['max_tokens'] == 700
        assert body['stop'] == ['\n\n', '<|endoftext|>']
        for r in vqa:
            assert len(image_urls(r['body'])) == 1 and image_urls(r['body'])[0].startswith('data:image/jpeg;base64,')
            assert r['headers']['authorization'] == 'Bearer sk-test-123456789'
            assert r['body']['max_tokens'] == 50
        assert metric.protocol['usage']['calls'] == 24 and metric.protocol['question_generation']['calls'] == 1
        assert 'sk-test' not in json.dumps(metric.protocol)

        server.reset()
        server.queue(*[FakeReply(status=500)] * 12)  # every VQA call of the first video fails (no retries)
        metric = TIFA(backend=backend, choice_mapping='normalized', num_frames=2, cache_root=str(tmp_path))
        out = metric.evaluate_videos(_videos(2), prompts=[PROMPT, PROMPT], batch_size=1)
        assert len(metric.failures) == 1 and 'HTTP 500' in metric.failures[0]['reason']
        assert out['tifa'] == pytest.approx(5 / 6)


# ------------------------------------------------------------------------- tiny local helper models (plumbing)
@pytest.fixture(scope='module')
def tiny_helpers(tmp_path_factory):
    """A tiny random MPNet (SBERT stand-in) and T5 (UnifiedQA stand-in), saved as model folders."""
    from helpers.tiny_vlm import byte_level_tokenizer
    from transformers import MPNetConfig, MPNetModel, T5Config, T5ForConditionalGeneration

    root = tmp_path_factory.mktemp('tifa-helpers')
    tok = byte_level_tokenizer(['<pad>', '</s>'])
    tok.model_max_length = 96
    torch.manual_seed(0)
    sbert = MPNetModel(MPNetConfig(vocab_size=len(tok), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                                   intermediate_size=64, max_position_embeddings=128, pad_token_id=tok.pad_token_id))
    sbert.save_pretrained(root / 'sbert')
    tok.save_pretrained(root / 'sbert')
    t5 = T5ForConditionalGeneration(T5Config(vocab_size=len(tok), d_model=32, d_ff=64, d_kv=16, num_layers=1,
                                             num_heads=2, pad_token_id=tok.pad_token_id,
                                             eos_token_id=tok.convert_tokens_to_ids('</s>'),
                                             decoder_start_token_id=tok.pad_token_id))
    t5.save_pretrained(root / 't5')
    tok.save_pretrained(root / 't5')
    return root


def test_sbert_choice_plumbing(tiny_helpers):
    from aigve.metrics.vlm.tifa.qa_models import SBERTChoice

    sbert = SBERTChoice(str(tiny_helpers / 'sbert'))
    emb = sbert.embed(['pale green', 'black', 'green', 'a much longer sentence about a surfer'])
    assert emb.shape == (4, 32) and torch.allclose(emb.norm(dim=1), torch.ones(4), atol=1e-5)
    raw = sbert.model(**sbert.tokenizer(['pale green', 'black'], padding=True, return_tensors='pt'))[0]
    assert raw.std() > 0.1  # non-degenerate random features (STYLE.md section 15)
    choices = ['black', 'green', 'yellow', 'brown']
    expected = choices[int(torch.argmax(sbert.embed(choices) @ sbert.embed(['pale green'])[0]))]
    assert sbert('pale green', choices) == expected
    assert sbert.resolved is not None and sbert.resolved.source == 'model_path'
    metric = TIFA(backend=ScriptedBackend(default='yes'), choice_mapping='sbert',
                  sbert_model=str(tiny_helpers / 'sbert'), questions_file=str(QAS))
    assert metric.weights_used and metric.protocol['sbert']


def test_unifiedqa_plumbing(tiny_helpers):
    from aigve.metrics.vlm.tifa.qa_models import UnifiedQA

    qa = UnifiedQA(str(tiny_helpers / 't5'), max_new_tokens=5)
    assert isinstance(qa.mcqa('is it a cat?', 'a cat', ['yes', 'no']), str)
    free = qa.qa('what color?', 'a black cat')
    assert free == free.lower().strip()
    backend, _ = _qg_backend()
    metric = TIFA(backend=backend, choice_mapping='normalized', question_filter=True,
                  unifiedqa_model=str(tiny_helpers / 't5'), num_frames=1, question_cache=False)
    qas = parse_qg_reply(REPLY, PROMPT).qas
    kept = metric.usable_questions(dict(qas=qas))  # random weights: gibberish answers, so most are dropped
    assert all(q in qas for q in kept) and metric._filtered[PROMPT] is kept
    assert metric.protocol['unifiedqa'] and metric.weights_used


def test_score_one_video_shows_only_public_keys():
    backend, _ = _qg_backend()
    metric = TIFA(backend=backend, choice_mapping='normalized', num_frames=1, question_cache=False)
    assert metric.score(_videos(1)[0], prompt=PROMPT) == dict(tifa=pytest.approx(5 / 6))


def test_questions_file_with_a_generator_for_the_missing_prompts(tmp_path):
    free, _ = _recorded()
    vqa = ScriptedBackend(generate_fn=lambda r: free.get(r.prompt, 'yes'))
    llm, calls = _qg_backend()
    metric = TIFA(backend=vqa, qg_backend=llm, questions_file=str(QAS), choice_mapping='normalized', num_frames=1,
                  cache_root=str(tmp_path))
    out = metric.evaluate_videos(_videos(2), prompts=['Three cats and two dogs sitting on the grass.', PROMPT])
    # the file's prompt, then a generated one (the VQA says 'yes' to its two open questions: 4 of 6 right)
    assert [r['tifa/tifa'] for r in metric.per_video] == [0.625, pytest.approx(4 / 6)]
    assert [c.tag for c in calls] == ['tifa-qg'] and out['tifa'] == pytest.approx((0.625 + 4 / 6) / 2)


def test_multiple_choice_prompt():
    backend = ScriptedBackend(default='yes')
    metric = TIFA(backend=backend, questions_file=str(QAS), choice_mapping='normalized', mc_prompt=True, num_frames=1)
    metric.evaluate_videos(_videos(1), prompts=['Three cats and two dogs sitting on the grass.'])
    prompts = [r.prompt for _, r in backend.requests]
    assert prompts[1] == ('Answer the multiple-choice question. Question: are there dogs? Choices: yes, no Answer:')
    assert prompts[3].endswith('Question: what is the animals sitting on? Choices: grass, leaves, twigs, sand Answer:')
