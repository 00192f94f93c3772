"""VIEScore: byte-exact prompts, parsing, the combination rule, re-asks and failures, and a run over the fake server."""
from __future__ import annotations

import hashlib
import json
import math

import pytest
import torch
from helpers.fake_openai import PQ_REPLY, SC_REPLY, FakeOpenAI, FakeReply, image_urls, user_text
from mmengine.config import Config

from aigve.metrics.vlm.viescore import VIEScore, combine, combine_calls, parse_scores
from aigve.metrics.vlm.viescore.functional import ScoreParseError, parse_upstream
from aigve.metrics.vlm.viescore.prompts import PQ_TEMPLATE, SC_TEMPLATE, TEMPLATE_SHA256, pq_prompt, sc_prompt
from aigve.models.judges import JudgeFailure, JudgeReply, JudgeRequest
from aigve.models.judges.scripted import ScriptedBackend
from aigve.registry import METRICS

# sha256 of the assembled upstream t2v templates (TIGER-AI-Lab/VIEScore 2cbea4e), computed from the upstream files
SC_SHA256 = 'f4336015fa9f5831007e3f458469c747c39ad39b25c35f42400da4586cf05392'
PQ_SHA256 = 'c2afdbf22138d391660cc8f796510b249c27e5f3c94e72e4ea8bf811edf6faa9'
KEY = 'sk-viescore-test-key-123456'


def videos(n=2, t=6, seed=0):
    g = torch.Generator().manual_seed(seed)
    return [torch.randint(0, 256, (t, 3, 24, 32), dtype=torch.uint8, generator=g) for _ in range(n)]


def scripted(sc='{"score": [8], "reasoning": "ok"}', pq='{"score": [7, 9], "reasoning": "ok"}'):
    def reply(r):
        value = pq if r.tag == 'pq' else sc
        return value(r) if callable(value) else value

    return ScriptedBackend(generate_fn=reply)


# ---------------------------------------------------------------------------------------------- prompts
def test_templates_are_byte_exact():
    assert len(SC_TEMPLATE) == 886 and len(PQ_TEMPLATE) == 1236
    assert hashlib.sha256(SC_TEMPLATE.encode()).hexdigest() == SC_SHA256 == TEMPLATE_SHA256['sc']
    assert hashlib.sha256(PQ_TEMPLATE.encode()).hexdigest() == PQ_SHA256 == TEMPLATE_SHA256['pq']
    assert 'From scale 0 to 10: \nA score' in SC_TEMPLATE  # trailing spaces kept
    assert SC_TEMPLATE.endswith('Text Prompt: <prompt>\n') and '||V^=^V||' not in SC_TEMPLATE
    assert sc_prompt('a red car') == SC_TEMPLATE.replace('<prompt>', 'a red car') and pq_prompt() == PQ_TEMPLATE


# ---------------------------------------------------------------------------------------------- combination
def test_combination_rule_on_hand_cases():
    assert combine([8], [7, 9]) == (8.0, 7.0, pytest.approx(math.sqrt(56)))
    assert combine([10], [10, 10]) == (10.0, 10.0, 10.0)
    assert combine([0], [9, 9])[2] == 0.0 and combine([9], [9, 0])[2] == 0.0  # either aspect at 0 gives 0
    assert combine([4], [9, 1]) == (4.0, 1.0, 2.0)  # min over naturalness and artifacts
    both = combine_calls([([8], [8, 9]), ([2], [8, 8])])  # per-call combination, then the mean
    assert both == dict(sc=5.0, pq=8.0, overall=pytest.approx((8 + 4) / 2))


# ---------------------------------------------------------------------------------------------- parsing
@pytest.mark.parametrize('text, expected, tolerant, strict, upstream', [
    ('{"score": [8], "reasoning": "x"}', 1, [8.0], [8.0], [8.0]),
    ('```json\n{"score": [7, 9], "reasoning": "x"}\n```', 2, [7.0, 9.0], None, [7.0, 9.0]),
    ('{"score": 8}', 1, [8.0], [8.0], [8.0]),
    ('[6, 0]', 2, [6.0, 0.0], None, [6.0, 0.0]),
    ('7', 1, [7.0], None, [7.0]),
    ('8/10', 1, [8.0], None, None),
    ('', 1, None, None, None),
    ('I cannot evaluate this.', 1, None, None, None),
    ('{score: [5]}', 1, [5.0], None, None),
    ('{"score": [8,, 3]}', 2, None, None, None),
    ('{"score": [85]}', 1, None, None, None),  # out of range: never accepted
    ('{"score": ["7"]}', 1, [7.0], None, [7.0]),
    ('{"score": [7]}', 2, None, None, [7.0]),  # wrong count: rejected unless upstream rules
    ('Sure! {"score": [6, 4], "reasoning": "a {curly} aside"} Hope this helps.', 2, [6.0, 4.0], None, [6.0, 4.0]),
    ('||V^=^V||\n{"score": [3]}\n||V^=^V||', 1, [3.0], None, [3.0]),
    ("{'score': [2, 3], 'reasoning': 'single quotes'}", 2, [2.0, 3.0], None, None),
    ('{"score": [true]}', 1, None, None, None),
])
def test_parser_modes(text, expected, tolerant, strict, upstream):
    for mode, want in (('tolerant', tolerant), ('strict', strict), ('upstream', upstream)):
        if want is None:
            with pytest.raises(ScoreParseError):
                parse_scores(text, expected, mode)
        else:
            assert parse_scores(text, expected, mode) == want, mode


def test_upstream_parser_never_guesses():
    assert parse_upstream('no braces at all') is None and parse_upstream('rate_limit_exceeded') is None
    assert parse_upstream('{"score": [8,, 1]}') is None
    with pytest.raises(ValueError, match='parse_mode'):
        parse_scores('7', 1, 'lenient')


# ---------------------------------------------------------------------------------------------- the metric
def test_scores_requests_and_usage():
    judge = scripted()
    metric = VIEScore(backend=judge, num_frames=4)
    out = metric.evaluate_videos(videos(2), prompts=['a cat', 'a dog'])
    assert out == dict(sc=8.0, pq=7.0, overall=pytest.approx(math.sqrt(56)))
    assert [r['viescore/overall'] for r in metric.per_video] == [pytest.approx(math.sqrt(56))] * 2
    assert len(judge.requests) == 4  # one SC and one PQ request per video
    sc = [r for _, r in judge.requests if r.tag == 'sc']
    assert sc[0].prompt == sc_prompt('a cat') and len(sc[0].images) == 4 and sc[0].max_tokens == 1400
    usage = metric.protocol['usage']
    assert usage['calls'] == 4 and usage['videos'] == 2 and usage['calls_per_video'] == 2
    assert usage['failed_videos'] == 0
    assert metric.protocol['templates'] == TEMPLATE_SHA256 and metric.protocol['backend']['backend'] == 'scripted'


def test_all_frames_in_one_call_by_default_and_per_frame_option():
    judge = scripted()
    VIEScore(backend=judge).evaluate_videos(videos(1, t=5), prompts=['x'])
    assert [len(r.images) for _, r in judge.requests] == [5, 5]
    pq = iter(['{"score": [9, 9]}', '{"score": [1, 4]}', '{"score": [9, 9]}'])
    judge = scripted(pq=lambda r: next(pq))
    metric = VIEScore(backend=judge, frames_per_call=1, normalize=True)
    metric.evaluate_videos(videos(1, t=3), prompts=['x'])
    assert len(judge.requests) == 6 and all(len(r.images) == 1 for _, r in judge.requests)
    [row] = metric.per_video
    assert row['viescore/pq'] == pytest.approx((9 + 1 + 9) / 30)  # per-frame min, mean over frames, /10
    assert row['viescore/overall'] == pytest.approx((math.sqrt(72) * 2 + math.sqrt(8)) / 30)


def test_an_unparsable_reply_is_asked_again():
    sc = iter(['I would say it is good.', '{"score": [6]}'])
    judge = scripted(sc=lambda r: next(sc))
    metric = VIEScore(backend=judge)
    assert metric.evaluate_videos(videos(1), prompts=['x'])['sc'] == 6.0
    attempts = [r.attempt for _, r in judge.requests if r.tag == 'sc']
    assert attempts == [0, 1]  # the re-ask is a new attempt (new cache key, seed + 1 over HTTP)
    assert metric.protocol['usage']['unparsable'] == 1 and metric.protocol['usage']['calls'] == 3


def test_a_video_whose_calls_keep_failing_is_a_counted_failure():
    def sc(r):
        return 'no idea' if 'broken' in r.prompt else '{"score": [5]}'

    judge = scripted(sc=sc)
    metric = VIEScore(backend=judge, parse_retries=1)
    out = metric.evaluate_videos(videos(2), prompts=['fine', 'broken'])
    assert out['sc'] == 5.0 and len(metric.per_video) == 1
    [failure] = metric.failures
    assert failure['video'] == 'video_1' and 'SC request' in failure['reason'] and 'unparsable' in failure['reason']
    usage = metric.protocol['usage']
    assert usage['failed_videos'] == 1 and usage['unparsable'] == 2  # two tries, then given up, never a guess
    judge = scripted(pq=lambda r: JudgeFailure('HTTP 500 (after 3 retries)', retries=3))
    metric = VIEScore(backend=judge)
    with pytest.raises(RuntimeError, match='HTTP 500'):
        metric.evaluate_videos(videos(1), prompts=['x'])
    assert metric.protocol['usage']['retries'] == 3 and metric.protocol['usage']['failed_calls'] == 1


def test_a_video_without_prompt_or_frames_is_unscorable():
    metric = VIEScore(backend=scripted())
    with pytest.raises(ValueError, match='text prompt'):
        metric.score(videos(1)[0], prompt=None)
    with pytest.raises(ValueError, match='T >= 1'):
        metric.score(torch.zeros(0, 3, 8, 8, dtype=torch.uint8), prompt='x')
    assert metric.judge.requests == []  # nothing was asked


def test_arguments_are_checked():
    with pytest.raises(ValueError, match='`backend` must be given'):
        VIEScore()
    with pytest.raises(ValueError, match='num_frames'):
        VIEScore(backend=scripted(), num_frames=0)
    with pytest.raises(ValueError, match='parse_mode'):
        VIEScore(backend=scripted(), parse_mode='loose')
    m = METRICS.build(dict(type='VIEScore', backend=dict(type='scripted', default='{"score": [3, 3]}')))
    assert isinstance(m, VIEScore) and m.card()['score_range'] == [0.0, 10.0]


# ---------------------------------------------------------------------------------------------- over HTTP
@pytest.fixture
def server(monkeypatch):
    monkeypatch.setenv('AIGVE_VIESCORE_TEST_KEY', KEY)
    with FakeOpenAI() as s:
        yield s


def http_backend(server, **kw):
    return dict(type='openai', base_url=server.base_url, model='gpt-fake', api_key_env='AIGVE_VIESCORE_TEST_KEY',
                backoff=0.0, **kw)


def test_run_over_the_fake_server(server):
    server.queue(FakeReply(status=429, headers={'Retry-After': '0'}))
    server.latency = 0.1
    metric = VIEScore(backend=http_backend(server, seed=11, max_in_flight=4), num_frames=3)
    out = metric.evaluate_videos(videos(3), prompts=['a cat', 'a dog', 'a car'], batch_size=3)
    assert out == dict(sc=8.0, pq=7.0, overall=pytest.approx(math.sqrt(56)))
    bodies = [r['body'] for r in server.requests]
    assert len(bodies) == 7  # 3 videos x (SC + PQ) + one 429 retried
    for r in server.requests:
        assert r['headers']['authorization'] == f'Bearer {KEY}'
        assert r['body']['temperature'] == 0 and r['body']['seed'] == 11 and r['body']['max_tokens'] == 1400
        assert len(image_urls(r['body'])) == 3 and all(u.startswith('data:image/jpeg;base64,')
                                                       for u in image_urls(r['body']))
    assert {user_text(b) for b in bodies} == {sc_prompt('a cat'), sc_prompt('a dog'), sc_prompt('a car'), pq_prompt()}
    assert server.max_in_flight > 1  # the batch's six requests overlapped
    usage = metric.protocol['usage']
    assert usage['calls'] == 6 and usage['retries'] == 1 and usage['tokens_in'] == 66 and usage['tokens_out'] == 30
    assert KEY not in json.dumps(metric.protocol) + json.dumps(metric.per_video) + json.dumps(metric.failures)


def test_server_failures_become_video_failures(server):
    def responder(body):
        if 'a broken' in user_text(body):
            return FakeReply(status=500, error='overloaded')
        if 'a prose' in user_text(body):
            return FakeReply(content='The video looks lovely, I would give it a high mark.')
        if 'a cut' in user_text(body):
            return FakeReply(content='{"score": [8,, "reasoning": "cut')
        if 'an empty' in user_text(body):
            return FakeReply(content='')
        return FakeReply(content=PQ_REPLY if 'naturalness' in user_text(body) else SC_REPLY)

    server.responder = responder
    metric = VIEScore(backend=http_backend(server, max_retries=1), parse_retries=1)
    out = metric.evaluate_videos(videos(5), prompts=['a cat', 'a broken', 'a prose', 'a cut', 'an empty'])
    assert out['sc'] == 8.0 and len(metric.per_video) == 1
    reasons = {f['video']: f['reason'] for f in metric.failures}
    assert 'HTTP 500' in reasons['video_1'] and 'after 1 retries' in reasons['video_1']
    assert 'unparsable' in reasons['video_2'] and 'unparsable' in reasons['video_3']
    assert 'empty reply' in reasons['video_4']
    usage = metric.protocol['usage']
    assert usage['failed_videos'] == 4 and usage['unparsable'] == 4  # prose and cut JSON: asked twice each


def test_answer_cache_makes_a_rerun_free(server, tmp_path):
    cfg = http_backend(server, cache=dict(root=str(tmp_path)))
    first = VIEScore(backend=cfg).evaluate_videos(videos(2), prompts=['a', 'b'])
    n = len(server.requests)
    metric = VIEScore(backend=cfg)
    assert metric.evaluate_videos(videos(2), prompts=['a', 'b']) == first
    assert len(server.requests) == n  # nothing asked again
    assert metric.protocol['usage']['cache_hits'] == 4 and metric.protocol['usage']['calls'] == 0


def test_config_builds_against_the_fake_server(server, repo_root):
    cfg = Config.fromfile(str(repo_root / 'configs/viescore.py'))
    ev = cfg.val_evaluator
    assert ev.backend.api_key_env == 'OPENAI_API_KEY' and 'sk-' not in (repo_root / 'configs/viescore.py').read_text()
    ev.backend.update(base_url=server.base_url, api_key_env='AIGVE_VIESCORE_TEST_KEY')
    metric = METRICS.build(ev.to_dict())
    assert isinstance(metric, VIEScore) and metric.num_frames == 8
    assert isinstance(metric.judge.generate([JudgeRequest('x')])[0], JudgeReply)


# ---------------------------------------------------------------------------------------------- local judge
def test_local_judge_plumbing(tmp_path):
    """A tiny random Qwen2-VL answers gibberish: every video fails visibly (counted, with the reason), none scores."""
    pytest.importorskip('transformers')
    pytest.importorskip('torchvision')
    from helpers.tiny_vlm import build_tiny_qwen2_vl

    folder = build_tiny_qwen2_vl(tmp_path / 'qwen')
    metric = VIEScore(backend=dict(type='hf', model=str(folder), max_new_tokens=3), num_frames=2, parse_retries=0,
                      max_tokens=3, device='cpu')
    assert metric.judge.device == 'cpu' or str(metric.judge.device) == 'cpu'
    assert metric.weights_used  # the local model's sha256 is in provenance
    with pytest.raises(RuntimeError, match='no video was scored'):
        metric.evaluate_videos(videos(2, t=3), prompts=['a cat', 'a dog'])
    assert len(metric.failures) == 2
    usage = metric.protocol['usage']
    assert usage['calls'] == 4 and usage['tokens_in'] > 0 and usage['failed_videos'] == 2


# ---------------------------------------------------------------------------------------------- shared plumbing
def test_ask_all_counts_and_re_asks_per_owner():
    from aigve.metrics.vlm._common import Ask, JudgeUsage, ask_all
    from aigve.models.judges import JudgeRequest as Req

    def yes_no(r):
        if r.prompt == 'no prob' and r.attempt == 0:
            return JudgeReply('Yes', yes_prob=None, tokens_in=4, tokens_out=1)
        return JudgeReply('Yes', yes_prob=0.6, tokens_in=4, tokens_out=1)

    judge = ScriptedBackend(generate_fn=lambda r: JudgeFailure('HTTP 503', retries=2), yes_no_fn=yes_no)
    usage = [JudgeUsage(), JudgeUsage()]
    answers = ask_all(judge, [Ask(Req('no prob'), owner=0, method='yes_no'), Ask(Req('fine'), owner=1, method='yes_no'),
                              Ask(Req('gen'), owner=1)], usage, parse_retries=1)
    assert [a.ok for a in answers] == [True, True, False]
    assert answers[0].value == 0.6 and answers[0].attempts == 2 and answers[2].failure == 'HTTP 503'
    assert usage[0].to_dict() == dict(calls=2, cache_hits=0, failed_calls=0, unparsable=1, retries=0, tokens_in=8,
                                      tokens_out=2)
    assert usage[1].to_dict()['failed_calls'] == 1 and usage[1].to_dict()['retries'] == 2
    assert len(judge.requests) == 4  # the transport failure is not re-asked (the backend spent its retries)


def test_an_undecodable_lazy_video_is_a_counted_failure(tmp_path):
    from aigve.utils.lazy_video import LazyVideo

    broken = LazyVideo(str(tmp_path / 'missing.mp4'), indices=[0, 1, 2], height=24, width=32)
    judge = scripted()
    metric = VIEScore(backend=judge)
    samples = [dict(video=f'v{i}', video_id=i, prompt='x', ref_video=None, ref_video_path=None, fps=None, meta={})
               for i in range(2)]
    metric.process(dict(inputs=[broken, videos(1)[0]], data_samples=samples), samples)
    out = metric.compute_metrics(metric.results)
    assert out['sc'] == 8.0 and [f['video'] for f in metric.failures] == ['v0']
    assert metric.results[0]['usage']['calls'] == 0 and metric.results[1]['usage']['calls'] == 2


def test_evaluate_config_end_to_end_keeps_the_key_out_of_every_file(server, tmp_path, repo_root):
    from aigve.core.evaluate import evaluate_config

    work = tmp_path / 'work'
    res = evaluate_config(str(repo_root / 'configs/viescore.py'), work_dir=str(work), cfg_options={
        'val_evaluator.backend.base_url': server.base_url,
        'val_evaluator.backend.api_key_env': 'AIGVE_VIESCORE_TEST_KEY', 'val_dataloader.num_workers': 0})
    assert res['metrics']['viescore/overall'] == pytest.approx(math.sqrt(56))
    usage = res['provenance']['protocol']['viescore']['usage']
    assert usage['calls'] == 2 * usage['videos'] and usage['failed_videos'] == 0
    assert all(len(image_urls(r['body'])) == 8 for r in server.requests)  # the config's num_frames
    written = [p for p in work.rglob('*') if p.is_file()]
    assert written and not [p for p in written if KEY in p.read_text(errors='replace')]
