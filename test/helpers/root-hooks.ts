// Root hooks (loaded by .mocharc.cjs for every run, one file or all): after the last test, no
// process a test started may still be running, whatever the test did or failed to do.
import { stopAll } from './processes';

export const mochaHooks = {
  async afterAll(this: Mocha.Context): Promise<void> {
    this.timeout(30_000);
    await stopAll();
  },
};
