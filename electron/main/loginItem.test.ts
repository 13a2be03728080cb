// Tests: the start-at-login decision per platform, the Linux autostart entry's quoting, and when a
// launch opens no window. Pure: nothing is registered with the OS.
import { describe, expect, it, vi } from 'vitest';
import { applyLoginItemPlan, autostartEntry, desktopExecArg, loginItemPlan, startedHidden, type LoginItemInput } from './loginItem.ts';

const base: LoginItemInput = { startAtLogin: true, platform: 'darwin', packaged: true, execPath: '/Applications/Berth.app/Contents/MacOS/Berth', configHome: '/home/u/.config' };

describe('loginItemPlan', () => {
  it('macOS: a login item, on or off as the setting says', () => {
    expect(loginItemPlan(base)).toEqual({ kind: 'login-item', settings: { openAtLogin: true } });
    expect(loginItemPlan({ ...base, startAtLogin: false })).toEqual({ kind: 'login-item', settings: { openAtLogin: false } });
  });

  it('Windows: a login item that starts the app hidden', () => {
    const win = { ...base, platform: 'win32' as const, execPath: 'C:\\Program Files\\Berth\\Berth.exe' };
    expect(loginItemPlan(win)).toEqual({ kind: 'login-item', settings: { openAtLogin: true, path: win.execPath, args: ['--hidden'] } });
  });

  it('Linux: an XDG autostart file written or removed; an AppImage names its own file', () => {
    const linux = { ...base, platform: 'linux' as const, execPath: '/opt/Berth/berth' };
    expect(loginItemPlan(linux)).toEqual({ kind: 'autostart-file', path: '/home/u/.config/autostart/berth.desktop', contents: autostartEntry('/opt/Berth/berth') });
    expect(loginItemPlan({ ...linux, startAtLogin: false })).toEqual({ kind: 'remove-autostart-file', path: '/home/u/.config/autostart/berth.desktop' });
    const appImage = loginItemPlan({ ...linux, execPath: '/tmp/.mount_BerthX/berth', appImage: '/home/u/Apps/Berth.AppImage' });
    expect(appImage).toMatchObject({ contents: expect.stringContaining('Exec=/home/u/Apps/Berth.AppImage --hidden') });
  });

  it('a development run never registers itself', () => {
    expect(loginItemPlan({ ...base, packaged: false })).toMatchObject({ kind: 'skip' });
    expect(loginItemPlan({ ...base, platform: 'freebsd' })).toMatchObject({ kind: 'skip' });
  });
});

describe('autostart entry', () => {
  it('quotes paths with spaces and shell characters, and doubles %', () => {
    expect(desktopExecArg('/opt/Berth/berth')).toBe('/opt/Berth/berth');
    expect(desktopExecArg('/home/u/My Apps/Berth.AppImage')).toBe('"/home/u/My Apps/Berth.AppImage"');
    expect(desktopExecArg('/home/u/$HOME/`x`/a"b')).toBe('"/home/u/\\$HOME/\\`x\\`/a\\"b"');
    expect(desktopExecArg('/home/u/100%/berth')).toBe('/home/u/100%%/berth');
  });

  it('is a complete desktop entry', () => {
    const entry = autostartEntry('/opt/Berth/berth');
    expect(entry.split('\n')).toEqual(expect.arrayContaining(['[Desktop Entry]', 'Type=Application', 'Name=Berth', 'Exec=/opt/Berth/berth --hidden', 'Terminal=false']));
  });
});

describe('startedHidden', () => {
  it('at login (macOS tells, Windows and Linux pass --hidden), otherwise with a window', () => {
    expect(startedHidden(['/Applications/Berth.app/Contents/MacOS/Berth'], true)).toBe(true);
    expect(startedHidden(['Berth.exe', '--hidden'], false)).toBe(true);
    expect(startedHidden(['Berth.exe'], false)).toBe(false);
  });
});

describe('applyLoginItemPlan (fake app and file system)', () => {
  function fx() {
    return { setLoginItemSettings: vi.fn(), writeFile: vi.fn(), removeFile: vi.fn(), log: vi.fn() };
  }
  it('each plan does exactly its one thing', () => {
    const a = fx();
    applyLoginItemPlan({ kind: 'login-item', settings: { openAtLogin: true } }, a);
    expect(a.setLoginItemSettings).toHaveBeenCalledWith({ openAtLogin: true });
    const b = fx();
    applyLoginItemPlan({ kind: 'autostart-file', path: '/c/autostart/berth.desktop', contents: 'x' }, b);
    expect(b.writeFile).toHaveBeenCalledWith('/c/autostart/berth.desktop', 'x');
    const c = fx();
    applyLoginItemPlan({ kind: 'remove-autostart-file', path: '/c/autostart/berth.desktop' }, c);
    expect(c.removeFile).toHaveBeenCalledWith('/c/autostart/berth.desktop');
    for (const f of [a, b, c]) expect(f.log).not.toHaveBeenCalled();
  });
  it('a failure is logged with what to check, never thrown', () => {
    const f = fx();
    f.writeFile.mockImplementation(() => {
      throw new Error('EACCES');
    });
    expect(() => applyLoginItemPlan({ kind: 'autostart-file', path: '/c/a', contents: 'x' }, f)).not.toThrow();
    expect(f.log).toHaveBeenCalledWith(expect.stringContaining('autostart is writable'));
  });
});
