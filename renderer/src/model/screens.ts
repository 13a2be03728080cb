// Owns: the UI's screens and their addresses (#/containers …): links are real links, the back
// button works, and Electron's tray can open a screen directly (berth-app://ui/#/settings).

export const screens = [
  { id: 'dashboard', label: 'Dashboard' },
  { id: 'containers', label: 'Containers' },
  { id: 'images', label: 'Images' },
  { id: 'volumes', label: 'Volumes' },
  { id: 'terminal', label: 'Terminal' },
  { id: 'settings', label: 'Settings' },
  { id: 'troubleshoot', label: 'Troubleshoot' },
] as const;

export type ScreenId = (typeof screens)[number]['id'];

export function screenHref(id: ScreenId): string {
  return `#/${id}`;
}

/** "#/images" → images; anything else (empty, unknown, a token hash) → the dashboard. */
export function screenFromHash(hash: string): ScreenId {
  const id = /^#\/([a-z]+)$/.exec(hash)?.[1];
  return screens.find((s) => s.id === id)?.id ?? 'dashboard';
}
