// End to end in real Chromium: the renderer served by `berth dashboard` against a real berthd and a
// real VM — start it from the UI, see a CLI container appear, stop it, a port conflict, a VM shell, settings.
import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { importTestImage, startBerthHarness, TEST_IMAGE, type Berth } from '../engine/engineHarness.ts';
import { openBrowser, screenshot, startDashboard, type BrowserSession, type Dashboard } from './browserHarness.ts';

const GiB = 1024 ** 3;
const WEB_PORT = 18_480;
const CLASH_PORT = 18_481;

let b: Berth;
let dash: Dashboard;
let browser: BrowserSession;
let page: Page;
const consoleErrors: string[] = [];
const shots: string[] = [];

async function vmState(): Promise<string | null> {
  return page.getByTestId('vm-state').getAttribute('data-state');
}

async function waitForVmState(state: string, timeoutMs: number): Promise<void> {
  await page.waitForSelector(`[data-testid="vm-state"][data-state="${state}"]`, { timeout: timeoutMs });
}

async function go(screen: string): Promise<void> {
  await page.getByRole('navigation').getByRole('link', { name: new RegExp(`^${screen}`, 'i') }).click();
  await page.waitForFunction((s) => (globalThis as unknown as { location: { hash: string } }).location.hash === `#/${s}`, screen.toLowerCase());
}

async function statusJson(): Promise<{ state: string; resources?: { memoryBytes: number } }> {
  const r = await b.berth(['status', '--json']);
  return JSON.parse(r.stdout) as { state: string; resources?: { memoryBytes: number } };
}

describe('the dashboard in Chromium against a real Berth', () => {
  beforeAll(async () => {
    b = startBerthHarness('e2e');
    dash = await startDashboard(b);
    browser = await openBrowser();
    page = browser.page;
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(m.text());
    });
    page.on('pageerror', (e) => consoleErrors.push(String(e)));
    await page.goto(dash.url);
  });

  afterAll(async () => {
    await browser?.close();
    await dash?.stop();
    await b?.cleanup();
    if (shots.length) console.log(`screenshots:\n  ${shots.join('\n  ')}`);
  });

  it('opens with the token, drops it from the address bar, and shows the stopped VM', async () => {
    await waitForVmState('stopped', 60_000);
    expect(page.url()).not.toContain('token=');
    expect(await page.evaluate(() => typeof (globalThis as { require?: unknown }).require)).toBe('undefined');
    expect(await page.evaluate(() => typeof (globalThis as { process?: unknown }).process)).toBe('undefined');
    shots.push(await screenshot(page, '01-dashboard-stopped'));
  });

  it('starts the VM from the UI and shows each state on the way', async () => {
    await page.getByRole('button', { name: 'Start', exact: true }).click();
    await waitForVmState('starting', 30_000);
    await expect.poll(async () => page.getByTestId('vm-progress').count(), { timeout: 30_000 }).toBeGreaterThan(0);
    shots.push(await screenshot(page, '02-dashboard-starting'));
    await waitForVmState('running', 300_000);
    expect((await statusJson()).state).toBe('running');
    await expect.poll(async () => (await page.getByTestId('docker-version').textContent()) ?? '', { timeout: 30_000 }).toMatch(/\d+\.\d+/);
    await expect.poll(async () => (await page.getByTestId('stats-memory').textContent()) ?? '', { timeout: 30_000 }).toMatch(/\d/);
    shots.push(await screenshot(page, '03-dashboard-running'));
  });

  it('shows a container started from the host CLI, with its published port as a link', async () => {
    await importTestImage(b);
    const run = await b.docker(['run', '-d', '--name', 'web', '-p', `${WEB_PORT}:80`, TEST_IMAGE, 'httpd', '-f', '-p', '80', '-h', '/etc']);
    expect(run.stderr).toBe('');
    await go('Containers');
    const row = page.getByTestId('container-row-web');
    await expect.poll(async () => row.getAttribute('data-state'), { timeout: 60_000 }).toBe('running');
    await expect.poll(async () => page.getByTestId(`port-link-${WEB_PORT}`).count(), { timeout: 60_000 }).toBe(1);
    shots.push(await screenshot(page, '04-containers'));
  });

  it('stops the container from the UI, and Docker agrees', async () => {
    await page.getByRole('button', { name: 'Stop web' }).click();
    await expect.poll(async () => page.getByTestId('container-row-web').getAttribute('data-state'), { timeout: 60_000 }).toBe('exited');
    const inspect = await b.docker(['inspect', '-f', '{{.State.Running}}', 'web']);
    expect(inspect.stdout.trim()).toBe('false');
  });

  it('shows a port conflict when the host port is taken', async () => {
    const holder: Server = createServer();
    await new Promise<void>((r) => holder.listen(CLASH_PORT, '127.0.0.1', () => r()));
    try {
      const run = await b.docker(['run', '-d', '--name', 'clash', '-p', `${CLASH_PORT}:80`, TEST_IMAGE, 'httpd', '-f', '-p', '80']);
      expect(run.code).toBe(0);
      const conflict = page.getByTestId(`port-conflict-${CLASH_PORT}`);
      await expect.poll(async () => conflict.count(), { timeout: 60_000 }).toBeGreaterThan(0);
      expect(await conflict.first().textContent()).toMatch(new RegExp(String(CLASH_PORT)));
      shots.push(await screenshot(page, '05-port-conflict'));
    } finally {
      await new Promise<void>((r) => holder.close(() => r()));
      await b.docker(['rm', '-f', 'clash']);
    }
  });

  it('opens a VM shell in the terminal and runs uname -a', async () => {
    await go('Terminal');
    await page.getByRole('button', { name: 'New VM shell' }).click();
    const term = page.getByTestId('terminal');
    await term.waitFor({ timeout: 30_000 });
    await page.locator('.xterm-helper-textarea').first().focus();
    // Wait for the shell's prompt before typing, so the keystrokes are not lost to a session still opening.
    await expect.poll(async () => (await term.innerText()).trim().length, { timeout: 60_000 }).toBeGreaterThan(0);
    await page.keyboard.type('uname -a\n');
    await expect.poll(async () => term.innerText(), { timeout: 60_000 }).toMatch(/Linux \S+ \S+.*x86_64/);
    shots.push(await screenshot(page, '06-terminal-vm-shell'));
  });

  it('shows images, volumes and the troubleshoot checks', async () => {
    await b.docker(['volume', 'create', 'e2e-data']);
    await go('Images');
    await expect.poll(async () => page.getByTestId('images-table').innerText(), { timeout: 60_000 }).toContain('berth-test/busybox');
    shots.push(await screenshot(page, '07-images'));
    await go('Volumes');
    await expect.poll(async () => page.getByTestId('volume-row-e2e-data').count(), { timeout: 60_000 }).toBe(1);
    shots.push(await screenshot(page, '08-volumes'));
    await go('Troubleshoot');
    await page.getByRole('button', { name: 'Run the checks' }).click();
    await expect.poll(async () => page.getByTestId('doctor').innerText(), { timeout: 120_000 }).toMatch(/docker/i);
    shots.push(await screenshot(page, '09-troubleshoot'));
  });

  it('changes memory in the settings panel, says what will happen, and applies it with a restart', async () => {
    await go('Settings');
    const memory = page.getByTestId('setting-memory');
    await memory.fill('3');
    await expect.poll(async () => page.getByTestId('settings-effect').innerText(), { timeout: 10_000 }).toMatch(/restart/i);
    shots.push(await screenshot(page, '10-settings-change'));
    await page.getByTestId('settings-apply').getByRole('button', { name: 'Apply & restart' }).click();
    await page.getByTestId('confirm-dialog').getByRole('button', { name: 'Apply & restart' }).click();
    await expect.poll(async () => (await statusJson()).resources?.memoryBytes, { timeout: 300_000, interval: 2_000 }).toBe(3 * GiB);
    await go('Dashboard');
    await waitForVmState('running', 300_000);
    expect(await page.getByTestId('configured-memory').innerText()).toMatch(/3 GiB/);
    shots.push(await screenshot(page, '11-dashboard-after-apply'));
  });

  it('is usable from the keyboard, reflows at 200% zoom and has a dark theme', async () => {
    await go('Dashboard');
    type Doc = { activeElement: { textContent: string | null } | null; documentElement: { scrollWidth: number } };
    let reached = false;
    for (let i = 0; i < 20 && !reached; i++) {
      await page.keyboard.press('Tab');
      reached = /^Containers/.test((await page.evaluate(() => (globalThis as unknown as { document: Doc }).document.activeElement?.textContent ?? '')).trim());
    }
    expect(reached).toBe(true);
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => (globalThis as unknown as { location: { hash: string } }).location.hash === '#/containers');
    // 200% zoom on a 1280 px window leaves 640 CSS pixels: the layout must reflow, not scroll sideways.
    await page.setViewportSize({ width: 640, height: 800 });
    await go('Dashboard');
    const overflow = await page.evaluate(() => (globalThis as unknown as { document: Doc; innerWidth: number }).document.documentElement.scrollWidth - (globalThis as unknown as { innerWidth: number }).innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    shots.push(await screenshot(page, '12-dashboard-200pct-zoom'));
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.emulateMedia({ colorScheme: 'dark' });
    type Win = { getComputedStyle: (e: unknown) => { backgroundColor: string }; document: { body: unknown } };
    const background = await page.evaluate(() => {
      const w = globalThis as unknown as Win;
      return w.getComputedStyle(w.document.body).backgroundColor;
    });
    const [r, g, bl] = (background.match(/\d+/g) ?? ['255', '255', '255']).map(Number);
    expect((r! + g! + bl!) / 3).toBeLessThan(80);
    shots.push(await screenshot(page, '13-dashboard-dark'));
    await page.emulateMedia({ colorScheme: 'light' });
  });

  it('ran without script errors or CSP violations in the page', async () => {
    expect(await vmState()).toBe('running');
    expect(consoleErrors.filter((e) => /Content Security Policy|Refused to|Uncaught/i.test(e))).toEqual([]);
  });
});
