// A small zhibiao client for Node.js: loads proto/ at run time with
// @grpc/proto-loader and calls the suite with @grpc/grpc-js. Three calls an
// integration usually needs (ingest a file, rank, search); every failure is a
// ZhibiaoError carrying the gRPC status code and the service's message.
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');

const PROTO_DIR = process.env.ZHIBIAO_PROTO_DIR || path.join(__dirname, '..', '..', 'proto');

const KINDS = {
  rule_of_law: 'DOCUMENT_KIND_RULE_OF_LAW_REPORT',
  work_report: 'DOCUMENT_KIND_GOVERNMENT_WORK_REPORT',
  statistics: 'DOCUMENT_KIND_STATISTICAL_BULLETIN',
  other: 'DOCUMENT_KIND_OTHER',
};
const FIGURES = ['result_levels', 'result_changes', 'target_levels', 'target_changes'];

// A call the suite (or this client, for a bad argument) refused.
class ZhibiaoError extends Error {
  constructor(code, details) {
    const codeName = Object.keys(grpc.status).find((k) => grpc.status[k] === code) || String(code);
    super(`${codeName}: ${details}`);
    this.name = 'ZhibiaoError';
    this.code = code;          // numeric gRPC status code (grpc.status.UNAVAILABLE, ...)
    this.codeName = codeName;  // its name ("UNAVAILABLE")
    this.details = details;    // the service's message
  }
}

function invalidArgument(message) {
  return new ZhibiaoError(grpc.status.INVALID_ARGUMENT, message);
}

let loaded;
function services() {
  if (!loaded) {
    const definition = protoLoader.loadSync(['zhibiao/v1/ingest.proto', 'zhibiao/v1/query.proto'], {
      includeDirs: [PROTO_DIR],
      keepCase: true,   // proto field names, as in the CLI's --json
      longs: Number,    // counts and offsets fit a double
      enums: String,
      defaults: true,
      oneofs: true,
    });
    loaded = grpc.loadPackageDefinition(definition).zhibiao.v1;
  }
  return loaded;
}

// connect({query, ingest, token, tlsCa, timeoutMs}): addresses default to
// ZHIBIAO_QUERY_ADDR / ZHIBIAO_INGEST_ADDR (what `zhibiao up` writes to
// DATA_DIR/run/env), the token to the file ZHIBIAO_TOKEN_FILE names.
function connect(options = {}) {
  const v1 = services();
  const queryTarget = options.query || process.env.ZHIBIAO_QUERY_ADDR || '127.0.0.1:7402';
  const ingestTarget = options.ingest || process.env.ZHIBIAO_INGEST_ADDR || '127.0.0.1:7401';
  let token = options.token;
  if (token === undefined && process.env.ZHIBIAO_TOKEN_FILE) {
    token = fs.readFileSync(process.env.ZHIBIAO_TOKEN_FILE, 'utf8').trim();
  }
  const tlsCa = options.tlsCa || process.env.ZHIBIAO_TLS_CA;
  const credentials = tlsCa ? grpc.credentials.createSsl(fs.readFileSync(tlsCa)) : grpc.credentials.createInsecure();
  const channelOptions = {
    'grpc.service_config': JSON.stringify({ loadBalancingConfig: [{ round_robin: {} }] }),
    'grpc.max_receive_message_length': 64 << 20,
    'grpc.max_send_message_length': 64 << 20,
  };
  const query = new v1.QueryService(queryTarget, credentials, channelOptions);
  const ingest = new v1.IngestService(ingestTarget, credentials, channelOptions);
  const timeoutMs = options.timeoutMs || 30000;

  function call(client, method, request, ms = timeoutMs) {
    const metadata = new grpc.Metadata();
    if (token) metadata.set('authorization', `Bearer ${token}`);
    return new Promise((resolve, reject) => {
      client[method](request, metadata, { deadline: Date.now() + ms }, (error, reply) => {
        if (error) reject(new ZhibiaoError(error.code, error.details || error.message));
        else resolve(reply);
      });
    });
  }

  return {
    // Stores one file; hints (region_code, report_year, kind, issuer,
    // published_date, source_url, title) win over what the text says.
    async ingestFile(file, hints = {}) {
      const request = { content: fs.readFileSync(file), source_name: path.basename(file), hints: { ...hints } };
      if (hints.kind !== undefined) {
        if (!(hints.kind in KINDS)) throw invalidArgument(`hints.kind: "${hints.kind}" is not one of ${Object.keys(KINDS).join(', ')}`);
        request.hints.kind = KINDS[hints.kind];
      }
      const reply = await call(ingest, 'Ingest', request, Math.max(timeoutMs, 120000));
      return {
        report_id: reply.report_id,
        status: reply.outcome.replace('INGEST_OUTCOME_', '').toLowerCase(),
        indicators: reply.indicator_count,
        region_code: reply.meta.region ? reply.meta.region.code : '',
        region: reply.meta.region ? reply.meta.region.name : '',
        year: reply.meta.report_year,
        title: reply.meta.title,
      };
    },

    // The top k regions for a metric in a year: [{rank, region_code, value, count}], unit and more beside.
    async rank({ metric, year, k = 10, bottom = false, figures = 'result_levels', unit = '', kind, province }) {
      if (!FIGURES.includes(figures)) throw invalidArgument(`figures: "${figures}" is not one of ${FIGURES.join(', ')}`);
      const options = { figures: `METRIC_FIGURES_${figures.toUpperCase()}`, unit, document_kinds: [] };
      if (kind !== undefined) {
        if (!(kind in KINDS)) throw invalidArgument(`kind: "${kind}" is not one of ${Object.keys(KINDS).join(', ')}`);
        options.document_kinds.push(KINDS[kind]);
      }
      const request = { metric_key: metric, year, k, bottom, options, province_codes: province ? [province] : [] };
      const reply = await call(query, 'Rank', request);
      return {
        metric: reply.metric_key, year: reply.year, unit: reply.unit, aggregate: reply.aggregate,
        regions_ranked: reply.regions_ranked,
        regions: reply.regions.map((r) => ({ rank: r.rank, region_code: r.region_code, value: r.value, count: r.count })),
      };
    },

    // The regions with stored figures: [{region_code, region, province_code, reports, figures, years}].
    async regions({ year, kind, metric, province } = {}) {
      const filter = { years: year ? [year] : [], metric_keys: metric ? [metric] : [],
        province_codes: province ? [province] : [], document_kinds: [] };
      if (kind !== undefined) {
        if (!(kind in KINDS)) throw invalidArgument(`kind: "${kind}" is not one of ${Object.keys(KINDS).join(', ')}`);
        filter.document_kinds.push(KINDS[kind]);
      }
      const reply = await call(query, 'ListRegions', { filter });
      return reply.regions.map((r) => ({
        region_code: r.region_code, region: r.region_name, province_code: r.province_code,
        reports: r.report_count, figures: Number(r.figure_count), years: r.years,
      }));
    },

    // Indicators whose subject holds every word: [{region, year, title, text, value, unit, subject, sentence}].
    async search(words, { limit = 50, metric, region, year } = {}) {
      const filter = { metric_keys: metric ? [metric] : [], region_codes: region ? [region] : [], years: year ? [year] : [] };
      const reply = await call(query, 'SearchIndicators', { words, filter, page_size: limit });
      return reply.hits.map((h) => ({
        indicator_id: h.indicator.indicator_id, region_code: h.region ? h.region.code : '',
        region: h.region ? h.region.name : '', year: h.report_year, title: h.title, text: h.indicator.text,
        value: h.indicator.quantity.value, unit: h.indicator.quantity.unit, subject: h.indicator.subject,
        sentence: h.indicator.sentence,
      }));
    },

    close() {
      query.close();
      ingest.close();
    },
  };
}

module.exports = { connect, ZhibiaoError, KINDS, FIGURES, status: grpc.status };
