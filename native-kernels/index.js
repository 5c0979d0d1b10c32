'use strict';
// Loads the compiled kernels; a missing build gets a message that says how to make it.
const path = require('node:path');

const file = path.join(__dirname, 'build', 'Release', 'upframe_kernels.node');
try {
  module.exports = require(file);
} catch (error) {
  const reason = error && error.message ? error.message : String(error);
  throw new Error(
    `Upframe's native kernels are not built (${reason}). Run \`npm run setup\` (or \`npm rebuild @upframe/native-kernels\`); ` +
      'it needs a C compiler and Python 3 for node-gyp (Debian/Ubuntu: sudo apt-get install build-essential python3).',
  );
}
