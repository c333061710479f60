// isolated-vm on Node 20 needs --no-node-snapshot in every process that creates isolates.
// `npx mocha test/x.test.js` runs just that file; plain `mocha` (npm test) runs the whole suite.
const explicitFiles = process.argv.slice(2).some((a) => /\.test\.js$/.test(a));

module.exports = {
  ...(explicitFiles ? {} : { spec: ['test/**/*.test.js'] }),
  'node-option': ['no-node-snapshot'],
  timeout: 30000,
  slow: 2000,
  exit: true,
};
