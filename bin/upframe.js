#!/usr/bin/env node
// The `upframe` command: a CommonJS shim over the built CLI in dist/.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const entry = path.join(__dirname, '..', 'dist', 'main', 'cli', 'upframe.js');
if (!fs.existsSync(entry)) {
  console.error('Upframe is not built yet: run `npm run setup` (or `npm run build`) first.');
  process.exit(1);
}
require(entry)
  .main(process.argv)
  .then((code) => {
    process.exitCode = code;
  });
