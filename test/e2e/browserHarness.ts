// Harness for the end-to-end suite: `berth dashboard --no-open` against a private Berth, and Debian's
// Chromium driven by playwright-core (headless, no network beyond loopback); screenshots saved to look at.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { berthBin, type Berth } from '../engine/engineHarness.ts';
import { repoRoot } from '../image/imageVm.ts';

export const CHROMIUM = '/usr/bin/chromium';
export const screenshotDir = join(repoRoot, 'test', 'e2e', 'screenshots');

export type Dashboard = { url: string; origin: string; token: string; process: ChildProcess; stop: () => Promise<void> };

/** Run `berth dashboard --no-open --port 0` and read its URL line. */
export function startDashboard(b: Berth, timeoutMs = 180_000): Promise<Dashboard> {
  const child = spawn(process.execPath, [berthBin, 'dashboard', '--no-open', '--port', '0'], { env: b.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr.on('data', (d) => (err += String(d)));
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const ended = new Promise<void>((r) => child.once('close', () => r()));
    child.kill('SIGINT');
    const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await ended;
    clearTimeout(t);
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void stop();
      reject(new Error(`berth dashboard printed no URL in ${timeoutMs} ms; stdout: ${out} stderr: ${err}`));
    }, timeoutMs);
    child.stdout.on('data', (d) => {
      out += String(d);
      const m = /(http:\/\/127\.0\.0\.1:\d+)\/#token=([0-9a-f]+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ url: m[0], origin: m[1]!, token: m[2]!, process: child, stop });
      }
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      reject(new Error(`berth dashboard exited (${code}) before printing its URL; stderr: ${err}`));
    });
  });
}

export type BrowserSession = { browser: Browser; page: Page; close: () => Promise<void> };

/** Debian's Chromium, headless, with the flags this machine needs (no background networking). */
export async function openBrowser(): Promise<BrowserSession> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (scripts/debian-test-packages.txt)`);
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic', '--no-first-run', '--disable-component-update', '--disable-sync'],  // playwright gives it a fresh profile
  });
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  return {
    browser,
    page,
    close: () => browser.close().catch(() => {}),
  };
}

/** Save a full-page screenshot under test/e2e/screenshots/<name>.png and return its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(screenshotDir, { recursive: true });
  const file = join(screenshotDir, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}
