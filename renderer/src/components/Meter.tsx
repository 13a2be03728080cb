// Owns: a labelled bar for a share (CPU, memory, a pull layer, start progress) — a native <progress>
// element, so assistive technology reads its value; the text beside it says the same in words.
export function Meter({ label, value, text, testId }: { label: string; value: number | undefined; text: string; testId?: string }) {
  return (
    <div className="meter" data-testid={testId}>
      <div className="meter-head">
        <span className="meter-label">{label}</span>
        <span className="meter-text">{text}</span>
      </div>
      <progress aria-label={label} max={1} value={value === undefined ? undefined : Math.min(1, Math.max(0, value))} />
    </div>
  );
}
