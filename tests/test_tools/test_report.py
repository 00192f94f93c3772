"""The HTML report: one self-contained file (no URLs, every image a data URI) with every section; Chromium."""
from __future__ import annotations

import base64
import io
import json
import re
import shutil
import subprocess
from html.parser import HTMLParser

import pytest
from helpers.aigve_bench import bench_entries, results_doc, write_bench, write_results

from aigve.cli import main
from aigve.tools.report import build_report

CHROMIUM_NAMES = ('chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable', 'chrome')


class _Collect(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[tuple[str, str, str]] = []  # (tag, attribute, value)

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in ('src', 'href', 'srcset', 'poster', 'data', 'action') and value is not None:
                self.links.append((tag, name, value))


@pytest.fixture(scope='module')
def report(tmp_path_factory):
    """A report of two generator runs (thumbnails, a failure), a set-level run and human ratings."""
    root = tmp_path_factory.mktemp('report')
    entries = bench_entries(4, ('cogvideox', 'sora'))
    bench = write_bench(root / 'bench', entries, missing=['sora_103.mp4'])
    runs = []
    for model in ('cogvideox', 'sora'):
        mine = [e for e in entries if e['model'] == model and e['video_path_pd'] != 'sora_103.mp4']
        per_video = {e['video_path_pd']: {'temporal_flickering/temporal_flickering': 0.5 + e['overall'] / 10,
                                          'temporal_flickering/mae': 10.0 - e['overall']} for e in mine}
        failures = [dict(video='sora_103.mp4', reason='sora_103.mp4: file not found <script>alert(1)</script>')] \
            if model == 'sora' else []
        runs.append(write_results(root / model / 'results.json', results_doc(per_video, failures=failures)))
    fid = write_results(root / 'fid_sora' / 'results.json', results_doc({}, metrics={'fid/fid': 12.5}))
    out = root / 'report.html'
    rc = main(['report', *(str(p) for p in runs), f'sora={fid}', '--ann-file', str(bench['ann_file']),
               '--video-root', str(bench['videos']), '--out', str(out), '--n-boot', '50', '--k', '2'])
    assert rc == 0
    return dict(path=out, html=out.read_text(encoding='utf-8'), root=root)


def test_report_is_self_contained(report):
    parser = _Collect()
    parser.feed(report['html'])
    assert parser.links, 'the report has no images'
    for tag, attr, value in parser.links:
        assert not re.match(r'\s*(https?:)?//', value, re.I), f'<{tag} {attr}={value[:60]}> points outside'
        if tag == 'img':
            assert value.startswith('data:image/png;base64,'), f'<img> not a data URI: {value[:60]}'
    assert not re.search(r'<(script|link|iframe|object|embed)\b', report['html'], re.I)
    assert 'url(' not in report['html'].lower()


def test_every_image_is_a_valid_png(report):
    from PIL import Image

    images = re.findall(r'<img [^>]*src="data:image/png;base64,([^"]+)"', report['html'])
    assert len(images) >= 6
    for data in images:
        with Image.open(io.BytesIO(base64.b64decode(data))) as im:
            assert im.format == 'PNG' and im.size[0] > 0 and im.size[1] > 0


def test_report_has_every_section(report):
    page = report['html']
    for text in ('id="runs"', 'id="comparison"', 'id="scores"', 'id="agreement"', 'id="failures"',
                 'id="provenance"', 'alt="aggregates per run"', 'alt="agreement heatmap"',
                 'alt="histogram of temporal_flickering/temporal_flickering (cogvideox)"',
                 'alt="frames of cogvideox_0.mp4"', 'best 2 (higher is better)', 'worst 2', 'highest 2 (direction',
                 'TemporalFlickering', 'direction: higher is better', 'fid/fid', '&quot;aigve&quot;: &quot;test&quot;'):
        assert text in page, text
    # the failure reason is shown, escaped
    assert 'file not found &lt;script&gt;alert(1)&lt;/script&gt;' in page and '<script>alert' not in page
    # run labels: generators found through the annotation, and the label given on the command line
    assert '<td>cogvideox</td>' in page and '<td>sora</td>' in page and '<td>sora (2)</td>' in page


def test_a_missing_video_says_why_instead_of_a_thumbnail(tmp_path):
    doc = results_doc({'gone.mp4': {'m/m': 1.0}, 'also_gone.mp4': {'m/m': 2.0}})
    page = build_report([(str(tmp_path / 'results.json'), None, doc)], k=1)
    assert 'no thumbnails: video not found (pass --video-root)' in page
    assert 'id="agreement"' not in page  # no human ratings: no agreement section
    assert 'id="comparison"' not in page  # one run: no comparison


def test_no_runs_is_an_error():
    with pytest.raises(ValueError, match='at least one'):
        build_report([])


# ------------------------------------------------------------------------------------- headless Chromium
def _chromium() -> str | None:
    return next((p for p in map(shutil.which, CHROMIUM_NAMES) if p), None)


CHECK_HEAD = """<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:;
style-src 'unsafe-inline'; script-src 'unsafe-inline'"><script>
window.__errors = [];
window.addEventListener('error', e => window.__errors.push('error: ' + (e.message || e.target.outerHTML)), true);
document.addEventListener('securitypolicyviolation', e => window.__errors.push('blocked: ' + e.blockedURI));
const consoleError = console.error;
console.error = (...a) => { window.__errors.push('console: ' + a.join(' ')); consoleError(...a); };
window.addEventListener('load', () => {
  const imgs = Array.from(document.images);
  const broken = imgs.filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.alt);
  const out = document.createElement('pre');
  out.id = 'aigve-check';
  out.textContent = JSON.stringify({images: imgs.length, broken: broken, errors: window.__errors});
  document.body.appendChild(out);
});
</script>"""


def _run_chromium(binary, tmp_path, *args):
    cmd = [binary, '--headless=new', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-extensions',
           '--host-resolver-rules=MAP * ~NOTFOUND', f'--user-data-dir={tmp_path / "profile"}',
           '--enable-logging=stderr', '--v=0', *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120)


def test_report_renders_offline_in_headless_chromium(report, tmp_path):
    binary = _chromium()
    if binary is None:
        pytest.skip(f'no Chromium binary found (looked for {", ".join(CHROMIUM_NAMES)} on PATH); '
                    'install it with `apt-get install -y chromium` to run this test')
    checked = tmp_path / 'checked.html'
    checked.write_text(report['html'].replace('<head>', '<head>' + CHECK_HEAD, 1), encoding='utf-8')
    proc = _run_chromium(binary, tmp_path, '--virtual-time-budget=10000', '--dump-dom', checked.as_uri())
    found = re.search(r'<pre id="aigve-check">(.*?)</pre>', proc.stdout, re.S)
    assert found, f'chromium did not load the page (rc {proc.returncode}): {proc.stderr[-2000:]}'
    result = json.loads(found.group(1).replace('&quot;', '"').replace('&amp;', '&'))
    assert result['images'] == report['html'].count('<img ')
    assert result['broken'] == [] and result['errors'] == []
    console = [line for line in proc.stderr.splitlines() if 'CONSOLE' in line]
    assert not console, console
    # the screenshot, kept as a test artifact beside the report under the pytest tmp dir
    shot = report['root'] / 'report_screenshot.png'
    proc = _run_chromium(binary, tmp_path, f'--screenshot={shot}', '--window-size=1200,2400',
                         report['path'].as_uri())
    assert shot.is_file() and shot.stat().st_size > 10_000, proc.stderr[-2000:]
    print(f'screenshot: {shot}')


def test_the_chromium_check_catches_broken_and_external_images(tmp_path):
    binary = _chromium()
    if binary is None:
        pytest.skip(f'no Chromium binary found (looked for {", ".join(CHROMIUM_NAMES)} on PATH); '
                    'install it with `apt-get install -y chromium` to run this test')
    page = tmp_path / 'bad.html'
    page.write_text('<!DOCTYPE html><html><head>' + CHECK_HEAD + '</head><body>'
                    '<img alt="broken" src="data:image/png;base64,AAAA"><img alt="far" src="https://example.com/a.png">'
                    '</body></html>')
    proc = _run_chromium(binary, tmp_path, '--virtual-time-budget=10000', '--dump-dom', page.as_uri())
    result = json.loads(re.search(r'<pre id="aigve-check">(.*?)</pre>', proc.stdout, re.S).group(1)
                        .replace('&quot;', '"').replace('&amp;', '&'))
    assert result['broken'] == ['broken', 'far'] and any('blocked' in e for e in result['errors'])


# ------------------------------------------------------------------------------------------------ service
def test_service_returns_the_report_of_a_finished_job(tmp_path):
    pytest.importorskip('fastapi')
    from fastapi.testclient import TestClient
    from helpers.videos import synthetic_frames, write_video

    from aigve.service.app import create_app
    from aigve.service.settings import ServiceSettings
    from aigve.service.store import SUCCEEDED

    app = create_app(ServiceSettings(data_dir=str(tmp_path / 'service'), max_workers=1))
    with TestClient(app) as client:
        service = app.state.service

        async def no_cards() -> list:
            return []

        service.probe.cards = no_cards  # the real probe imports every metric in a child process: not needed here
        work = tmp_path / 'service' / 'jobs' / 'j1'
        (work / 'uploads').mkdir(parents=True)
        write_video(work / 'uploads' / 'a.mp4', synthetic_frames(4, 32, 32))
        write_results(work / 'results.json', results_doc({'a.mp4': {'m/m': 0.5}}))
        job = service.store.create(kind='upload', request={}, metrics=['M'], work_dir=str(work), total=1)
        service.store.update(job['id'], state=SUCCEEDED)
        as_json = client.get(f"/jobs/{job['id']}/results")
        assert as_json.status_code == 200 and as_json.json()['metrics'] == {'m/m': 0.5}
        page = client.get(f"/jobs/{job['id']}/results", params={'format': 'html'})
        assert page.status_code == 200 and page.headers['content-type'].startswith('text/html')
        assert f"aigve job {job['id']}" in page.text and 'alt="frames of a.mp4"' in page.text
        assert client.get(f"/jobs/{job['id']}/results", params={'format': 'pdf'}).status_code == 422


def test_runs_of_the_same_videos_get_one_agreement_each(tmp_path):
    entries = bench_entries(4, ('cogvideox', ))
    human = {e['video_path_pd']: e for e in entries}
    runs = [(str(tmp_path / f'{name}.json'), name,
             results_doc({e['video_path_pd']: {'m/m': float(e['overall']) * scale} for e in entries}))
            for name, scale in (('a', 1.0), ('b', 2.0))]
    page = build_report(runs, human=human, agreement_options=dict(n_boot=20), k=1)
    assert 'alt="agreement heatmap (a)"' in page and 'alt="agreement heatmap (b)"' in page
