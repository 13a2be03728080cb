// vitest projects: fast unit suites beside the code; the integration suites under test/ that boot real
// VMs under QEMU (one VM per suite, one file at a time, generous timeouts); and the test/ suites that boot
// none (fakes, stand-ins, Chromium, the image builder), one at a time beside the VM suites.
import { defineConfig } from 'vitest/config';

/** test/ suites that start no VM: they run in their own lane, so they do not wait for the VM suites. */
const NO_VM = [
  'test/bench/bootTimeline.test.ts',
  'test/dashboard/dashboardCli.test.ts',
  'test/drivers/bridgeRestart.test.ts',
  'test/drivers/dockerEndpointStandIn.test.ts',
  'test/drivers/dockerPipeBridge.test.ts',
  'test/drivers/hyperkitFake.test.ts',
  'test/drivers/hyperkitSharesFake.test.ts',
  'test/drivers/hypervDriverFake.test.ts',
  'test/drivers/hypervFake.test.ts',
  'test/drivers/vmManagerHyperkitFake.test.ts',
  'test/drivers/vmManagerHypervFake.test.ts',
  'test/guestLink/agentExec.test.ts',
  'test/guestLink/agentInterop.test.ts',
  'test/image/imageBuilder.test.ts',
  'test/terminal/terminalEscapes.test.ts',
  'test/terminal/terminalView.test.ts',
];

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
          exclude: NO_VM,
          testTimeout: 600_000,
          hookTimeout: 600_000,
          fileParallelism: false,
          pool: 'forks',
        },
      },
      {
        test: {
          name: 'host',
          include: NO_VM,
          testTimeout: 600_000,
          hookTimeout: 600_000,
          fileParallelism: false,
          pool: 'forks',
        },
      },
    ],
  },
});
