// Owns: what the guest is told at boot from the settings — dockerd's daemon.json and the proxy
// environment its services get (both spellings, as Go and curl read them). Pure.
import type { Settings } from '../../api/settings.ts';
import type { GuestConfig } from './configDisk.ts';

export function proxyEnvironment(proxy: Settings['docker']['proxy']): Record<string, string> {
  const env: Record<string, string> = {};
  const set = (name: string, value: string | undefined): void => {
    if (value === undefined || value === '') return;
    env[name] = value;
    env[name.toLowerCase()] = value;
  };
  set('HTTP_PROXY', proxy.http);
  set('HTTPS_PROXY', proxy.https);
  set('NO_PROXY', proxy.noProxy);
  return env;
}

export function guestConfigFromSettings(s: Settings): GuestConfig {
  const environment = proxyEnvironment(s.docker.proxy);
  return { hostname: 'berth', daemonJson: s.docker.daemon, ...(Object.keys(environment).length > 0 ? { environment } : {}) };
}
