// The zhibiao dashboard: Rank, Trend, Report reader and Search over the
// query API (POST /v1/query/<Method>, protobuf JSON). Every view's state is
// in the URL's fragment, so a link can be shared. Report text is untrusted:
// it only ever reaches the page as text nodes (textContent), never as markup.
'use strict';

const KINDS = [
  ['DOCUMENT_KIND_GOVERNMENT_WORK_REPORT', '政府工作报告'],
  ['DOCUMENT_KIND_RULE_OF_LAW_REPORT', '法治政府建设报告'],
  ['DOCUMENT_KIND_STATISTICAL_BULLETIN', '统计公报'],
  ['DOCUMENT_KIND_OTHER', '其他'],
  ['', '全部类型'],
];
const FIGURES = [
  ['METRIC_FIGURES_TARGET_CHANGES', '目标 · 增速'],
  ['METRIC_FIGURES_RESULT_CHANGES', '实际 · 增速'],
  ['METRIC_FIGURES_TARGET_LEVELS', '目标 · 总量'],
  ['METRIC_FIGURES_RESULT_LEVELS', '实际 · 总量'],
];
const QUALIFIERS = {
  QUALIFIER_EXACT: '精确', QUALIFIER_APPROX: '约数(约/左右)', QUALIFIER_AT_LEAST: '下限(以上/超过)',
  QUALIFIER_AT_MOST: '上限(以内/不超过)', QUALIFIER_RANGE: '区间',
};
const CHANGES = { CHANGE_NONE: '水平值', CHANGE_INCREASE: '增加', CHANGE_DECREASE: '减少' };

const state = { regions: {}, metrics: [], reports: [], last: {} };

// ---- small helpers -------------------------------------------------------

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === 'class') node.className = v;
    else if (k === 'dataset') Object.assign(node.dataset, v);
    else if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v);
  }
  for (const c of children) {
    if (c === null || c === undefined) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

function status(text, isError) {
  const box = document.getElementById('status');
  box.textContent = text || '';
  box.classList.toggle('error', Boolean(isError));
}

function authHeaders() {
  const token = document.getElementById('token').value.trim();
  return token ? { Authorization: 'Bearer ' + token } : {};
}

class ApiError extends Error {
  constructor(httpStatus, body) {
    super(body && body.message ? body.message : 'HTTP ' + httpStatus);
    this.httpStatus = httpStatus;
    this.code = body && body.status;
  }
}

async function call(method, request) {
  const res = await fetch('/v1/query/' + method, {
    method: 'POST',
    headers: Object.assign({ 'Content-Type': 'application/json' }, authHeaders()),
    body: JSON.stringify(request || {}),
  });
  const body = await res.json().catch(() => null);
  if (!res.ok) throw new ApiError(res.status, body);
  return body;
}

async function download(method, request, format) {
  const res = await fetch('/v1/export/' + method + '.' + format, {
    method: 'POST',
    headers: Object.assign({ 'Content-Type': 'application/json' }, authHeaders()),
    body: JSON.stringify(request),
  });
  if (!res.ok) throw new ApiError(res.status, await res.json().catch(() => null));
  const disposition = res.headers.get('Content-Disposition') || '';
  const match = /filename="([^"]+)"/.exec(disposition);
  const url = URL.createObjectURL(await res.blob());
  const a = el('a', { href: url, download: match ? match[1] : method + '.' + format });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

function regionName(code) {
  const r = state.regions[code];
  return r ? r[0] : code || '未知地区';
}

function fmt(value) {
  if (value === undefined || value === null || value === '') return '';
  const n = Number(value);
  return Number.isFinite(n) ? n.toLocaleString('zh-CN', { maximumFractionDigits: 4 }) : String(value);
}

function hashParams() { return new URLSearchParams(location.hash.replace(/^#/, '')); }

function setHash(params) {
  const next = '#' + params.toString();
  if (location.hash === next) route(); else location.hash = next;
}

function fillSelect(select, options, value) {
  select.replaceChildren(...options.map(([v, label]) => el('option', { value: v }, label)));
  if (value !== undefined && value !== null) select.value = value;
}

function table(node, columns, rows) {
  node.replaceChildren(
    el('thead', {}, el('tr', {}, ...columns.map((c) => el('th', {}, c)))),
    el('tbody', {}, ...rows.map((r) => el('tr', {}, ...r.map((cell) =>
      typeof cell === 'number' ? el('td', { class: 'num' }, fmt(cell)) : el('td', {}, cell ?? '')))))
  );
}

function chartOf(id) {
  const node = document.getElementById(id);
  return echarts.getInstanceByDom(node) || echarts.init(node, null, { renderer: 'canvas' });
}

function metricName(key) {
  const m = state.metrics.find((x) => x.key === key);
  return m ? m.nameZh : key;
}

// The units a metric was written in, most frequent first (plus "any").
function fillUnits(form, metricKey, value) {
  const m = state.metrics.find((x) => x.key === metricKey);
  const units = m ? m.units.map((u) => [u.unit, u.unit + ' (' + u.count + ')']) : [];
  fillSelect(form.elements.unit, [['', '(唯一单位)'], ...units], value || '');
}

// The metrics with stored figures, by Chinese name; the unit list follows the choice.
function fillMetrics(form) {
  const shown = state.metrics.filter((m) => Number(m.count) > 0 && m.key);
  fillSelect(form.elements.metric, shown.map((m) => [m.key, m.nameZh + ' · ' + m.key + ' (' + m.count + ')']));
}

function fail(err) {
  status(err instanceof ApiError ? '查询失败 (' + err.httpStatus + '): ' + err.message : String(err), true);
}

// ---- Rank ----------------------------------------------------------------

function rankRequest(p) {
  const kind = p.get('kind') ?? 'DOCUMENT_KIND_GOVERNMENT_WORK_REPORT';
  return {
    metricKey: p.get('metric') || 'economy.gdp',
    year: Number(p.get('year') || new Date().getFullYear()),
    k: Number(p.get('k') || 25),
    options: {
      figures: p.get('figures') || 'METRIC_FIGURES_TARGET_CHANGES',
      unit: p.get('unit') || '',
      documentKinds: kind ? [kind] : [],
    },
  };
}

async function showRank(p) {
  const form = document.getElementById('rank-form');
  const request = rankRequest(p);
  form.elements.kind.value = request.options.documentKinds[0] || '';
  form.elements.metric.value = request.metricKey;
  fillUnits(form, request.metricKey, request.options.unit);
  form.elements.year.value = request.year;
  form.elements.figures.value = request.options.figures;
  form.elements.k.value = request.k;
  state.last.rank = ['Rank', request];
  status('查询中…');
  const reply = await call('Rank', request);
  const names = reply.regions.map((r) => regionName(r.regionCode));
  const values = reply.regions.map((r) => r.value);
  const title = metricName(reply.metricKey) + ' · ' + reply.year + '年 · ' +
    FIGURES.find((f) => f[0] === request.options.figures)[1] + (reply.unit ? ' (' + reply.unit + ')' : '');
  const chart = chartOf('rank-chart');
  chart.setOption({
    title: { text: title, left: 'center' },
    tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
    grid: { left: 60, right: 30, bottom: 90 },
    xAxis: { type: 'category', data: names, axisLabel: { rotate: 45, interval: 0 } },
    yAxis: { type: 'value', name: reply.unit },
    series: [{ type: 'bar', data: values, itemStyle: { color: '#c0392b' },
               label: { show: true, position: 'top', formatter: (d) => fmt(d.value) } }],
  }, true);
  table(document.getElementById('rank-table'), ['名次', '地区', '省份', '数值', '单位', '依据指标数'],
    reply.regions.map((r) => [Number(r.rank), regionName(r.regionCode), regionName(r.provinceCode),
                              Number(r.value), reply.unit, Number(r.count)]));
  status(reply.regions.length ? '共 ' + reply.regionsRanked + ' 个地区有此数据' :
    '没有地区有此数据: 换一个年份、数据类型或报告类型试试');
}

// ---- Trend ---------------------------------------------------------------

async function showTrend(p) {
  const form = document.getElementById('trend-form');
  const metric = p.get('metric') || 'economy.gdp';
  const shape = p.get('shape') || 'CHANGES';
  const kind = p.get('kind') ?? 'DOCUMENT_KIND_GOVERNMENT_WORK_REPORT';
  const unit = p.get('unit') || '';
  const codes = (p.get('regions') || '').split(',').filter(Boolean);
  form.elements.kind.value = kind;
  form.elements.metric.value = metric;
  form.elements.shape.value = shape;
  fillUnits(form, metric, unit);
  for (const o of form.elements.regions.options) o.selected = codes.includes(o.value);
  if (!codes.length) { status('选择一个或几个地区'); return; }
  status('查询中…');
  const base = (figures, code) => ({ metricKey: metric, regionCode: code,
    options: { figures, unit, documentKinds: kind ? [kind] : [] } });
  const series = [];
  const rows = [];
  const years = new Set();
  let unitShown = unit;
  for (const code of codes) {
    for (const [figures, label, dashed] of [['METRIC_FIGURES_RESULT_' + shape, '实际', false],
                                            ['METRIC_FIGURES_TARGET_' + shape, '目标', true]]) {
      const reply = await call('TimeSeries', base(figures, code));
      if (!reply.points.length) continue;
      unitShown = unitShown || reply.unit;
      reply.points.forEach((pt) => {
        years.add(pt.year);
        rows.push([regionName(code), label, String(pt.year), Number(pt.value), reply.unit, Number(pt.count)]);
      });
      series.push({ name: regionName(code) + ' ' + label, type: 'line', connectNulls: true,
        lineStyle: { type: dashed ? 'dashed' : 'solid' }, symbol: dashed ? 'diamond' : 'circle', symbolSize: 8,
        data: reply.points.map((pt) => [String(pt.year), pt.value]) });
    }
  }
  const axis = [...years].sort().map(String);
  chartOf('trend-chart').setOption({
    title: { text: metricName(metric) + (unitShown ? ' (' + unitShown + ')' : ''), left: 'center' },
    tooltip: { trigger: 'axis' }, legend: { bottom: 0 },
    xAxis: { type: 'category', data: axis }, yAxis: { type: 'value', name: unitShown },
    series,
  }, true);
  table(document.getElementById('trend-table'), ['地区', '数据', '年份', '数值', '单位', '依据指标数'], rows);
  status(series.length ? '' : '这些地区没有此指标的数据');
}

// ---- Report reader -------------------------------------------------------

function describe(ind) {
  const q = ind.quantity || {};
  const period = ind.periodEnd ? (ind.periodStart && ind.periodStart !== ind.periodEnd ?
    ind.periodStart + '–' + ind.periodEnd : String(ind.periodEnd)) : '';
  return [
    ['原文', ind.text], ['数值', fmt(q.value) + (q.qualifier === 'QUALIFIER_RANGE' ? ' (' + fmt(q.low) + '–' + fmt(q.high) + ')' : '')],
    ['单位', q.unit + (q.unitWritten && q.unitWritten !== q.unit ? ' (原文 ' + q.unitWritten + ')' : '')],
    ['限定', QUALIFIERS[q.qualifier] || ''], ['变化', CHANGES[ind.change] || ''],
    ['期间', period], ['目标', ind.isTarget ? '是 (目标值)' : '否 (实际值)'],
    ['主题', ind.subject], ['指标键', ind.metricKey || '(未归类)'],
    ['指标名', ind.metricKey ? metricName(ind.metricKey) : ''], ['章节', ind.sectionId],
    ['置信度', fmt(ind.confidence)], ['句子', ind.sentence], ['ID', ind.indicatorId],
  ];
}

// Shows the figures of `mark` (several when one written figure measures several subjects).
function selectFigure(mark, inds) {
  document.querySelectorAll('mark.fig.selected').forEach((m) => m.classList.remove('selected'));
  mark.classList.add('selected');
  const detail = document.getElementById('reader-detail');
  detail.replaceChildren(el('h3', {}, '指标详情'), ...inds.map((ind) =>
    el('dl', { class: 'figure-detail', dataset: { seq: String(ind.seq || 0) } },
      ...describe(ind).flatMap(([k, v]) => [el('dt', {}, k), el('dd', { dataset: { field: k } }, v)]))));
}

async function showReader(p) {
  const select = document.getElementById('reader-reports');
  const id = p.get('report') || (state.reports[0] && state.reports[0].reportId);
  if (!id) { status('还没有报告入库: 先用 zhibiao ingest 导入'); return; }
  select.value = id;
  status('读取报告…');
  const { report } = await call('GetReport', { reportId: id });
  state.last.reader = ['GetReport', { reportId: id }];
  const chars = Array.from(report.normalizedText);  // offsets are code points
  const byStart = [...report.indicators].sort((a, b) => Number(a.charBegin) - Number(b.charBegin));
  const meta = report.meta;
  const article = document.getElementById('reader-text');
  const parts = [el('h2', {}, meta.title || '(无标题)'),
    el('p', { class: 'meta' }, [regionName(meta.region.code), meta.reportYear ? meta.reportYear + '年' : '',
      KINDS.find((k) => k[0] === meta.kind)?.[1] || '', meta.publishedDate, '共 ' + report.indicators.length + ' 个指标']
      .filter(Boolean).join(' · '))];
  let next = 0;  // first indicator not yet placed
  let wanted = null;
  // The sections, and between them any text no section holds (a title line
  // the parser did not take as the title): the reader shows every character.
  const blocks = [];
  let covered = 0;
  const sections = [...report.sections].sort((a, b) => Number(a.charBegin) - Number(b.charBegin));
  for (const section of sections) {
    if (Number(section.charBegin) > covered) blocks.push({ charBegin: covered, charEnd: section.charBegin, level: 0, sectionId: '' });
    blocks.push(section);
    covered = Math.max(covered, Number(section.charEnd));
  }
  if (chars.length > covered) blocks.push({ charBegin: covered, charEnd: chars.length, level: 0, sectionId: '' });
  for (const section of blocks) {
    const begin = Number(section.charBegin);
    const end = Number(section.charEnd);
    // A section's text starts with its heading line: shown as a heading when it stands alone.
    let lineEnd = chars.indexOf('\n', begin);
    if (lineEnd < 0 || lineEnd > end) lineEnd = end;
    const headingEnd = section.heading && section.sectionId !== '0' && lineEnd > begin &&
      lineEnd - begin <= 80 ? lineEnd : begin;
    const bodyStart = headingEnd > begin && chars[headingEnd] === '\n' ? headingEnd + 1 : headingEnd;
    const body = el('div', { class: 'section level-' + section.level, dataset: { section: section.sectionId } });
    const heading = el('div', { class: 'heading' });
    if (headingEnd > begin) body.append(heading);
    const text = (from, to) => {
      if (from < headingEnd) heading.append(chars.slice(from, Math.min(to, headingEnd)).join(''));
      if (to > bodyStart) body.append(chars.slice(Math.max(from, bodyStart), to).join(''));
    };
    let cursor = begin;
    let last = null;  // the mark placed last and its figures
    while (next < byStart.length && Number(byStart[next].charBegin) < begin) next++;  // outside every section
    while (next < byStart.length && Number(byStart[next].charEnd) <= end) {
      const ind = byStart[next++];
      const b = Number(ind.charBegin);
      const e = Number(ind.charEnd);
      const seq = String(ind.seq || 0);
      if (b < cursor) {  // the same written figure as the one before: one mark, several figures
        if (last) {
          last.inds.push(ind);
          last.mark.dataset.seqs += ' ' + seq;
          if (seq === p.get('figure')) wanted = [last.mark, last.inds];
        }
        continue;
      }
      text(cursor, b);
      const mark = el('mark', { class: 'fig' + (ind.isTarget ? ' target' : ''), tabindex: '0',
        dataset: { seq, seqs: seq }, title: ind.subject + ': ' + ind.text }, chars.slice(b, e).join(''));
      const current = { mark, inds: [ind] };
      mark.addEventListener('click', () => {
        const params = hashParams();
        params.set('figure', seq);
        history.replaceState(null, '', '#' + params.toString());
        selectFigure(mark, current.inds);
      });
      if (seq === p.get('figure')) wanted = [mark, current.inds];
      (b < headingEnd ? heading : body).append(mark);
      cursor = e;
      last = current;
    }
    text(cursor, end);
    parts.push(body);
  }
  article.replaceChildren(...parts);
  document.getElementById('reader-detail').replaceChildren(el('p', { class: 'hint' }, '点击高亮的数字查看它的来源与含义。'));
  if (wanted) { selectFigure(...wanted); wanted[0].scrollIntoView({ block: 'center' }); }
  status('');
}

// ---- Search --------------------------------------------------------------

function highlighted(sentence, figure, words) {
  const chars = Array.from(sentence || '');
  const spans = [[figure, 'fig'], ...(words || []).map((w) => [w, 'word'])]
    .filter(([s]) => s && Number(s.end) > Number(s.begin))
    .map(([s, c]) => [Number(s.begin), Number(s.end), c]).sort((a, b) => a[0] - b[0]);
  const out = [];
  let cursor = 0;
  for (const [b, e, c] of spans) {
    if (b < cursor) continue;
    out.push(chars.slice(cursor, b).join(''), el('mark', { class: c }, chars.slice(b, e).join('')));
    cursor = e;
  }
  out.push(chars.slice(cursor).join(''));
  return out;
}

function searchRequest(p, pageToken) {
  const kind = p.get('kind') ?? '';
  return { words: (p.get('words') || '').split(/\s+/).filter(Boolean),
           filter: { documentKinds: kind ? [kind] : [] }, pageSize: 50, pageToken: pageToken || '' };
}

async function showSearch(p, pageToken) {
  const form = document.getElementById('search-form');
  form.elements.words.value = p.get('words') || '';
  form.elements.kind.value = p.get('kind') ?? '';
  const list = document.getElementById('search-results');
  const more = document.getElementById('search-more');
  if (!pageToken) list.replaceChildren();
  const request = searchRequest(p, pageToken);
  if (!request.words.length) { status('输入要检索的词'); more.hidden = true; return; }
  state.last.search = ['SearchIndicators', Object.assign({}, request, { pageToken: '' })];
  status('检索中…');
  const reply = await call('SearchIndicators', request);
  for (const hit of reply.hits) {
    const ind = hit.indicator;
    const link = new URLSearchParams({ view: 'reader', report: ind.reportId, figure: String(ind.seq || 0) });
    list.append(el('li', {},
      el('div', { class: 'where' }, [hit.region.name || regionName(hit.region.code), hit.reportYear + '年', hit.title].join(' · ')),
      el('div', {}, el('strong', {}, ind.subject), ' ', ind.text,
        ind.metricKey ? el('span', { class: 'hint' }, ' · ' + metricName(ind.metricKey)) : null),
      el('div', { class: 'sentence' }, ...highlighted(ind.sentence, hit.figure, hit.words)),
      el('a', { href: '#' + link.toString(), class: 'open' }, '在报告中查看')));
  }
  more.hidden = !reply.nextPageToken;
  more.onclick = () => showSearch(p, reply.nextPageToken).catch(fail);
  status(list.children.length ? '找到 ' + list.children.length + (reply.nextPageToken ? '+' : '') + ' 条' : '没有找到');
}

// ---- routing and start-up ------------------------------------------------

const VIEWS = { rank: showRank, trend: showTrend, reader: showReader, search: showSearch };

async function route() {
  const p = hashParams();
  const view = VIEWS[p.get('view')] ? p.get('view') : 'rank';
  for (const name of Object.keys(VIEWS)) document.getElementById('view-' + name).hidden = name !== view;
  document.querySelectorAll('nav a').forEach((a) => a.classList.toggle('active', a.dataset.view === view));
  document.body.dataset.view = view;
  document.body.dataset.ready = 'loading';
  try {
    await VIEWS[view](p);
    document.body.dataset.ready = 'done';
  } catch (err) {
    fail(err);
    document.body.dataset.ready = 'error';
  }
}

function formToHash(form, view, fields) {
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const p = new URLSearchParams({ view });
    for (const f of fields) {
      const input = form.elements[f];
      const value = input.multiple ? [...input.selectedOptions].map((o) => o.value).join(',') : input.value;
      p.set(f, value);
    }
    setHash(p);
  });
}

async function loadReports() {
  const reports = [];
  let pageToken = '';
  do {
    const reply = await call('ListReports', { pageSize: 1000, pageToken });
    reports.push(...reply.reports);
    pageToken = reply.nextPageToken;
  } while (pageToken && reports.length < 20000);
  reports.sort((a, b) => (a.region.code || '').localeCompare(b.region.code || '') || b.reportYear - a.reportYear);
  state.reports = reports;
  fillSelect(document.getElementById('reader-reports'), reports.map((r) =>
    [r.reportId, [regionName(r.region.code), r.reportYear, r.title].filter(Boolean).join(' · ')]));
  const regions = new Map();
  for (const r of reports) if (r.region.code) regions.set(r.region.code, regionName(r.region.code));
  fillSelect(document.getElementById('trend-regions'), [...regions].map(([code, name]) => [code, name + ' ' + code]));
}

async function start() {
  const token = document.getElementById('token');
  token.value = sessionStorage.getItem('zhibiao-token') || '';
  document.getElementById('token-form').addEventListener('submit', (event) => event.preventDefault());
  token.addEventListener('change', () => { sessionStorage.setItem('zhibiao-token', token.value.trim()); init(); });
  document.querySelectorAll('.kind-select').forEach((s) => fillSelect(s, KINDS, s.closest('#search-form') ? '' : KINDS[0][0]));
  document.querySelectorAll('.figures-select').forEach((s) => fillSelect(s, FIGURES));
  formToHash(document.getElementById('rank-form'), 'rank', ['kind', 'metric', 'year', 'figures', 'unit', 'k']);
  formToHash(document.getElementById('trend-form'), 'trend', ['kind', 'metric', 'shape', 'unit', 'regions']);
  formToHash(document.getElementById('reader-form'), 'reader', ['report']);
  formToHash(document.getElementById('search-form'), 'search', ['words', 'kind']);
  document.querySelectorAll('[data-export]').forEach((button) => button.addEventListener('click', () => {
    const last = state.last[button.dataset.for];
    if (!last) { status('先查询, 再下载'); return; }
    download(last[0], last[1], button.dataset.export).then(() => status('已下载'), fail);
  }));
  window.addEventListener('hashchange', route);
  window.addEventListener('resize', () => ['rank-chart', 'trend-chart'].forEach((id) => {
    const chart = echarts.getInstanceByDom(document.getElementById(id));
    if (chart) chart.resize();
  }));
  for (const id of ['rank-form', 'trend-form']) {
    const form = document.getElementById(id);
    form.elements.metric.addEventListener('change', () => fillUnits(form, form.elements.metric.value));
  }
  await init();
}

async function init() {
  try {
    const regions = await fetch('/v1/regions').then((r) => r.json());
    state.regions = regions;
    const metrics = await call('ListMetrics', {});
    state.metrics = metrics.metrics;
    ['rank-form', 'trend-form'].forEach((id) => fillMetrics(document.getElementById(id)));
    await loadReports();
  } catch (err) {
    fail(err);
    document.body.dataset.ready = 'error';
    return;
  }
  await route();
}

document.addEventListener('DOMContentLoaded', start);
