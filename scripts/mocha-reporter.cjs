// Mocha reporter for CI: the human-readable spec output, plus mocha's JSON
// report written to $SPARQ_MOCHA_JSON for scripts/mocha-summary.mjs.
'use strict';
const Mocha = require('mocha');

class SpecAndJson {
  constructor(runner, options) {
    new Mocha.reporters.Spec(runner, options);
    const output = process.env.SPARQ_MOCHA_JSON;
    if (output) new Mocha.reporters.JSON(runner, { ...options, reporterOption: { output } });
  }
}

module.exports = SpecAndJson;
