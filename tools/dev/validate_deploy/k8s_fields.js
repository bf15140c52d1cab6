'use strict';
// Unknown-field check for Kubernetes objects ("strict" validation).
//
// The validators of kubernetes-models follow the Kubernetes OpenAPI schemas,
// which allow fields they do not name, so a misspelt field (readinesProbe)
// passes them and the API server would drop it silently. This module reads
// the field names of every type from the package's TypeScript declarations
// (one interface per type, "name"?: Type per field) and reports every field of
// an object that its type does not declare.

const fs = require('fs');
const path = require('path');

const interfaces = new Map(); // .d.ts file -> {props, open} or null (a type alias)

function packageDir(name, fromDir) {
  return path.dirname(require.resolve(`${name}/package.json`, { paths: [fromDir] }));
}

function resolveImport(fromFile, spec) {
  if (spec.startsWith('.')) return path.resolve(path.dirname(fromFile), `${spec}.d.ts`);
  const parts = spec.split('/');
  const pkg = spec.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
  const rest = parts.slice(pkg.split('/').length).join('/');
  return path.join(packageDir(pkg, path.dirname(fromFile)), `${rest}.d.ts`);
}

// Splits `text` at `sep` characters that are not nested in <>, {}, () or [].
function splitTop(text, sep) {
  const out = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; ++i) {
    const c = text[i];
    if ('<{(['.includes(c)) ++depth;
    else if ('>})]'.includes(c)) --depth;
    else if (c === sep && depth === 0) {
      out.push(text.slice(start, i));
      start = i + 1;
    }
  }
  out.push(text.slice(start));
  return out.map((s) => s.trim()).filter(Boolean);
}

function typeOf(expr, file, imports) {
  expr = expr.trim();
  let m = expr.match(/^Array<([\s\S]*)>$/);
  if (m) return { array: typeOf(m[1], file, imports) };
  m = expr.match(/^\{\s*\[key: string\]:\s*([\s\S]*?);?\s*\}$/);
  if (m) return { map: typeOf(m[1], file, imports) };
  if (/^\w+$/.test(expr) && imports[expr]) return { ref: resolveImport(file, imports[expr]) };
  return { any: true }; // string, number, boolean, literal unions, unions of types
}

function load(file) {
  if (interfaces.has(file)) return interfaces.get(file);
  interfaces.set(file, null);
  if (!fs.existsSync(file)) return null;
  const src = fs.readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '');
  const imports = {};
  for (const m of src.matchAll(/import \{([^}]*)\} from "([^"]+)";/g)) {
    for (const name of m[1].split(',').map((s) => s.trim()).filter(Boolean)) {
      imports[name.split(/\s+as\s+/).pop()] = m[2];
    }
  }
  const head = src.match(/export interface (\w+)(?: extends ([^{]+))? \{/);
  if (!head) return null; // a type alias (Quantity, IntOrString, Time): a scalar
  let depth = 1;
  let i = head.index + head[0].length;
  const bodyStart = i;
  for (; i < src.length && depth > 0; ++i) {
    if (src[i] === '{') ++depth;
    else if (src[i] === '}') --depth;
  }
  const body = src.slice(bodyStart, i - 1);
  const result = { props: {}, open: false };
  for (const entry of splitTop(body, ';')) {
    const p = entry.match(/^"([^"]+)"\??:\s*([\s\S]*)$/);
    if (p) result.props[p[1]] = typeOf(p[2], file, imports);
    else if (entry.startsWith('[')) result.open = true; // index signature: any field
  }
  for (const base of (head[2] || '').split(',').map((s) => s.trim()).filter(Boolean)) {
    if (base === 'TypeMeta') {
      result.props.apiVersion = { any: true };
      result.props.kind = { any: true };
    } else if (imports[base]) {
      const inherited = load(resolveImport(file, imports[base]));
      if (inherited) Object.assign(result.props, inherited.props);
    } else {
      result.open = true;
    }
  }
  interfaces.set(file, result);
  return result;
}

function walk(value, type, where, errors) {
  if (!type || type.any || value === null || typeof value !== 'object') return;
  if (type.array) {
    if (Array.isArray(value)) value.forEach((v, i) => walk(v, type.array, `${where}[${i}]`, errors));
    return;
  }
  if (type.map) {
    for (const [k, v] of Object.entries(value)) walk(v, type.map, `${where}.${k}`, errors);
    return;
  }
  const iface = load(type.ref);
  if (!iface || iface.open || Array.isArray(value)) return;
  for (const [k, v] of Object.entries(value)) {
    if (!(k in iface.props)) errors.push(`${where ? `${where}.` : ''}${k}: unknown field`);
    else walk(v, iface.props[k], where ? `${where}.${k}` : k, errors);
  }
}

// The unknown fields of `object` (a whole manifest document), as messages.
// Throws when the package has no declaration for its apiVersion and kind.
function unknownFields(object, modelsDir) {
  const file = path.join(modelsDir, object.apiVersion, `${object.kind}.d.ts`);
  if (!fs.existsSync(file)) throw new Error(`no type declarations for ${object.apiVersion} ${object.kind}`);
  const errors = [];
  walk(object, { ref: file }, '', errors);
  return errors;
}

module.exports = { unknownFields };
