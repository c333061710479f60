// Tests are TypeScript (test/**/*.ts). `npm test` first compiles them with the sources into
// dist/ (pretest: scripts/build.mjs --tests), and mocha runs the compiled dist/test/ files, so a
// run never sees a stale build. `npm test -- dist/test/x.test.js` runs just that file.
// isolated-vm on Node 20 needs --no-node-snapshot in every process that creates isolates.
const explicitFiles = process.argv.slice(2).some((a) => !a.startsWith('-') && /\.js$/.test(a));

module.exports = {
  ...(explicitFiles ? {} : { spec: ['dist/test/**/*.test.js'] }),
  // Stops every process a test started, even one a timed-out test left running.
  require: ['dist/test/helpers/root-hooks.js'],
  'node-option': ['no-node-snapshot', 'enable-source-maps'],
  timeout: 30000,
  slow: 2000,
  exit: true,
};
