// Owns: a screen's frame — its heading (focusable, so moving between screens lands on it) and an
// optional row of actions beside the heading.
import type { ReactNode } from 'react';
import type { ScreenId } from '../model/screens.ts';

export function Screen({ id, title, actions, children, hidden }: { id: ScreenId; title: string; actions?: ReactNode; children: ReactNode; hidden?: boolean }) {
  return (
    <section className="screen" data-screen={id} aria-labelledby={`${id}-title`} hidden={hidden}>
      <header className="screen-header">
        <h1 id={`${id}-title`} tabIndex={-1}>
          {title}
        </h1>
        {actions ? <div className="screen-actions">{actions}</div> : null}
      </header>
      {children}
    </section>
  );
}
