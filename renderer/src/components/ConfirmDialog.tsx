// Owns: the confirmation asked before anything that cannot be undone — a native modal <dialog>
// (focus kept inside, Escape cancels), the consequences said in full, the risky button named for what it does.
import { type ReactNode, useEffect, useId, useRef } from 'react';

export interface ConfirmDialogProps {
  title: string;
  children: ReactNode;
  /** The button that does it: "Remove", "Stop and remove", "Apply & restart". */
  confirmLabel: string;
  onConfirm: () => void;
  onCancel: () => void;
  /** Disable the confirm button (e.g. until "reset" is typed). */
  confirmDisabled?: boolean;
  danger?: boolean;
}

export function ConfirmDialog({ title, children, confirmLabel, onConfirm, onCancel, confirmDisabled, danger }: ConfirmDialogProps) {
  const dialog = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  useEffect(() => {
    const d = dialog.current;
    if (d && !d.open) d.showModal();
    return () => d?.close();
  }, []);
  return (
    <dialog ref={dialog} className="dialog" aria-labelledby={titleId} onCancel={(e) => (e.preventDefault(), onCancel())} data-testid="confirm-dialog">
      <h2 id={titleId}>{title}</h2>
      <div className="dialog-body">{children}</div>
      <div className="dialog-actions">
        <button type="button" onClick={onCancel} autoFocus>
          Cancel
        </button>
        <button type="button" className={danger ? 'button-danger' : 'button-primary'} onClick={onConfirm} disabled={confirmDisabled}>
          {confirmLabel}
        </button>
      </div>
    </dialog>
  );
}
