"""OpenAICompatBackend against the loopback fake server: wire format, key handling, retries, timeouts, concurrency."""
from __future__ import annotations

import base64
import io
import json
import math
import time

import numpy as np
import pytest
import torch
from helpers.fake_openai import FakeOpenAI, FakeReply, image_urls, user_text, yes_no_reply
from PIL import Image

from aigve.models.judges import JudgeFailure, JudgeReply, JudgeRequest, build_backend
from aigve.models.judges.openai_compat import OpenAICompatBackend, yes_prob_from_logprobs

KEY = 'sk-test-0123456789abcdef'


@pytest.fixture
def server():
    with FakeOpenAI() as s:
        yield s


@pytest.fixture
def key_env(monkeypatch):
    monkeypatch.setenv('AIGVE_TEST_JUDGE_KEY', KEY)
    return 'AIGVE_TEST_JUDGE_KEY'


def make(server, key_env=None, **kw):
    kw.setdefault('backoff', 0.0)
    return OpenAICompatBackend(model='judge-model', base_url=server.base_url, api_key_env=key_env, **kw)


def frames(n=3, h=48, w=96):
    g = torch.Generator().manual_seed(0)
    return list(torch.randint(0, 256, (n, 3, h, w), dtype=torch.uint8, generator=g))


def test_request_body_and_headers(server, key_env):
    backend = make(server, key_env, max_side=32, seed=7)
    server.queue(FakeReply(content='ok'))
    [reply] = backend.generate([JudgeRequest('Describe.', images=frames(3), max_tokens=99)])
    assert isinstance(reply, JudgeReply) and reply.tokens_in == 11 and reply.tokens_out == 5
    [req] = server.requests
    assert req['path'] == '/v1/chat/completions'
    assert req['headers']['authorization'] == f'Bearer {KEY}'
    body = req['body']
    assert body['model'] == 'judge-model' and body['temperature'] == 0 and body['seed'] == 7
    assert body['max_tokens'] == 99 and 'max_completion_tokens' not in body and 'logprobs' not in body
    content = body['messages'][0]['content']
    assert [p['type'] for p in content] == ['text', 'image_url', 'image_url', 'image_url']  # text first (VIEScore)
    urls = image_urls(body)
    assert len(urls) == 3 and all(u.startswith('data:image/jpeg;base64,') for u in urls)
    img = Image.open(io.BytesIO(base64.b64decode(urls[0].split(',', 1)[1])))
    assert img.size == (32, 16)  # longest side capped at max_side, aspect kept
    assert user_text(body) == 'Describe.'


def test_channels_last_arrays_pil_images_and_png(server):
    backend = make(server, image_format='png', max_side=None, image_position='before', detail='low')
    arr = np.zeros((10, 20, 3), np.uint8)
    arr[..., 0] = 255  # red
    backend.generate([JudgeRequest('x', images=[arr, Image.fromarray(arr)])])
    content = server.requests[0]['body']['messages'][0]['content']
    assert [p['type'] for p in content] == ['image_url', 'image_url', 'text']
    assert content[0]['image_url']['detail'] == 'low'
    png = Image.open(io.BytesIO(base64.b64decode(content[0]['image_url']['url'].split(',', 1)[1])))
    assert png.size == (20, 10) and png.getpixel((0, 0)) == (255, 0, 0)  # RGB order kept


def test_max_completion_tokens_and_omitted_fields(server):
    backend = make(server, max_tokens_key='max_completion_tokens', temperature=None, seed=None, max_tokens=64)
    backend.generate([JudgeRequest('x')])
    body = server.requests[0]['body']
    assert body['max_completion_tokens'] == 64 and 'max_tokens' not in body
    assert 'temperature' not in body and 'seed' not in body
    assert 'authorization' not in server.requests[0]['headers']  # api_key_env=None: no key sent


def test_seed_moves_with_the_attempt(server):
    make(server, seed=3).generate([JudgeRequest('x', attempt=2)])
    assert server.requests[0]['body']['seed'] == 5


def test_key_from_the_named_variable_only(server, key_env, monkeypatch):
    backend = make(server, key_env)
    text = json.dumps(backend.describe()) + repr(backend)
    assert KEY not in text and key_env in repr(backend)
    monkeypatch.delenv(key_env)
    with pytest.raises(ValueError, match='AIGVE_TEST_JUDGE_KEY') as e:
        make(server, key_env)
    assert KEY not in str(e.value)


def test_a_key_pasted_as_the_variable_name_is_refused_without_echo(server):
    with pytest.raises(ValueError, match='NAME of an environment variable') as e:
        make(server, KEY)
    assert KEY not in str(e.value)


def test_a_key_echoed_in_an_error_is_masked(server, key_env):
    server.queue(FakeReply(status=401, error=f'Incorrect API key provided: {KEY}.'))
    [out] = make(server, key_env).generate([JudgeRequest('x')])
    assert isinstance(out, JudgeFailure) and out.reason.startswith('HTTP 401') and KEY not in out.reason
    assert len(server.requests) == 1  # 401 is not retried


def test_429_retry_after_is_honoured(server):
    backend = make(server, max_retries=3)
    waits = []
    backend._sleep = waits.append
    server.queue(FakeReply(status=429, headers={'Retry-After': '0.25'}), FakeReply(status=503))
    [reply] = backend.generate([JudgeRequest('x')])
    assert isinstance(reply, JudgeReply) and reply.retries == 2
    assert waits == [0.25, 0.0]  # Retry-After, then the backoff (0 in these tests)
    assert len(server.requests) == 3 and backend.stats.snapshot()['retries'] == 2


def test_backoff_doubles_and_is_capped(server):
    backend = make(server, max_retries=4, backoff=1.0, max_backoff=3.0)
    waits = []
    backend._sleep = waits.append
    server.queue(*[FakeReply(status=500)] * 5)
    [out] = backend.generate([JudgeRequest('x')])
    assert waits == [1.0, 2.0, 3.0, 3.0]
    assert isinstance(out, JudgeFailure) and out.retries == 4 and 'HTTP 500' in out.reason and 'after 4' in out.reason
    assert len(server.requests) == 5  # bounded: 1 try + max_retries


def test_x_should_retry_false_stops_retrying(server):
    server.queue(FakeReply(status=500, headers={'x-should-retry': 'false'}))
    [out] = make(server, max_retries=3).generate([JudgeRequest('x')])
    assert isinstance(out, JudgeFailure) and len(server.requests) == 1


def test_timeout_is_a_failure(server):
    server.queue(FakeReply(delay=1.0))
    start = time.perf_counter()
    [out] = make(server, timeout=0.2, max_retries=0).generate([JudgeRequest('x')])
    assert isinstance(out, JudgeFailure) and 'timeout' in out.reason
    assert time.perf_counter() - start < 0.9


def test_empty_and_null_content_are_failures(server):
    server.queue(FakeReply(content=''), FakeReply(content=None), FakeReply(raw=b'not json'))
    backend = make(server, max_in_flight=1, max_retries=0)
    outs = backend.generate([JudgeRequest('a'), JudgeRequest('b'), JudgeRequest('c')])
    assert [type(o) for o in outs] == [JudgeFailure] * 3
    assert 'empty reply' in outs[0].reason and 'empty reply' in outs[1].reason and 'not JSON' in outs[2].reason
    assert backend.stats.snapshot()['failures'] == 3


def test_prose_comes_back_as_text(server):
    server.queue(FakeReply(content='I think it is an 8.'))
    [out] = make(server).generate([JudgeRequest('x')])
    assert out.text == 'I think it is an 8.'  # reading it is the metric's job


def test_connection_refused_is_a_failure():
    backend = OpenAICompatBackend(model='m', base_url='http://127.0.0.1:9/v1', api_key_env=None, max_retries=1,
                                  backoff=0.0, timeout=2.0)
    [out] = backend.generate([JudgeRequest('x')])
    assert isinstance(out, JudgeFailure) and 'connection error' in out.reason and out.retries == 1


def test_concurrency_cap(server):
    server.latency = 0.15
    backend = make(server, max_in_flight=3)
    start = time.perf_counter()
    outs = backend.generate([JudgeRequest(f'q{i}') for i in range(9)])
    elapsed = time.perf_counter() - start
    assert all(isinstance(o, JudgeReply) for o in outs)
    assert server.max_in_flight == 3  # never more than the cap, and the cap is reached
    assert elapsed < 9 * 0.15 * 0.75  # overlapped, not sequential
    server.reset()
    make(server, max_in_flight=1).generate([JudgeRequest(f'q{i}') for i in range(3)])
    assert server.max_in_flight == 1


def test_replies_keep_request_order(server):
    server.responder = lambda body: FakeReply(content=user_text(body).upper(), delay=0.05 * (user_text(body) == 'a'))
    outs = make(server, max_in_flight=4).generate([JudgeRequest(t) for t in 'abcd'])
    assert [o.text for o in outs] == ['A', 'B', 'C', 'D']


def test_yes_no_from_logprobs(server):
    server.queue(yes_no_reply(0.8), yes_no_reply(0.1))
    backend = make(server, top_logprobs=5, max_in_flight=1)
    outs = backend.yes_no([JudgeRequest('dog?', images=frames(1)), JudgeRequest('cat?')])
    body = server.requests[0]['body']
    assert body['logprobs'] is True and body['top_logprobs'] == 5 and body['max_tokens'] == 1
    assert outs[0].yes_prob == pytest.approx(0.8) and outs[0].text == 'Yes'
    assert outs[1].yes_prob == pytest.approx(0.1) and outs[1].text == 'No'


def test_yes_no_without_logprobs_returns_text(server):
    server.queue(FakeReply(content='Yes'))
    [out] = make(server, logprobs=False).yes_no([JudgeRequest('dog?')])
    assert 'logprobs' not in server.requests[0]['body']
    assert out.yes_prob is None and out.text == 'Yes'


def test_yes_prob_from_logprobs_rules():
    def content(*alts):
        top = [dict(token=t, logprob=math.log(p)) for t, p in alts]
        return [dict(token=top[0]['token'], logprob=top[0]['logprob'], top_logprobs=top)]

    assert yes_prob_from_logprobs(content(('Yes', 0.6), (' yes', 0.1), ('No', 0.2))) == pytest.approx(0.7)
    assert yes_prob_from_logprobs(content(('No', 0.9), ('Maybe', 0.05))) == pytest.approx(0.1)
    assert yes_prob_from_logprobs(content(('Sure', 0.9))) is None
    assert yes_prob_from_logprobs(content(('Yes', 0.6), ('No', 0.2)), normalize=True) == pytest.approx(0.75)
    assert yes_prob_from_logprobs(None) is None and yes_prob_from_logprobs([]) is None


def test_built_from_a_config_dict(server, key_env):
    backend = build_backend(dict(type='openai_compat', model='m', base_url=server.base_url, api_key_env=key_env,
                                 max_in_flight=2))
    assert isinstance(backend, OpenAICompatBackend) and backend.max_in_flight == 2
    with pytest.raises(ValueError, match='Did you mean'):
        build_backend(dict(type='opena', model='m'))
    with pytest.raises(ValueError, match='max_tokens_key'):
        make(server, max_tokens_key='tokens')
