// Tests: the window's screens, how it is brought forward, and that closing hides it to the tray —
// with a fake BrowserWindow of Electron's shape.
import { EventEmitter } from 'node:events';
import type { BrowserWindow } from 'electron';
import { describe, expect, it } from 'vitest';
import { MainWindow, presenceOf, screenUrl } from './mainWindow.ts';

class FakeWindow extends EventEmitter {
  destroyed = false;
  minimized = false;
  visible = false;
  calls: string[] = [];
  isDestroyed = () => this.destroyed;
  isMinimized = () => this.minimized;
  isVisible = () => this.visible;
  loadURL = async (url: string) => void this.calls.push(`load ${url}`);
  show = () => {
    this.visible = true;
    this.calls.push('show');
  };
  hide = () => {
    this.visible = false;
    this.calls.push('hide');
  };
  restore = () => {
    this.minimized = false;
    this.calls.push('restore');
  };
  focus = () => void this.calls.push('focus');
  /** What a user's click on the close button does: `close`, then `closed` unless prevented. */
  userClose(): boolean {
    let prevented = false;
    this.emit('close', { preventDefault: () => (prevented = true) });
    if (!prevented) {
      this.destroyed = true;
      this.emit('closed');
    }
    return prevented;
  }
}

function setup() {
  const made: FakeWindow[] = [];
  let quitting = false;
  const w = new MainWindow(
    () => {
      const f = new FakeWindow();
      made.push(f);
      return f as unknown as BrowserWindow;
    },
    () => quitting,
  );
  return { w, made, quit: () => (quitting = true) };
}

describe('MainWindow (fake BrowserWindow)', () => {
  it('opens the screen the tray asked for, shown once ready', () => {
    const s = setup();
    s.w.show('settings');
    const win = s.made[0];
    expect(win?.calls).toEqual(['load berth-app://ui/index.html#/settings']);
    win?.emit('ready-to-show');
    expect(win?.visible).toBe(true);
  });

  it('closing the window hides it to the tray; the same window comes back', () => {
    const s = setup();
    s.w.show('dashboard');
    s.made[0]?.emit('ready-to-show');
    expect(s.made[0]?.userClose()).toBe(true);
    expect(s.made[0]?.visible).toBe(false);
    s.w.show('troubleshoot');
    expect(s.made).toHaveLength(1);
    expect(s.made[0]?.calls.slice(-3)).toEqual(['load berth-app://ui/index.html#/troubleshoot', 'show', 'focus']);
  });

  it('while quitting, closing really closes it', () => {
    const s = setup();
    s.w.show('dashboard');
    s.quit();
    expect(s.made[0]?.userClose()).toBe(false);
    expect(s.made[0]?.destroyed).toBe(true);
  });

  it('a second launch restores a minimized window, or opens the dashboard when there is none', () => {
    const s = setup();
    s.w.forward();
    expect(s.made[0]?.calls).toEqual(['load berth-app://ui/index.html#/dashboard']);
    const win = s.made[0] as FakeWindow;
    win.visible = true;
    win.minimized = true;
    s.w.forward();
    expect(win.calls.slice(-2)).toEqual(['restore', 'focus']);
  });
});

describe('screens and presence', () => {
  it('screen addresses are the renderer hash routes', () => {
    expect(screenUrl('dashboard')).toBe('berth-app://ui/index.html#/dashboard');
  });
  it('presence', () => {
    const w = new FakeWindow();
    expect(presenceOf(undefined)).toBe('none');
    expect(presenceOf(w)).toBe('hidden');
    w.visible = true;
    expect(presenceOf(w)).toBe('visible');
    w.minimized = true;
    expect(presenceOf(w)).toBe('minimized');
    w.destroyed = true;
    expect(presenceOf(w)).toBe('none');
  });
});
