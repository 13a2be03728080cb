// The desktop app's entry (bundled to dist/electron/main.cjs): wiring only. Every decision lives in a
// module beside it with unit tests, since the Electron binary cannot run on our build machines.
import { createWriteStream, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { app, BrowserWindow, dialog, ipcMain, Menu, MessageChannelMain, nativeImage, protocol, session, shell, Tray, utilityProcess } from 'electron';
import type { RouteName, StreamName } from '../../helpers/api/controlApi.ts';
import type { Settings } from '../../helpers/api/settings.ts';
import type { StreamBody } from '../../helpers/api/transport.ts';
import { berthPaths, ensureLayout } from '../../helpers/berthd/paths.ts';
import { berthdEnv, imageDirFor, spawnDetached, type LaunchedDaemon } from '../../helpers/client/berthdStarter.ts';
import { distRoot } from '../../helpers/client/dashboard/staticFiles.ts';
import { openStream } from '../../helpers/client/streamClient.ts';
import { openTerminal } from '../../helpers/client/terminalClient.ts';
import { appLocations } from './appLocations.ts';
import { serveAppFile } from './appFiles.ts';
import { APP_SCHEME, appSchemePrivileges } from './appProtocol.ts';
import { berthdLaunchPlan, findNode, nodeCandidates, type BerthdLaunchPlan } from './berthdLaunch.ts';
import { BerthdLink } from './berthdLink.ts';
import { registerIpc } from './ipcHandlers.ts';
import { applyLoginItemPlan, loginItemPlan, startedHidden } from './loginItem.ts';
import { MainWindow, type TrayScreen } from './mainWindow.ts';
import { QUIT_STOP_TIMEOUT_SECONDS, quitPlan } from './quitPlan.ts';
import { claimSingleInstance } from './singleInstance.ts';
import { trayIconPath } from './trayIcons.ts';
import { TrayPresenter } from './trayPresenter.ts';
import { checkExternalUrl } from './urlPolicy.ts';
import { denyAllPermissions, hardenWebContents } from './webContentsHardening.ts';
import { windowOptions } from './windowOptions.ts';

const paths = berthPaths();
const where = appLocations({ packaged: app.isPackaged, resourcesPath: process.resourcesPath, mainDir: __dirname });
const log = (m: string): void => console.log(`${new Date().toISOString()} berth-app: ${m}`);

let quitting = false;
let quitDone = false;
let berthdInsideApp = false;
let settings: Settings | undefined;

// Before `ready`: the app's pages get a real, secure origin (T-36).
protocol.registerSchemesAsPrivileged([appSchemePrivileges]);

/** Starts berthd as berthdLaunch.ts planned; a utility process's output goes to berthd.log too. */
function launch(plan: BerthdLaunchPlan): LaunchedDaemon {
  log(`starting berthd: ${plan.why}`);
  if (plan.kind === 'detached') return spawnDetached({ command: plan.command, args: plan.args, env: plan.env, logFile: paths.berthdLog });
  berthdInsideApp = true;
  const child = utilityProcess.fork(plan.modulePath, [], { env: plan.env, execArgv: plan.execArgv, stdio: 'pipe', serviceName: 'berthd' });
  const out = createWriteStream(paths.berthdLog, { flags: 'a', mode: 0o600 });
  child.stdout?.pipe(out);
  child.stderr?.pipe(out);
  let exit: number | undefined;
  child.on('exit', (code) => (exit = code));
  return { exitCode: () => exit };
}

async function planLaunch(): Promise<BerthdLaunchPlan> {
  const node = await findNode(nodeCandidates(process.env, process.platform));
  const env = berthdEnv(process.env, paths.home, imageDirFor(where.berthdScript, process.arch));
  return berthdLaunchPlan({ packaged: app.isPackaged, berthdScript: where.berthdScript, node, electronExec: process.execPath, env });
}

const link = new BerthdLink({ controlSocket: paths.controlSocket, berthdLog: paths.berthdLog, log });
let launchPlan: Promise<BerthdLaunchPlan> | undefined;

/** Starts berthd when its socket does not answer (as `berth start` does), and waits for it. */
async function startBerthd(): Promise<void> {
  ensureLayout(paths);
  launchPlan ??= planLaunch();
  const plan = await launchPlan;
  await link.ensure(() => launch(plan));
}

function applySettings(next: Settings): void {
  settings = next;
  const plan = loginItemPlan({ startAtLogin: next.startAtLogin, platform: process.platform, packaged: app.isPackaged, execPath: process.execPath, appImage: process.env.APPIMAGE, configHome: process.env.XDG_CONFIG_HOME ?? join(homedir(), '.config') });
  applyLoginItemPlan(plan, {
    setLoginItemSettings: (s) => app.setLoginItemSettings(s),
    writeFile: (path, contents) => {
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, contents, { mode: 0o644 });
    },
    removeFile: (path) => rmSync(path, { force: true }),
    log,
  });
}

/** A call from the window or the tray; settings answers keep start-at-login and stopVmOnQuit current. */
async function callBerthd(name: RouteName, body: unknown): Promise<unknown> {
  const answer = await link.call(name, body);
  if (name === 'settingsGet' || name === 'settingsSet') applySettings((answer as { settings: Settings }).settings);
  return answer;
}

function reportFailure(what: string, e: unknown): void {
  const err = e as { message?: string; hint?: string };
  log(`${what} failed: ${err.message ?? String(e)}`);
  dialog.showErrorBox(`Berth could not ${what}`, `${err.message ?? String(e)}\n\n${err.hint ?? 'See Troubleshoot → berthd log for details.'}`);
}

const mainWindow = new MainWindow(
  () => new BrowserWindow(windowOptions({ preloadPath: where.preloadPath, devTools: !app.isPackaged })),
  () => quitting,
);
const open = (screen: TrayScreen) => () => mainWindow.show(screen);

async function ready(): Promise<void> {
  denyAllPermissions(session.defaultSession);
  app.on('web-contents-created', (_e, contents) =>
    hardenWebContents(contents, { confirmedLocalPorts: () => link.confirmedLocalPorts, openExternal: (url) => void shell.openExternal(url), log }),
  );
  let rendererRoot: string | undefined;
  try {
    rendererRoot = distRoot(where.rendererDir);
  } catch {
    log(`the renderer is not built (${where.rendererDir}); run \`npm run build\``);
  }
  protocol.handle(APP_SCHEME, (request) =>
    rendererRoot ? serveAppFile(rendererRoot, request) : new Response('Berth window files are missing; reinstall Berth (or run `npm run build`).', { status: 404 }),
  );

  registerIpc(ipcMain, {
    call: callBerthd,
    followEvents: (onEvent, connected) => link.followEvents(onEvent, connected),
    startStream: (name, body, handlers) => openStream(paths.controlSocket, name, body as StreamBody<StreamName>, handlers),
    openTerminal: (spec) => openTerminal(paths.controlSocket, spec),
    checkExternal: (url) => checkExternalUrl(url, { confirmedLocalPorts: link.confirmedLocalPorts }),
    openExternal: (url) => shell.openExternal(url),
    newChannel: () => {
      const { port1, port2 } = new MessageChannelMain();
      return { local: port1, remote: port2 };
    },
    log,
  });

  const tray = new Tray(nativeImage.createFromPath(trayIconPath(where.iconsDir, 'stopped', process.platform)));
  const lifecycle = (what: string, name: RouteName) => () =>
    void startBerthd()
      .then(() => link.call(name, {}))
      .catch((e: unknown) => reportFailure(what, e));
  const presenter = new TrayPresenter(
    {
      setIcon: (icon) => tray.setImage(nativeImage.createFromPath(trayIconPath(where.iconsDir, icon, process.platform))),
      setToolTip: (text) => tray.setToolTip(text),
      setMenu: (template) => tray.setContextMenu(Menu.buildFromTemplate(template)),
    },
    { start: lifecycle('start the VM', 'start'), stop: lifecycle('stop the VM', 'stop'), restart: lifecycle('restart the VM', 'restart'), dashboard: open('dashboard'), settings: open('settings'), troubleshoot: open('troubleshoot'), quit: () => app.quit() },
  );
  presenter.show(undefined);
  // Windows and Linux users click the tray icon to open Berth; on macOS a click opens the menu.
  if (process.platform !== 'darwin') tray.on('click', open('dashboard'));
  const refresh = (): void => {
    link.call('status', {}).then(
      (s) => presenter.show(s as Parameters<TrayPresenter['show']>[0]),
      () => presenter.show(undefined),
    );
  };
  link.followEvents(
    (event) => presenter.onEvent(event, refresh),
    (up) => {
      if (!up) return presenter.show(undefined);
      refresh();
      void link.refreshPorts();
      void callBerthd('settingsGet', {}).catch((e: unknown) => log(`settings not read: ${(e as Error).message}`));
    },
  );

  if (!startedHidden(process.argv, app.getLoginItemSettings().wasOpenedAtLogin)) mainWindow.show('dashboard');
  await startBerthd().catch((e: unknown) => reportFailure('start its engine (berthd)', e));
}

/** Quit: the VM stops when settings.stopVmOnQuit says so (quitPlan.ts), then the app exits. */
async function beforeQuit(): Promise<void> {
  const status = (await link.call('status', {}, 5000).catch(() => undefined)) as { vm: { state: Parameters<typeof quitPlan>[0]['vm'] } } | undefined;
  const plan = quitPlan({ stopVmOnQuit: settings?.stopVmOnQuit, vm: status?.vm.state, berthdInsideApp });
  log(`quit: ${plan.note}`);
  if (plan.stopVm) await link.call('stop', { timeoutSeconds: QUIT_STOP_TIMEOUT_SECONDS }, (QUIT_STOP_TIMEOUT_SECONDS + 15) * 1000).catch((e: unknown) => log(`stop on quit failed: ${(e as Error).message}`));
  if (plan.shutdownBerthd) await link.call('shutdownDaemon', {}, 5000).catch(() => undefined);
}

if (claimSingleInstance(app, () => mainWindow.forward())) {
  // The app lives in the tray: closing the last window does not quit it.
  app.on('window-all-closed', () => {});
  app.on('before-quit', (event) => {
    if (quitDone) return;
    event.preventDefault();
    if (quitting) return;
    quitting = true;
    void beforeQuit().finally(() => {
      quitDone = true;
      app.quit();
    });
  });
  void app.whenReady().then(ready);
}
