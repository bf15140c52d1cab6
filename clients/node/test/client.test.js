// The Node example's three calls (ingest a file, rank, search) against what
// the zhibiao CLI answers on the same real suite, started with `zhibiao up`
// on ephemeral loopback ports with bearer tokens on; errors with their codes.
'use strict';

const test = require('node:test');
const assert = require('node:assert');
const { spawn, spawnSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const { connect, status } = require('../zhibiao');

const REPO = path.resolve(__dirname, '..', '..', '..');
const BIN = process.env.ZHIBIAO_BIN_DIR || path.join(REPO, 'build', 'bin');
const SHARED = process.env.ZHIBIAO_SHARED_DIR || path.join(REPO, '..', 'shared');
const SEED = path.join(SHARED, 'fixtures', 'xinxiang-2021.txt');
const WORK_REPORT = path.join(SHARED, 'corpus', 'gzbg-2026', 'henan-2026.txt');

function readEnv(file) {
  const env = {};
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    const at = line.indexOf('=');
    if (at > 0) env[line.slice(0, at)] = line.slice(at + 1);
  }
  return env;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function freeLoopbackPort() {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

test('the Node example against the real suite', async (t) => {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'zhibiao-node-'));
  const token = crypto.randomBytes(16).toString('hex');
  fs.writeFileSync(path.join(work, 'tokens'), `tester ingest,query,admin,store ${token}\n`);
  fs.writeFileSync(path.join(work, 'token'), `${token}\n`);
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('ZHIBIAO_')));
  const up = spawn(path.join(BIN, 'zhibiao'), ['up', '--storage-shards=2', '--base_port=0', `--data_dir=${work}/data`], {
    env: { ...clean, ZHIBIAO_TOKENS_FILE: `${work}/tokens`, ZHIBIAO_STORAGE_TOKEN_FILE: `${work}/token` },
    stdio: ['ignore', fs.openSync(path.join(work, 'up.log'), 'w'), 'inherit'],
    detached: true,
  });
  t.after(async () => {
    try { process.kill(-up.pid, 'SIGINT'); } catch (e) { /* already gone */ }
    await new Promise((resolve) => { if (up.exitCode !== null) resolve(); else up.on('exit', resolve); });
    fs.rmSync(work, { recursive: true, force: true });
  });
  const envFile = path.join(work, 'data', 'run', 'env');
  const deadline = Date.now() + 60000;
  while (!(fs.existsSync(envFile) && fs.readFileSync(envFile, 'utf8').includes('ZHIBIAO_QUERY_ADDR'))) {
    assert.ok(Date.now() < deadline && up.exitCode === null, 'zhibiao up did not start');
    await sleep(200);
  }
  const addresses = readEnv(envFile);
  const cliEnv = { ...clean, ZHIBIAO_TOKEN_FILE: `${work}/token` };
  for (const k of ['ZHIBIAO_QUERY_ADDR', 'ZHIBIAO_INGEST_ADDR', 'ZHIBIAO_STORAGE_ADDR']) cliEnv[k] = addresses[k];
  const cli = (...args) => spawnSync(path.join(BIN, 'zhibiao'), args, { env: cliEnv, encoding: 'utf8' });
  while (cli('health').status !== 0) {
    assert.ok(Date.now() < deadline, 'the suite never became healthy');
    await sleep(200);
  }
  const zb = connect({ query: addresses.ZHIBIAO_QUERY_ADDR, ingest: addresses.ZHIBIAO_INGEST_ADDR, token });
  t.after(() => zb.close());

  await t.test('ingestFile stores what parse extracts', async () => {
    const parsed = JSON.parse(cli('parse', SEED, '--json').stdout);
    const seed = await zb.ingestFile(SEED);
    assert.strictEqual(seed.report_id, parsed.meta.report_id);
    assert.strictEqual(seed.indicators, parsed.indicators.length);
    assert.strictEqual(seed.status, 'stored');
    const report = await zb.ingestFile(WORK_REPORT);
    assert.deepStrictEqual([report.region_code, report.year], ['410000', 2025]);
    assert.strictEqual((await zb.ingestFile(WORK_REPORT)).status, 'unchanged');
  });

  await t.test('rank answers what the CLI answers', async () => {
    const mine = await zb.rank({ metric: 'economy.gdp', year: 2025, figures: 'result_changes', unit: '%' });
    const cliAnswer = JSON.parse(cli('query', 'rank', '--metric=economy.gdp', '--year=2025', '--figures=result_changes',
      '--unit=%', '--json').stdout);
    assert.ok(mine.regions.length > 0);
    assert.deepStrictEqual(mine.regions.map((r) => [r.region_code, r.value]),
      cliAnswer.regions.map((r) => [r.region_code, r.value]));
    assert.strictEqual(mine.unit, '%');
  });

  await t.test('regions answers what the CLI answers', async () => {
    const mine = await zb.regions({ kind: 'work_report' });
    const listed = JSON.parse(cli('regions', '--kind=work_report', '--json').stdout).regions;
    assert.ok(mine.some((r) => r.region_code === '410000' && r.region === '河南省' && r.years.includes(2025)));
    assert.deepStrictEqual(mine.map((r) => [r.region_code, r.reports, r.figures]),
      listed.map((r) => [r.region_code, r.report_count, Number(r.figure_count)]));
  });

  await t.test('search answers what the CLI answers', async () => {
    const mine = await zb.search(['粮食'], { limit: 200 });
    const hits = JSON.parse(cli('query', 'search', '粮食', '--page_size=200', '--json').stdout).hits;
    assert.ok(mine.length > 0);
    assert.deepStrictEqual(mine.map((h) => h.indicator_id), hits.map((h) => h.indicator.indicator_id));
    assert.ok(mine.every((h) => h.sentence.length > 0 && h.region !== ''));
  });

  await t.test('errors carry their gRPC codes', async () => {
    await assert.rejects(zb.rank({ metric: 'economy.gdp', year: 2025, province: '12' }),
      (e) => e.code === status.INVALID_ARGUMENT && cli('query', 'rank', '--metric=economy.gdp', '--year=2025',
        '--province=12').stderr.includes(e.details));
    await assert.rejects(zb.rank({ metric: 'economy.gdp', year: 2025, figures: 'everything' }),
      (e) => e.codeName === 'INVALID_ARGUMENT');
    const anonymous = connect({ query: addresses.ZHIBIAO_QUERY_ADDR, ingest: addresses.ZHIBIAO_INGEST_ADDR, token: '' });
    await assert.rejects(anonymous.search(['粮食']), (e) => e.code === status.UNAUTHENTICATED);
    await assert.rejects(anonymous.ingestFile(SEED), (e) => e.code === status.UNAUTHENTICATED);
    anonymous.close();
    const port = await freeLoopbackPort();
    const down = connect({ query: `127.0.0.1:${port}`, ingest: `127.0.0.1:${port}`, token, timeoutMs: 5000 });
    await assert.rejects(down.search(['粮食']), (e) => e.code === status.UNAVAILABLE);
    down.close();
  });
});
