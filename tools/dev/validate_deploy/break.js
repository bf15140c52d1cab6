'use strict';
// Breaks a copy of deploy/ on purpose, for the negative self-checks of
// tools/dev/validate_deploy.sh:   node break.js MUTATION DEPLOY_DIR
// Each mutation is one mistake that some check must catch.

const fs = require('fs');
const path = require('path');
const YAML = require('yaml');

const [mutation, deployDir] = process.argv.slice(2);

// Edits the documents of one file; `edit` gets them and may return a new list.
function editFile(rel, edit) {
  const file = path.join(deployDir, rel);
  const docs = YAML.parseAllDocuments(fs.readFileSync(file, 'utf8'));
  const result = edit(docs) || docs;
  fs.writeFileSync(file, result.map((d) => d.toString()).join('---\n'));
}

function find(docs, kind, name) {
  const d = docs.find((x) => x.get('kind') === kind && x.getIn(['metadata', 'name']) === name);
  if (!d) throw new Error(`no ${kind}/${name}`);
  return d;
}

const container = ['spec', 'template', 'spec', 'containers', 0];

const mutations = {
  // A dashboard panel and an alert on metrics no service exports (a typo).
  'monitoring-unknown-metric': () => {
    const file = path.join(deployDir, 'monitoring/grafana-dashboard.json');
    const d = JSON.parse(fs.readFileSync(file, 'utf8'));
    d.panels[0].targets[0].expr = 'sum(rate(zhibiao_rpc_request_total[5m]))';
    fs.writeFileSync(file, JSON.stringify(d, null, 2));
    const rules = path.join(deployDir, 'monitoring/prometheus-rule.yaml');
    fs.writeFileSync(rules, fs.readFileSync(rules, 'utf8').replace('zhibiao_serving[2m]', 'zhibiao_servng[2m]'));
  },
  // The placeholder Secrets back in the base, where `kubectl apply -k` would
  // overwrite real ones.
  'k8s-secrets-in-base': () => {
    fs.copyFileSync(path.join(deployDir, 'k8s/overlays/example-secrets/secrets.yaml'), path.join(deployDir, 'k8s/secrets.yaml'));
    const file = path.join(deployDir, 'k8s/kustomization.yaml');
    const k = YAML.parseDocument(fs.readFileSync(file, 'utf8'));
    k.get('resources').add('secrets.yaml');
    fs.writeFileSync(file, k.toString());
  },
  // A string where the schema wants an integer.
  'k8s-schema-type': () => editFile('k8s/storage.yaml', (docs) => {
    find(docs, 'StatefulSet', 'storage').setIn(['spec', 'replicas'], 'three');
  }),
  // A misspelt field, which the API server would drop silently.
  'k8s-unknown-field': () => editFile('k8s/ingest.yaml', (docs) => {
    const d = find(docs, 'Deployment', 'ingest');
    d.setIn([...container, 'readinesProbe'], d.getIn([...container, 'readinessProbe']));
    d.deleteIn([...container, 'readinessProbe']);
  }),
  'k8s-no-limits': () => editFile('k8s/query.yaml', (docs) => {
    find(docs, 'Deployment', 'query').deleteIn([...container, 'resources', 'limits']);
  }),
  'k8s-no-hpa': () => editFile('k8s/query.yaml', (docs) => docs.filter((d) => d.get('kind') !== 'HorizontalPodAutoscaler')),
  // Storage's gRPC port opened to every pod of the namespace.
  'k8s-open-networkpolicy': () => editFile('k8s/networkpolicy.yaml', (docs) => {
    find(docs, 'NetworkPolicy', 'storage').setIn(['spec', 'ingress', 0, 'from'], YAML.parseDocument('[{podSelector: {}}]').contents);
  }),
  'k8s-run-as-root': () => editFile('k8s/storage.yaml', (docs) => {
    find(docs, 'StatefulSet', 'storage').setIn(['spec', 'template', 'spec', 'securityContext', 'runAsNonRoot'], false);
  }),
  // The backup job without retention, running two at once.
  'k8s-backup-no-retention': () => editFile('k8s/backup.yaml', (docs) => {
    const j = find(docs, 'CronJob', 'backup');
    const args = ['spec', 'jobTemplate', 'spec', 'template', 'spec', 'containers', 0, 'args'];
    j.setIn(args, YAML.parseDocument('[admin, checkpoint, /var/backups/zhibiao, --timestamped]').contents);
    j.setIn(['spec', 'concurrencyPolicy'], 'Allow');
  }),
  // The Ingress speaking plain HTTP to web's HTTPS port.
  'k8s-ingress-plain-backend': () => editFile('k8s/overlays/ingress/ingress.yaml', (docs) => {
    find(docs, 'Ingress', 'web').deleteIn(['metadata', 'annotations', 'nginx.ingress.kubernetes.io/backend-protocol']);
  }),
  'k8s-yaml-syntax': () => fs.appendFileSync(path.join(deployDir, 'k8s/namespace.yaml'), '  broken: [unclosed\n'),
  'compose-bad-key': () => editFile('compose/compose.yaml', (docs) => {
    docs[0].setIn(['services', 'ingest', 'healthcheck', 'tset'], 'CMD true');
  }),
  'compose-fixed-port': () => editFile('compose/compose.yaml', (docs) => {
    docs[0].setIn(['services', 'query', 'ports'], YAML.parseDocument('["7402:7402"]').contents);
    docs[0].setIn(['services', 'query', 'container_name'], 'query');
  }),
  // With TLS on, a probe of the plaintext health port that keeps the
  // ZHIBIAO_TLS_* variables it inherits would try TLS and always fail.
  'compose-tls-probe': () => editFile('compose/compose.tls.yaml', (docs) => {
    docs[0].setIn(['x-health', 'test'], YAML.parseDocument('["CMD", "zhibiao", "probe", "127.0.0.1:8081"]').contents);
  }),
  // Query given the shards in another order than ingest: reads would miss.
  'compose-storage-order': () => editFile('compose/compose.yaml', (docs) => {
    docs[0].setIn(['services', 'query', 'environment', 'ZHIBIAO_STORAGE'], 'storage-2:7410,storage-1:7410,storage-0:7410');
  }),
};

if (!mutations[mutation]) {
  console.error(`unknown mutation ${mutation}; one of ${Object.keys(mutations).join(', ')}`);
  process.exit(2);
}
mutations[mutation]();
