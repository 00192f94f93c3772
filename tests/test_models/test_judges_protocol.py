"""The judge protocol: build_backend, the scripted backend, counting, the answer cache, images."""
from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from PIL import Image

from aigve.models.judges import JudgeBackend, JudgeFailure, JudgeReply, JudgeRequest, JudgeStats, build_backend
from aigve.models.judges.cache import CachedBackend, answer_key
from aigve.models.judges.images import fit_longest_side, image_digest, to_pil
from aigve.models.judges.scripted import ScriptedBackend


def test_scripted_backend_replies_and_counts():
    calls = []

    def gen(r):
        calls.append(r.prompt)
        if r.prompt == 'boom':
            raise RuntimeError('model crashed')
        return JudgeReply(text=r.prompt[::-1], tokens_in=3, tokens_out=2)

    b = ScriptedBackend(generate_fn=gen, yes_no_fn=lambda r: 0.25)
    outs = b.generate([JudgeRequest('abc'), JudgeRequest('boom')])
    assert outs[0].text == 'cba' and isinstance(outs[1], JudgeFailure) and 'model crashed' in outs[1].reason
    [yn] = b.yes_no([JudgeRequest('q')])
    assert yn.yes_prob == 0.25 and yn.text == 'no'
    assert b.stats.snapshot() == dict(calls=3, cache_hits=0, failures=1, retries=0, tokens_in=3, tokens_out=2,
                                      seconds=0.0)
    assert [m for m, _ in b.requests] == ['generate', 'generate', 'yes_no']


def test_scripted_from_a_config_table():
    b = build_backend(dict(type='scripted', replies={'dog': 0.9, 'Text Prompt:': '{"score": [5]}'}))
    assert b.yes_no([JudgeRequest('a dog?')])[0].yes_prob == 0.9
    assert b.generate([JudgeRequest('Text Prompt: x')])[0].text == '{"score": [5]}'
    assert isinstance(b.generate([JudgeRequest('other')])[0], JudgeFailure)  # no default: a failure, not a guess
    assert json.dumps(b.describe())


def test_build_backend_errors_and_pass_through():
    b = ScriptedBackend()
    assert build_backend(b) is b
    with pytest.raises(TypeError, match='`backend` must be a dict'):
        build_backend('openai')
    with pytest.raises(ValueError, match='must be one of'):
        build_backend(dict(model='x'))


def test_a_backend_returning_the_wrong_count_is_an_error():
    class Bad(JudgeBackend):
        def _generate(self, requests):
            return []

        def describe(self):
            return {}

    with pytest.raises(RuntimeError, match='returned 0 outcomes for 1 requests'):
        Bad().generate([JudgeRequest('x')])


def test_stats_are_thread_safe():
    import threading

    stats = JudgeStats()
    threads = [threading.Thread(target=lambda: [stats.add(JudgeReply('x', tokens_in=1)) for _ in range(500)])
               for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert stats.snapshot()['calls'] == 2000 and stats.snapshot()['tokens_in'] == 2000


def test_images_to_pil_layouts_and_digest():
    chw = torch.randint(0, 256, (3, 8, 12), dtype=torch.uint8)
    hwc = chw.permute(1, 2, 0).numpy()
    a, b, c = to_pil(chw), to_pil(hwc), to_pil(Image.fromarray(hwc))
    assert a.size == (12, 8) and np.array_equal(np.asarray(a), hwc) and np.array_equal(np.asarray(b), hwc)
    assert image_digest(chw) == image_digest(hwc) == image_digest(c)
    assert image_digest(chw) != image_digest(torch.zeros_like(chw))
    assert to_pil(np.zeros((4, 5), np.uint8)).mode == 'RGB'
    with pytest.raises(TypeError, match='uint8'):
        to_pil(chw.float())
    with pytest.raises(ValueError, match='3 channels'):
        to_pil(np.zeros((4, 5, 4), np.uint8))
    assert fit_longest_side(a, 6).size == (6, 4) and fit_longest_side(a, 100) is a


def test_cache_answers_a_rerun_without_calls(tmp_path):
    inner = ScriptedBackend(generate_fn=lambda r: f'answer to {r.prompt}', yes_no_fn=lambda r: 0.7)
    frame = torch.randint(0, 256, (3, 8, 8), dtype=torch.uint8)
    reqs = [JudgeRequest('a', images=[frame]), JudgeRequest('b', images=[frame])]
    first = CachedBackend(inner, root=tmp_path)
    assert [r.text for r in first.generate(reqs)] == ['answer to a', 'answer to b']
    assert first.yes_no(reqs[:1])[0].yes_prob == 0.7
    assert len(inner.requests) == 3
    second = build_backend(dict(type='scripted', generate_fn=inner.generate_fn, yes_no_fn=inner.yes_no_fn,
                                cache=dict(root=str(tmp_path))))
    assert isinstance(second, CachedBackend)
    outs = second.generate(reqs) + second.yes_no(reqs[:1])
    assert [o.cached for o in outs] == [True] * 3 and outs[2].yes_prob == 0.7
    assert second.inner.requests == []  # no call made
    assert second.stats.snapshot()['cache_hits'] == 3 and second.stats.snapshot()['calls'] == 0
    # anything that can change the answer changes the key: another frame, another attempt, another method
    other = JudgeRequest('a', images=[torch.zeros_like(frame)])
    desc = inner.describe()
    keys = {answer_key(desc, 'generate', reqs[0]), answer_key(desc, 'generate', other),
            answer_key(desc, 'yes_no', reqs[0]), answer_key(desc, 'generate', JudgeRequest('a', [frame], attempt=1)),
            answer_key(dict(desc, model='other'), 'generate', reqs[0])}
    assert len(keys) == 5


def test_cache_never_stores_failures(tmp_path):
    inner = ScriptedBackend(generate_fn=lambda r: JudgeFailure('HTTP 500'))
    cached = CachedBackend(inner, root=tmp_path)
    cached.generate([JudgeRequest('x')])
    cached.generate([JudgeRequest('x')])
    assert len(inner.requests) == 2 and not list(tmp_path.rglob('*.json'))


def test_cache_files_are_whole_json(tmp_path):
    cached = CachedBackend(ScriptedBackend(generate_fn=lambda r: 'ok'), root=tmp_path)
    cached.generate([JudgeRequest('x')])
    [path] = list(tmp_path.rglob('*.json'))
    data = json.loads(path.read_text())
    assert data['text'] == 'ok' and 'cached' not in data
    assert not list(tmp_path.rglob('*.tmp'))
    path.write_text('{broken')  # a damaged entry is a miss, not a crash
    assert cached.generate([JudgeRequest('x')])[0].cached is False
