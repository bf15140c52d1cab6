// zhibiao-web against the real suite: `zhibiao up` (2 shards, ephemeral
// loopback ports, bearer tokens on) with the seed, the 21 work reports of
// ../shared/corpus and a hostile report ingested; the HTTP API through
// fetch and the dashboard through Debian's chromium driven by puppeteer-core.
// Screenshots go to $ZHIBIAO_ARTIFACTS_DIR (CTest: build/web-artifacts).
'use strict';

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { spawn, spawnSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const puppeteer = require('puppeteer-core');

const REPO = path.resolve(__dirname, '../..');
const BIN = process.env.ZHIBIAO_BIN_DIR || path.join(REPO, 'build', 'bin');
const SHARED = process.env.ZHIBIAO_SHARED_DIR || path.join(REPO, '..', 'shared');
const ARTIFACTS = process.env.ZHIBIAO_ARTIFACTS_DIR || path.join(REPO, 'build', 'web-artifacts');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const WORK_REPORTS = path.join(SHARED, 'corpus', 'gzbg-2026');
const SEED = path.join(SHARED, 'fixtures', 'xinxiang-2021.txt');

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'zhibiao-web-test-'));
const token = crypto.randomBytes(16).toString('hex');
const ingestOnlyToken = crypto.randomBytes(16).toString('hex');
let up;
let env = {};
let web;  // http://127.0.0.1:PORT
let browser;
let hostileId;

const HOSTILE = [
  '<script>alert("title")</script>关于2025年法治政府建设情况的报告',
  '一、主要工作',
  '全年办理<img src=x onerror=alert(1)>行政复议案件<b>120件</b>,同比增长5%。',
  '详见<a href="javascript:alert(2)">javascript:alert(2)</a>, &lt;b&gt;粗体&lt;/b&gt; &amp; 其他, 培训干部3000人次。',
  '二、下一步打算',
  '力争复议纠错率达到10%。<script>document.body.dataset.pwned="1"</script>',
].join('\n');

function childEnv(extra) {
  const out = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('ZHIBIAO_')) out[k] = v;
  return Object.assign(out, extra);
}

function cli(args, { check = true } = {}) {
  const done = spawnSync(path.join(BIN, 'zhibiao'), args, {
    env: childEnv({ ZHIBIAO_QUERY_ADDR: env.ZHIBIAO_QUERY_ADDR, ZHIBIAO_INGEST_ADDR: env.ZHIBIAO_INGEST_ADDR,
                    ZHIBIAO_TOKEN_FILE: path.join(work, 'token') }),
    encoding: 'utf8', timeout: 180000 });
  if (check && done.status !== 0) throw new Error(`zhibiao ${args.join(' ')}: exit ${done.status}: ${done.stderr}`);
  return done;
}

function readEnv(file) {
  const out = {};
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) out[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return out;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function post(method, body, { auth = token, raw, headers = {} } = {}) {
  const res = await fetch(`${web}v1/query/${method}`, {
    method: 'POST',
    headers: Object.assign({ 'Content-Type': 'application/json' }, auth ? { Authorization: 'Bearer ' + auth } : {}, headers),
    body: raw !== undefined ? raw : JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

before(async () => {
  for (const p of [path.join(BIN, 'zhibiao'), path.join(BIN, 'zhibiao-web'), WORK_REPORTS, SEED, CHROMIUM]) {
    assert.ok(fs.existsSync(p), `${p} is missing (build the suite; ../shared beside the repository; chromium installed)`);
  }
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  fs.writeFileSync(path.join(work, 'tokens'),
    `tester ingest,query,admin,store ${token}\ningester ingest ${ingestOnlyToken}\n`);
  fs.writeFileSync(path.join(work, 'token'), token + '\n');
  up = spawn(path.join(BIN, 'zhibiao'), ['up', '--storage-shards=2', '--base_port=0', `--data_dir=${path.join(work, 'data')}`], {
    env: childEnv({ ZHIBIAO_TOKENS_FILE: path.join(work, 'tokens'), ZHIBIAO_STORAGE_TOKEN_FILE: path.join(work, 'token') }),
    stdio: ['ignore', fs.openSync(path.join(work, 'up.log'), 'w'), 'inherit'], detached: true });
  const envFile = path.join(work, 'data', 'run', 'env');
  const deadline = Date.now() + 90000;
  while (!(fs.existsSync(envFile) && readEnv(envFile).ZHIBIAO_WEB_URL)) {
    assert.ok(Date.now() < deadline && up.exitCode === null,
      'zhibiao up did not start: ' + (fs.existsSync(path.join(work, 'up.log')) ? fs.readFileSync(path.join(work, 'up.log'), 'utf8') : ''));
    await sleep(200);
  }
  env = readEnv(envFile);
  web = env.ZHIBIAO_WEB_URL;
  assert.match(web, /^http:\/\/127\.0\.0\.1:\d+\/$/);
  fs.writeFileSync(path.join(work, 'hostile.txt'), HOSTILE);
  cli(['ingest', WORK_REPORTS, SEED]);
  const hostile = JSON.parse(cli(['ingest', path.join(work, 'hostile.txt'), '--json']).stdout.trim().split('\n').pop());
  hostileId = hostile.report_id || hostile.reportId;
  assert.ok(hostileId, 'the hostile report was stored: ' + JSON.stringify(hostile));
  browser = await puppeteer.launch({ executablePath: CHROMIUM, headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run'] });
});

after(async () => {
  if (browser) await browser.close();
  if (up && up.exitCode === null) {
    process.kill(-up.pid, 'SIGINT');
    for (let i = 0; i < 150 && up.exitCode === null; i++) await sleep(200);
    if (up.exitCode === null) process.kill(-up.pid, 'SIGKILL');
  }
  fs.rmSync(work, { recursive: true, force: true });
});

// ---- the HTTP API ----------------------------------------------------------

const RANK = { metricKey: 'economy.gdp', year: 2026, k: 50,
  options: { figures: 'METRIC_FIGURES_TARGET_CHANGES', unit: '%', documentKinds: ['DOCUMENT_KIND_GOVERNMENT_WORK_REPORT'] } };

test('every QueryService method answers through JSON', async () => {
  const methods = await (await fetch(`${web}v1/methods`)).json();
  assert.deepEqual(methods.sort(), ['Aggregate', 'Compare', 'GetReport', 'GetSection', 'ListMetrics', 'ListRegions',
    'ListReports', 'Rank', 'SearchIndicators', 'TimeSeries']);
  const reports = await post('ListReports', { pageSize: 1000 });
  assert.equal(reports.status, 200);
  assert.equal(reports.body.reports.length, 23);
  const henan = reports.body.reports.find((r) => r.region.code === '410000');
  assert.equal(henan.kind, 'DOCUMENT_KIND_GOVERNMENT_WORK_REPORT');
  const report = await post('GetReport', { reportId: henan.reportId });
  assert.equal(report.status, 200);
  assert.ok(report.body.report.indicators.length > 100);
  const section = await post('GetSection', { reportId: henan.reportId, section: '1' });
  assert.equal(section.status, 200);
  assert.equal(section.body.meta.reportId, henan.reportId);
  const metrics = await post('ListMetrics', {});
  assert.ok(metrics.body.metrics.find((m) => m.key === 'economy.gdp' && Number(m.count) > 0));
  const aggregate = await post('Aggregate', { filter: { metricKeys: ['economy.gdp'], units: ['%'] }, groupBy: ['GROUP_BY_PROVINCE'],
    aggregations: ['AGGREGATION_COUNT'] });
  assert.equal(aggregate.status, 200, JSON.stringify(aggregate.body));
  assert.ok(aggregate.body.rows.length >= 21);
  const series = await post('TimeSeries', { metricKey: 'economy.gdp', regionCode: '410000',
    options: { figures: 'METRIC_FIGURES_RESULT_CHANGES', unit: '%' } });
  assert.equal(series.status, 200);
  assert.deepEqual(series.body.points.map((p) => [p.year, p.value]), [[2025, 5.6]]);
  const compare = await post('Compare', { metricKey: 'economy.gdp', baseYear: 2025, year: 2026,
    options: { figures: 'METRIC_FIGURES_TARGET_CHANGES', unit: '%' } });
  assert.equal(compare.status, 200);
  assert.ok(compare.body.regions.length >= 21);
  const regions = await post('ListRegions', { filter: { documentKinds: ['DOCUMENT_KIND_GOVERNMENT_WORK_REPORT'] } });
  assert.equal(regions.status, 200, JSON.stringify(regions.body));
  assert.equal(regions.body.regions.length, 21);
  const henanCoverage = regions.body.regions.find((r) => r.regionCode === '410000');
  assert.equal(henanCoverage.regionName, '河南省');
  assert.equal(henanCoverage.reportCount, 1);
  assert.ok(Number(henanCoverage.figureCount) > 100);
  const search = await post('SearchIndicators', { words: ['粮食产量'], pageSize: 5 });
  assert.equal(search.status, 200);
  assert.ok(search.body.hits.length > 0);
  assert.ok(search.body.hits.every((h) => h.indicator.subject.includes('粮食产量')));
});

test('Rank through JSON is what the CLI prints for the same query', async () => {
  const http = await post('Rank', RANK);
  assert.equal(http.status, 200);
  const cliJson = JSON.parse(cli(['query', 'rank', '--metric=economy.gdp', '--year=2026', '--figures=target_changes',
    '--kind=work_report', '--unit=%', '--k=50', '--json']).stdout);
  const pick = (regions) => regions.map((r) => [r.regionCode ?? r.region_code, Number(r.value)]);
  assert.deepEqual(pick(http.body.regions), pick(cliJson.regions));
  assert.equal(http.body.regions.length, 21);
  assert.deepEqual(pick(http.body.regions)[0], ['460000', 6]);
});

test('bad JSON is 400 naming the field; an unknown method 404', async () => {
  let r = await post('Rank', null, { raw: '{"metricKye": "economy.gdp"}' });
  assert.equal(r.status, 400);
  assert.equal(r.body.status, 'INVALID_ARGUMENT');
  assert.match(r.body.message, /metricKye/);
  r = await post('Rank', null, { raw: '{"year": "twenty"}' });
  assert.equal(r.status, 400);
  assert.match(r.body.message, /year/);
  r = await post('Rank', null, { raw: '{not json' });
  assert.equal(r.status, 400);
  r = await post('Rank', { metricKey: 'no.such.metric', year: 2026 });
  assert.equal(r.status, 400, JSON.stringify(r.body));
  assert.match(r.body.message, /no\.such\.metric/);
  r = await post('DropAllTables', {});
  assert.equal(r.status, 404);
  assert.match(r.body.message, /DropAllTables/);
  r = await post('Rank', null, { raw: 'metricKey=x', headers: { 'Content-Type': 'text/plain' } });
  assert.equal(r.status, 400);
  assert.match(r.body.message, /application\/json/);
  const big = await post('Rank', null, { raw: JSON.stringify({ metricKey: 'x'.repeat(300 << 10) }) });
  assert.equal(big.status, 413);
  const get = await fetch(`${web}v1/query/Rank`);
  assert.equal(get.status, 405);
});

test('a missing token is 401 and a wrong scope 403', async () => {
  let r = await post('Rank', RANK, { auth: '' });
  assert.equal(r.status, 401);
  assert.equal(r.body.status, 'UNAUTHENTICATED');
  r = await post('Rank', RANK, { auth: ingestOnlyToken });
  assert.equal(r.status, 403);
  assert.equal(r.body.status, 'PERMISSION_DENIED');
  r = await post('Rank', RANK, { auth: 'not-a-token' });
  assert.equal(r.status, 401);
  assert.equal((await fetch(`${web}healthz`)).status, 200);
});

test('query down gives 503 naming it', async () => {
  const free = await new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => resolve(p)); });
  });
  const portFile = path.join(work, 'lonely-web.port');
  const lonely = spawn(path.join(BIN, 'zhibiao-web'), ['--listen=127.0.0.1:0', `--port_file=${portFile}`,
    `--query=127.0.0.1:${free}`, '--query_timeout_ms=3000', '--health_check_ms=200'], { stdio: 'ignore', env: childEnv({}) });
  try {
    for (let i = 0; i < 100 && !fs.existsSync(portFile); i++) await sleep(100);
    const base = `http://127.0.0.1:${fs.readFileSync(portFile, 'utf8').trim()}/`;
    const res = await fetch(`${base}v1/query/Rank`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' });
    const body = await res.json();
    assert.equal(res.status, 503, JSON.stringify(body));
    assert.ok(body.message.includes(`query 127.0.0.1:${free}`), body.message);
    const health = await fetch(`${base}healthz`);
    assert.equal(health.status, 503);
    assert.match((await health.json()).reason, new RegExp(`127\\.0\\.0\\.1:${free}`));
    assert.equal((await fetch(`${base}livez`)).status, 200);
  } finally {
    lonely.kill('SIGTERM');
  }
});

test('with --tls_cert and --tls_key it serves HTTPS and calls query over TLS', async () => {
  const dir = fs.mkdtempSync(path.join(work, 'tls-'));
  const made = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1',
    '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem')],
    { encoding: 'utf8' });
  assert.equal(made.status, 0, made.stderr);
  const portFile = path.join(dir, 'port');
  const secure = spawn(path.join(BIN, 'zhibiao-web'), ['--listen=127.0.0.1:0', `--port_file=${portFile}`,
    `--query=${env.ZHIBIAO_QUERY_ADDR}`, `--tls_cert=${path.join(dir, 'cert.pem')}`, `--tls_key=${path.join(dir, 'key.pem')}`],
    { stdio: 'ignore', env: childEnv({}) });
  try {
    for (let i = 0; i < 100 && !fs.existsSync(portFile); i++) await sleep(100);
    const port = fs.readFileSync(portFile, 'utf8').trim();
    const https = require('node:https');
    const ca = fs.readFileSync(path.join(dir, 'cert.pem'));
    const get = (p) => new Promise((resolve, reject) => {
      https.get({ host: '127.0.0.1', port, path: p, ca }, (res) => {
        let body = '';
        res.on('data', (d) => { body += d; });
        res.on('end', () => resolve({ status: res.statusCode, body }));
      }).on('error', reject);
    });
    // Its calls to query use TLS as well (the suite's query here is plaintext,
    // so its health says why it cannot serve: the handshake).
    let health;
    for (let i = 0; i < 50; i++) {
      health = await get('/healthz');
      if (/handshake|SSL/i.test(health.body)) break;
      await sleep(100);
    }
    assert.equal(health.status, 503, health.body);
    assert.match(JSON.parse(health.body).reason, new RegExp(`query ${env.ZHIBIAO_QUERY_ADDR}.*(SSL|handshake)`, 'i'));
    assert.equal((await get('/livez')).status, 200);
    assert.match((await get('/')).body, /echarts\.min\.js/);
    // Plain HTTP on the HTTPS port gets no page.
    await assert.rejects(fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.text()));
  } finally {
    secure.kill('SIGTERM');
  }
});

// ---- the dashboard ---------------------------------------------------------

async function open(hash) {
  const page = await browser.newPage();
  await page.setViewport({ width: 1400, height: 1000 });
  const problems = [];
  page.on('pageerror', (e) => problems.push('pageerror: ' + e.message));
  page.on('dialog', async (d) => { problems.push('dialog: ' + d.message()); await d.dismiss(); });
  page.on('requestfailed', (r) => problems.push('requestfailed: ' + r.url()));
  page.on('request', (r) => { if (!r.url().startsWith(web) && !r.url().startsWith('blob:') && !r.url().startsWith('data:')) problems.push('outside request: ' + r.url()); });
  await page.evaluateOnNewDocument((t) => sessionStorage.setItem('zhibiao-token', t), token);
  await page.goto(web + hash);
  await page.waitForFunction(() => ['done', 'error'].includes(document.body.dataset.ready), { timeout: 30000 });
  return { page, problems };
}

async function shot(page, name) {
  await sleep(600);  // ECharts animates its first frame
  await page.screenshot({ path: path.join(ARTIFACTS, name + '.png'), fullPage: false });
}

test('the Rank view draws one bar per region with the values query returns, and downloads its table', async () => {
  const expected = (await post('Rank', RANK)).body.regions;
  const { page, problems } = await open('#view=rank&kind=DOCUMENT_KIND_GOVERNMENT_WORK_REPORT&metric=economy.gdp&year=2026' +
    '&figures=METRIC_FIGURES_TARGET_CHANGES&unit=%25&k=50');
  assert.equal(await page.evaluate(() => document.body.dataset.ready), 'done');
  const drawn = await page.evaluate(() => {
    const option = echarts.getInstanceByDom(document.getElementById('rank-chart')).getOption();
    return { names: option.xAxis[0].data, values: option.series[0].data };
  });
  const regions = await (await fetch(`${web}v1/regions`)).json();
  assert.equal(drawn.names.length, expected.length);
  assert.deepEqual(drawn.names, expected.map((r) => regions[r.regionCode][0]));
  assert.deepEqual(drawn.values, expected.map((r) => r.value));
  assert.ok(drawn.names.includes('海南省') && drawn.names.includes('河南省'));
  const rows = await page.$$eval('#rank-table tbody tr', (trs) => trs.map((tr) => [...tr.children].map((td) => td.textContent)));
  assert.equal(rows.length, expected.length);
  assert.deepEqual(rows[0].slice(0, 4), ['1', '海南省', '海南省', '6']);
  await shot(page, 'rank');

  const waitFor = await allowDownloads(page);
  await page.click('[data-export=csv][data-for=rank]');
  const csv = fs.readFileSync(await waitFor('.csv'), 'utf8').replace(/^\uFEFF/, '').trim().split('\r\n').map((l) => l.split(','));
  assert.deepEqual(csv[0], ['名次', '地区', '地区代码', '省份', '数值', '单位', '依据指标数']);
  assert.equal(csv.length - 1, expected.length);
  assert.deepEqual(csv.slice(1).map((r) => [r[2], Number(r[4])]), expected.map((r) => [r.regionCode, r.value]));
  await page.click('[data-export=xlsx][data-for=rank]');
  const xlsx = await waitFor('.xlsx');
  const read = spawnSync('/usr/bin/python3', ['-c',
    'import json,sys,openpyxl; ws=openpyxl.load_workbook(sys.argv[1]).active; print(json.dumps([[c.value for c in r] for r in ws.iter_rows()]))', xlsx],
    { encoding: 'utf8' });
  assert.equal(read.status, 0, read.stderr);
  const sheet = JSON.parse(read.stdout);
  assert.equal(sheet.length - 1, expected.length);
  assert.deepEqual(sheet.slice(1).map((r) => [r[2], r[4]]), expected.map((r) => [r.regionCode, r.value]));
  assert.deepEqual(problems, []);
  await page.close();
});

// Lets `page` download into a fresh folder; returns a function that waits
// for the first file there ending in a suffix and gives its path.
async function allowDownloads(page) {
  const downloads = fs.mkdtempSync(path.join(work, 'downloads-'));
  const cdp = await page.createCDPSession();
  await cdp.send('Browser.setDownloadBehavior', { behavior: 'allow', downloadPath: downloads });
  return async (suffix) => {
    for (let i = 0; i < 100; i++) {
      const f = fs.readdirSync(downloads).find((n) => n.endsWith(suffix));
      if (f) return path.join(downloads, f);
      await sleep(100);
    }
    throw new Error('no ' + suffix + ' downloaded');
  };
}

test('the Trend view shows results and targets as separate lines', async () => {
  const { page, problems } = await open('#view=trend&kind=DOCUMENT_KIND_GOVERNMENT_WORK_REPORT&metric=economy.gdp' +
    '&shape=CHANGES&unit=%25&regions=410000,130000');
  assert.equal(await page.evaluate(() => document.body.dataset.ready), 'done');
  const option = await page.evaluate(() => {
    const o = echarts.getInstanceByDom(document.getElementById('trend-chart')).getOption();
    return { years: o.xAxis[0].data, series: o.series.map((s) => ({ name: s.name, dash: s.lineStyle.type, data: s.data })) };
  });
  const henanResult = option.series.find((s) => s.name === '河南省 实际');
  const henanTarget = option.series.find((s) => s.name === '河南省 目标');
  assert.ok(henanResult && henanTarget, JSON.stringify(option.series.map((s) => s.name)));
  assert.equal(henanResult.dash, 'solid');
  assert.equal(henanTarget.dash, 'dashed');
  assert.deepEqual(henanResult.data, [['2025', 5.6]]);
  assert.ok(henanTarget.data.some(([year]) => year === '2026'));
  assert.ok(option.series.find((s) => s.name === '河北省 实际'));
  await shot(page, 'trend');
  assert.deepEqual(problems, []);
  await page.close();
});

test('the reader highlights every figure of a report and a click shows its subject', async () => {
  const reports = (await post('ListReports', { pageSize: 1000 })).body.reports;
  const seed = reports.find((r) => r.region.code === '410700');
  const report = (await post('GetReport', { reportId: seed.reportId })).body.report;
  const { page, problems } = await open(`#view=reader&report=${seed.reportId}`);
  assert.equal(await page.evaluate(() => document.body.dataset.ready), 'done');
  const marks = await page.$$eval('#reader-text mark.fig', (ms) => ms.map((m) => [m.dataset.seqs.split(' '), m.textContent]));
  const chars = Array.from(report.normalizedText);
  const spanOf = (ind) => chars.slice(Number(ind.charBegin), Number(ind.charEnd)).join('');
  // Every figure is highlighted; one written figure that measures two subjects is one mark.
  for (const ind of report.indicators) {
    const mark = marks.find(([seqs]) => seqs.includes(String(ind.seq || 0)));
    assert.ok(mark, 'figure ' + ind.indicatorId + ' ' + ind.text + ' is not highlighted');
    if (mark[0][0] === String(ind.seq || 0)) assert.equal(mark[1], spanOf(ind));
  }
  assert.equal(marks.flatMap(([seqs]) => seqs).length, report.indicators.length);
  const target = report.indicators.find((i) => i.subject && i.metricKey) || report.indicators[0];
  await page.click(`#reader-text mark.fig[data-seq="${target.seq || 0}"]`);
  const detail = await page.$$eval(`.figure-detail[data-seq="${target.seq || 0}"] dd`, (dds) => Object.fromEntries(dds.map((d) => [d.dataset.field, d.textContent])));
  assert.equal(detail['主题'], target.subject);
  assert.equal(detail['指标键'], target.metricKey);
  assert.equal(detail['原文'], target.text);
  assert.match(await page.evaluate(() => location.hash), new RegExp(`figure=${target.seq || 0}`));
  await shot(page, 'reader');
  // Every figure of the report as CSV, in the reader's order.
  const waitFor = await allowDownloads(page);
  await page.click('[data-export=csv][data-for=reader]');
  const lines = fs.readFileSync(await waitFor('.csv'), 'utf8').replace(/^\uFEFF/, '').trim().split('\r\n');
  assert.ok(lines[0].startsWith('节,主题,原文,数值') && lines[0].endsWith(',指标ID'), lines[0]);
  assert.deepEqual(lines.slice(1).map((l) => l.split(',').pop()), report.indicators.map((i) => i.indicatorId));
  assert.deepEqual(problems, []);
  await page.close();
});

test('a hostile report renders inert', async () => {
  const { page, problems } = await open(`#view=reader&report=${hostileId}`);
  assert.equal(await page.evaluate(() => document.body.dataset.ready), 'done');
  const seen = await page.evaluate(() => ({
    text: document.getElementById('reader-text').textContent,
    elements: [...document.querySelectorAll('#reader-text *')].map((e) => e.tagName.toLowerCase()),
    links: document.querySelectorAll('#reader-text a').length,
    pwned: document.body.dataset.pwned || '',
    scripts: document.scripts.length,
  }));
  // What the report's text holds is shown as that text (the reader dropped nothing and built no markup).
  const stored = (await post('GetReport', { reportId: hostileId })).body.report.normalizedText;
  for (const snippet of ['<script>alert("title")</script>关于2025年', '<img src=x onerror=alert(1)>', '<b>120件</b>', '<a href="javascript:alert(2)">',
                         '&lt;b&gt;粗体&lt;/b&gt; &amp; 其他', '<script>document.body.dataset.pwned="1"</script>']) {
    assert.ok(stored.includes(snippet), 'stored text keeps ' + snippet);
    assert.ok(seen.text.includes(snippet), 'the reader shows ' + snippet + ' as text');
  }
  assert.deepEqual([...new Set(seen.elements)].sort(), ['div', 'h2', 'mark', 'p'].filter((t) => seen.elements.includes(t)).sort());
  assert.equal(seen.links, 0);
  assert.equal(seen.pwned, '');
  assert.equal(seen.scripts, 2);  // echarts.min.js and app.js
  await page.click('#reader-text mark.fig');
  await page.goto(web + '#view=search&words=' + encodeURIComponent('行政复议'));
  await page.waitForFunction(() => ['done', 'error'].includes(document.body.dataset.ready));
  const hit = await page.evaluate(() => document.getElementById('search-results').textContent);
  assert.ok(hit.includes('<script>alert("title")</script>') || hit.includes('<img src=x'), hit.slice(0, 300));
  assert.equal(await page.evaluate(() => document.querySelectorAll('#search-results img, #search-results script').length), 0);
  await shot(page, 'hostile');
  assert.deepEqual(problems, []);
  await page.close();
});

test('search lists figures with their sentences, linked to the reader', async () => {
  const { page, problems } = await open('#view=search&words=' + encodeURIComponent('粮食产量'));
  assert.equal(await page.evaluate(() => document.body.dataset.ready), 'done');
  const hits = await page.$$eval('#search-results li', (lis) => lis.map((li) => ({
    where: li.querySelector('.where').textContent, figure: li.querySelector('.sentence mark.fig')?.textContent,
    href: li.querySelector('a.open').getAttribute('href') })));
  assert.ok(hits.length >= 5, JSON.stringify(hits));
  assert.ok(hits.every((h) => h.figure && /^#view=reader&report=[0-9a-f]{32}&figure=\d+$/.test(h.href)));
  await shot(page, 'search');
  await page.click('#search-results li a.open');
  await page.waitForFunction(() => document.body.dataset.view === 'reader' && document.body.dataset.ready === 'done');
  assert.ok(await page.$('#reader-text mark.fig.selected'));
  assert.deepEqual(problems, []);
  await page.close();
});
