// Owns: the page shown when this tab cannot reach Berth at all (no access token): what happened and what to do.
export function NoTransport({ message, hint }: { message: string; hint: string }) {
  return (
    <main className="no-transport" data-testid="no-transport">
      <h1>Berth</h1>
      <p className="error-message">{message}</p>
      <p>{hint}</p>
    </main>
  );
}
