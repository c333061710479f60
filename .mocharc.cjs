// isolated-vm on Node 20 needs --no-node-snapshot in every process that creates isolates.
module.exports = {
  spec: ['test/**/*.test.js'],
  'node-option': ['no-node-snapshot'],
  timeout: 30000,
  slow: 2000,
  exit: true,
};
