// electron-builder configuration for `npm run dist`: macOS dmg (x64, arm64), Windows nsis, Linux
// AppImage and deb; the app's fuses (T-39); berthd, the CLI, the VM image, renderer and icons as resources.
// Where each resource lands must match electron/main/appLocations.ts (build/electronBuilderConfig.test.ts checks).

/** The deb's dependencies: electron-builder's own defaults for Electron, plus QEMU for berthd. */
const debDepends = ['libgtk-3-0', 'libnotify4', 'libnss3', 'libxss1', 'libxtst6', 'xdg-utils', 'libatspi2.0-0', 'libuuid1', 'libsecret-1-0', 'qemu-system-x86', 'qemu-utils'];

/** @type {import('app-builder-lib').Configuration} */
const config = {
  appId: 'dev.berth.desktop',
  productName: 'Berth',
  copyright: 'Copyright © Berth contributors',
  directories: { output: 'release', buildResources: 'build' },
  icon: 'build/icon.png',

  // Inside app.asar: the bundled main process and preload only (scripts/bundle.mjs). Everything they
  // import is in the bundle, so no node_modules go in and nothing is rebuilt for Electron.
  files: ['dist/electron/main.cjs', 'dist/electron/preload.cjs', 'package.json', '!node_modules/**/*'],
  extraMetadata: { main: 'dist/electron/main.cjs' },
  npmRebuild: false,
  asar: true,

  // Beside app.asar, in process.resourcesPath: what runs as its own process or is read as files.
  extraResources: [
    // berthd and the `berth` CLI, one file each; node-pty (native, N-API) beside them for host terminals.
    { from: 'dist', to: 'berthd', filter: ['berthd.mjs', 'berth.mjs'] },
    // Its own build (Linux) or its prebuilt binaries for the target (macOS, Windows); no tests, no debug symbols.
    {
      from: 'node_modules/node-pty',
      to: 'berthd/node_modules/node-pty',
      filter: ['package.json', 'LICENSE', 'lib/**/*.js', '!lib/**/*.test.js', 'build/Release/pty.node', 'build/Release/spawn-helper', 'prebuilds/${platform}-${arch}/**/*', '!**/*.pdb'],
    },
    // The VM image from `npm run vm:build` (one directory per guest architecture built on this machine).
    { from: 'vm-images/out', to: 'vm-images', filter: ['*/kernel', '*/initrd.img', '*/data-disk.qcow2', '*/manifest.json'] },
    // The renderer (`npm run build:renderer`), served by the berth-app:// protocol handler.
    { from: 'renderer/dist', to: 'renderer' },
    // Tray icons, one per VM state (scripts/make-icons.mjs).
    { from: 'build/icons', to: 'icons', filter: ['*.png'] },
  ],

  // T-39: flipped in the Electron binary when it is packaged.
  electronFuses: {
    runAsNode: false,
    enableCookieEncryption: true,
    enableNodeOptionsEnvironmentVariable: false,
    enableNodeCliInspectArguments: false,
    enableEmbeddedAsarIntegrityValidation: true,
    onlyLoadAppFromAsar: true,
    loadBrowserProcessSpecificV8Snapshot: false,
    grantFileProtocolExtraPrivileges: false,
  },

  // The Go helpers berthd starts (scripts/build-go-helpers.mjs), the target's own build, beside berthd:
  // helpers/berthd/hypervisors/helperBinaries.ts looks in resources/berthd/bin.
  mac: {
    extraResources: [{ from: 'dist/bin/darwin-${arch}', to: 'berthd/bin' }],
    target: [{ target: 'dmg', arch: ['x64', 'arm64'] }],
    category: 'public.app-category.developer-tools',
    hardenedRuntime: true,
    darkModeSupport: true,
  },
  dmg: { title: 'Berth ${version}' },

  win: { extraResources: [{ from: 'dist/bin/win32-${arch}', to: 'berthd/bin' }], target: [{ target: 'nsis', arch: ['x64'] }] },
  nsis: { oneClick: false, perMachine: false, allowToChangeInstallationDirectory: true },

  linux: {
    extraResources: [{ from: 'dist/bin/linux-${arch}', to: 'berthd/bin' }],
    target: [
      { target: 'AppImage', arch: ['x64'] },
      { target: 'deb', arch: ['x64'] },
    ],
    category: 'Development',
    executableName: 'berth-desktop',
    synopsis: 'Run Linux containers from your desktop',
    maintainer: 'Berth contributors <berth@example.invalid>',
  },
  deb: { depends: debDepends },

  publish: null,
};

export default config;
