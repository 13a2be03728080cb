// vitest projects: fast unit suites beside the code, and the integration suites under test/ that
// boot real VMs under QEMU (one VM per suite, run one file at a time, generous timeouts).
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['helpers/**/*.test.ts', 'vm-images/builder/**/*.test.ts', 'electron/**/*.test.ts', 'build/**/*.test.ts', 'renderer/**/*.test.ts', 'renderer/**/*.test.tsx'],
          testTimeout: 30_000,
        },
      },
      {
        test: {
          name: 'vm',
          include: ['test/**/*.test.ts'],
          testTimeout: 600_000,
          hookTimeout: 600_000,
          fileParallelism: false,
          pool: 'forks',
        },
      },
    ],
  },
});
