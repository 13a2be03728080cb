// The preload of the Berth window (sandboxed, context-isolated): exposes the renderer's Transport as
// window.berthTransport and nothing else — no ipcRenderer, no Node. Bundled to one file by scripts/bundle.mjs.
import { contextBridge, ipcRenderer } from 'electron';
import { BRIDGE_GLOBAL, PORT_CHANNEL } from '../common/ipcChannels.ts';
import { createTransport } from './bridgeClient.ts';

const transport = createTransport({
  invoke: (channel, arg) => ipcRenderer.invoke(channel, arg),
  onPort: (listener) => {
    ipcRenderer.on(PORT_CHANNEL, (event, message: unknown) => {
      const id = typeof message === 'object' && message !== null ? (message as { id?: unknown }).id : undefined;
      const port = event.ports[0];
      if (typeof id === 'string' && port !== undefined) listener(id, port);
      else for (const p of event.ports) p.close();
    });
  },
});

contextBridge.exposeInMainWorld(BRIDGE_GLOBAL, transport);
