#!/usr/bin/env node
// Example: node example.js ingest FILE | rank METRIC YEAR [FIGURES] | search WORD...
// Prints JSON; on failure prints "CODE: message" to stderr and exits 1 (2 on usage).
'use strict';

const { connect } = require('./zhibiao');

async function main(argv) {
  const [command, ...args] = argv;
  const usage = 'usage: example.js ingest FILE | rank METRIC YEAR [FIGURES] | search WORD...';
  if (!command || (command !== 'ingest' && command !== 'rank' && command !== 'search') || args.length === 0) {
    console.error(usage);
    return 2;
  }
  const zb = connect();
  try {
    let answer;
    if (command === 'ingest') answer = await zb.ingestFile(args[0]);
    if (command === 'rank') answer = await zb.rank({ metric: args[0], year: Number(args[1]), figures: args[2] || 'result_levels' });
    if (command === 'search') answer = await zb.search(args);
    console.log(JSON.stringify(answer, null, 2));
    return 0;
  } catch (error) {
    console.error(error.codeName ? `${error.codeName}: ${error.details}` : String(error));
    return 1;
  } finally {
    zb.close();
  }
}

main(process.argv.slice(2)).then((code) => { process.exitCode = code; });
