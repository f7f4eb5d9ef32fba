#!/usr/bin/env node
'use strict';
// The one binary: `csmcp serve` runs the server, the other commands work on the same store.
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const entry = join(__dirname, '..', 'dist', 'src', 'cli', 'main.js');
if (!existsSync(entry)) {
  process.stderr.write(`csmcp is not built: run \`npm ci\` (it builds) or \`npm run build\` in ${join(__dirname, '..')}\n`);
  process.exit(1);
}
require(entry).main(process.argv);
