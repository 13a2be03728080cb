// Owns: the notices that say what an action did ("web-1 stopped", "Settings saved"), dismissable.
import { sentence } from '../model/displayFormat.ts';
import { useBerth } from '../store/useBerth.ts';

export function Notices() {
  const notices = useBerth((s) => s.notices);
  const dismiss = useBerth((s) => s.dismissNotice);
  return (
    <section className="notices" aria-label="Messages" aria-live="polite" data-testid="notices">
      {notices.map((n) => (
        <div key={n.id} className="notice">
          <p>{sentence(n.message)}</p>
          <button type="button" className="button-quiet" onClick={() => dismiss(n.id)} aria-label={`Dismiss: ${n.message}`}>
            Dismiss
          </button>
        </div>
      ))}
    </section>
  );
}
