// vitest projects: fast unit suites beside the code, and the integration suites under test/ — those that
// boot real VMs under QEMU (one VM per suite, generous timeouts) and those that boot none (fakes,
// stand-ins, Chromium, the image builder) — run two files at a time.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['helpers/**/*.test.ts', 'vm-images/builder/**/*.test.ts', 'electron/**/*.test.ts', 'build/**/*.test.ts', 'renderer/**/*.test.ts', 'renderer/**/*.test.tsx'],
          testTimeout: 30_000,
          // vitest's default is one worker fewer than the cores: one, on a 2-core machine.
          maxWorkers: 2,
        },
      },
      {
        test: {
          // Two suites at a time: a VM suite keeps its guest's one TCG thread busy and little else, so two
          // side by side ran all of them in 1,422 s, where one at a time their times added up to 2,329 s
          // (README). vitest 4 runs one project's files before the next project's, so the suites
          // that boot no VM are in this project too and fill the gaps instead of waiting for the end.
          name: 'integration',
          include: ['test/**/*.test.ts'],
          testTimeout: 600_000,
          hookTimeout: 600_000,
          maxWorkers: 2,
          pool: 'forks',
        },
      },
    ],
  },
});
