// Owns: the file shares editor — each shared host folder with writable on/off and remove, and adding
// one by its absolute path (the server checks the rest: duplicates, nesting, control characters).
import { type FormEvent, useId, useState } from 'react';
import type { Settings } from '../../../../helpers/api/settings.ts';

type Shares = Settings['shares'];

function pathProblem(path: string, shares: Shares): string | undefined {
  if (path === '') return 'Type the folder\u2019s full path, like /Users/you/code';
  if (!path.startsWith('/') && !/^[A-Za-z]:[\\/]/.test(path) && !path.startsWith('\\\\')) return `${path} is not a full path: start it with / (or C:\\ on Windows)`;
  if (shares.some((s) => s.hostPath === path)) return `${path} is shared already`;
  return undefined;
}

export function SharesSection({ shares, onChange, disabled }: { shares: Shares; onChange: (s: Shares) => void; disabled?: boolean }) {
  const id = useId();
  const [path, setPath] = useState('');
  const [writable, setWritable] = useState(true);
  const [problem, setProblem] = useState<string | undefined>(undefined);
  const add = (e: FormEvent) => {
    e.preventDefault();
    const p = path.trim();
    const why = pathProblem(p, shares);
    setProblem(why);
    if (why) return;
    onChange([...shares, { hostPath: p, writable }]);
    setPath('');
  };
  return (
    <fieldset className="panel" disabled={disabled}>
      <legend>File shares</legend>
      <p className="hint">Host folders the VM mounts at the same path, so <code>docker run -v "$PWD":/src</code> works inside them.</p>
      {shares.length === 0 ? <p className="muted">No folder is shared.</p> : null}
      <ul className="share-list" data-testid="shares">
        {shares.map((s, i) => (
          <li key={s.hostPath}>
            <code className="wrap-anywhere">{s.hostPath}</code>
            <label className="check">
              <input type="checkbox" checked={s.writable} onChange={(e) => onChange(shares.map((x, j) => (j === i ? { ...x, writable: e.target.checked } : x)))} /> Writable
            </label>
            <button type="button" onClick={() => onChange(shares.filter((_, j) => j !== i))}>
              Remove<span className="visually-hidden"> share {s.hostPath}</span>
            </button>
          </li>
        ))}
      </ul>
      <form className="inline-form" onSubmit={add}>
        <label htmlFor={`${id}-path`}>Folder to share</label>
        <input id={`${id}-path`} value={path} onChange={(e) => setPath(e.target.value)} placeholder="/Users/you/code" spellCheck={false} aria-invalid={problem ? true : undefined} aria-describedby={problem ? `${id}-problem` : undefined} />
        <label className="check">
          <input type="checkbox" checked={writable} onChange={(e) => setWritable(e.target.checked)} /> Writable
        </label>
        <button type="submit">Add share</button>
      </form>
      {problem ? (
        <p id={`${id}-problem`} className="error-message" role="alert">
          {problem}
        </p>
      ) : null}
    </fieldset>
  );
}
