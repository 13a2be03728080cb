// Owns: the Docker Engine settings — the daemon.json editor (checked as you type, never saved
// invalid) and the proxy Docker uses to pull images.
import { useId } from 'react';
import type { Settings } from '../../../../helpers/api/settings.ts';
import { checkDaemonJson, formatDaemonJson } from '../../model/daemonJson.ts';

type Proxy = Settings['docker']['proxy'];

export function EngineSection({ daemonText, onDaemonText, proxy, onProxy, disabled }: { daemonText: string; onDaemonText: (t: string) => void; proxy: Proxy; onProxy: (p: Proxy) => void; disabled?: boolean }) {
  const id = useId();
  const check = checkDaemonJson(daemonText);
  const setProxy = (key: keyof Proxy, value: string) => {
    const next: Proxy = { ...proxy };
    if (value.trim() === '') delete next[key];
    else next[key] = value.trim();
    onProxy(next);
  };
  return (
    <fieldset className="panel" disabled={disabled}>
      <legend>Docker Engine</legend>
      <div className="field">
        <label htmlFor={`${id}-daemon`}>daemon.json</label>
        <textarea
          id={`${id}-daemon`}
          className="code-editor"
          rows={10}
          spellCheck={false}
          value={daemonText}
          onChange={(e) => onDaemonText(e.target.value)}
          aria-invalid={check.ok ? undefined : true}
          aria-describedby={`${id}-daemon-msg`}
          data-testid="daemon-json"
        />
        <p id={`${id}-daemon-msg`} className={check.ok ? 'hint' : 'error-message'}>
          {check.ok ? 'Valid JSON. Docker reads it when the VM starts.' : check.message}
        </p>
        <div className="button-row">
          <button type="button" disabled={!check.ok} onClick={() => check.ok && onDaemonText(formatDaemonJson(check.daemon))}>
            Format
          </button>
        </div>
      </div>
      <div className="field-grid">
        {(
          [
            ['http', 'HTTP proxy', 'http://proxy.example.com:3128'],
            ['https', 'HTTPS proxy', 'http://proxy.example.com:3128'],
            ['noProxy', 'No proxy for', 'localhost,.corp.example.com'],
          ] as const
        ).map(([key, label, example]) => (
          <div className="field" key={key}>
            <label htmlFor={`${id}-${key}`}>{label}</label>
            <input id={`${id}-${key}`} value={proxy[key] ?? ''} placeholder={example} spellCheck={false} onChange={(e) => setProxy(key, e.target.value)} />
          </div>
        ))}
      </div>
    </fieldset>
  );
}
