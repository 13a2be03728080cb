// Owns: the zustand store — berthd's state mirrored from the event stream through the pure reducers,
// status fetched on connect / after actions / on a VM state change (never polled), and the actions.
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { ContainerSummary } from '../../../helpers/api/docker.ts';
import type { TerminalSpec } from '../../../helpers/api/terminal.ts';
import type { Transport } from '../../../helpers/api/transport.ts';
import {
  applyConnected,
  applyConnectionProblem,
  applyEvent,
  applyStatus,
  type BerthState,
  dismissError,
  dismissNotice,
  initialState,
  pushError,
  pushNotice,
  setBusy,
  toApiError,
  vmStateChanged,
} from './berthState.ts';
import { closeTab, initialTabs, openTab, selectTab, type TabsState } from './terminalTabs.ts';

export type ContainerVerb = 'start' | 'stop' | 'restart' | 'remove';

export interface BerthActions {
  /** Follow berthd's events; returns the function that stops following. */
  connect(): () => void;
  refreshStatus(): Promise<void>;
  /**
   * Run one call with its busy key set, its error put in the error list (with `context`) and,
   * when given, a notice made from its answer; the status is fetched again after it unless told not to.
   */
  run<T>(key: string, context: string, call: (t: Transport) => Promise<T>, opts?: { notice?: (answer: T) => string; refresh?: boolean }): Promise<T | undefined>;
  start(): Promise<void>;
  stop(): Promise<void>;
  restart(): Promise<void>;
  containerAction(container: ContainerSummary, verb: ContainerVerb, force?: boolean): Promise<void>;
  removeImage(id: string, label: string, force?: boolean): Promise<void>;
  removeVolume(name: string): Promise<void>;
  openLink(url: string): Promise<void>;
  reportError(e: unknown, context?: string): void;
  notify(message: string): void;
  dismissError(id: number): void;
  dismissNotice(id: number): void;
  openTerminal(spec: TerminalSpec, label: string): void;
  closeTerminal(id: number): void;
  selectTerminal(id: number): void;
}

export type BerthStore = BerthState & { terminals: TabsState; transport: Transport } & BerthActions;

const verbWords: Record<ContainerVerb, [string, string]> = {
  start: ['Starting', 'Started'],
  stop: ['Stopping', 'Stopped'],
  restart: ['Restarting', 'Restarted'],
  remove: ['Removing', 'Removed'],
};

/** A start that ends because the user pressed Stop is what they asked for, not a failure. */
function cancelledIsFine(e: unknown): undefined {
  if (toApiError(e).code === 'start-cancelled') return undefined;
  throw e;
}

export function createBerthStore(transport: Transport): StoreApi<BerthStore> {
  return createStore<BerthStore>()((set, get) => {
    const update = (f: (s: BerthState) => BerthState) => set((s) => f(s));

    /** Once per fall of the stream: one call says why (berthd down, the bridge gone, a wrong token). */
    const whyDown = async () => {
      try {
        const status = await transport.call('status');
        update((s) => applyStatus(s, status));
      } catch (e) {
        update((s) => applyConnectionProblem(s, toApiError(e)));
      }
    };

    const actions: BerthActions = {
      connect() {
        return transport.events(
          (event) => {
            const changed = vmStateChanged(get(), event);
            update((s) => applyEvent(s, event));
            if (changed) void get().refreshStatus();
          },
          (up) => {
            update((s) => applyConnected(s, up));
            if (up) void get().refreshStatus();
            else void whyDown();
          },
        );
      },

      async refreshStatus() {
        try {
          const status = await transport.call('status');
          update((s) => applyStatus(s, status));
        } catch (e) {
          // While the stream is down the banner says so; a second message would only repeat it.
          if (get().connected !== false) update((s) => pushError(s, toApiError(e), 'Reading Berth\u2019s status'));
        }
      },

      async run(key, context, call, opts = {}) {
        update((s) => setBusy(s, key, true));
        try {
          const answer = await call(transport);
          if (opts.notice) update((s) => pushNotice(s, opts.notice!(answer)));
          return answer;
        } catch (e) {
          update((s) => pushError(s, toApiError(e), context));
          return undefined;
        } finally {
          update((s) => setBusy(s, key, false));
          if (opts.refresh !== false) void get().refreshStatus();
        }
      },

      // Each lifecycle call holds only its own button: start and restart answer when the VM runs, and
      // Stop must stay pressable meanwhile (it cancels a start). The VM state decides the rest.
      async start() {
        await get().run('lifecycle:start', 'Starting the VM', (t) => t.call('start', {}).catch(cancelledIsFine));
      },
      async stop() {
        await get().run('lifecycle:stop', 'Stopping the VM', (t) => t.call('stop', {}), { notice: (r) => r.message });
      },
      async restart() {
        await get().run('lifecycle:restart', 'Restarting the VM', (t) => t.call('restart', {}).catch(cancelledIsFine));
      },

      async containerAction(container, verb, force = false) {
        const [doing, done] = verbWords[verb];
        await get().run(`container:${container.id}`, `${doing} ${container.name}`, (t) => t.call('containerAction', { id: container.id, action: verb, force }), {
          // Berth's own words name the container as the user knows it (Docker's message may say an id).
          notice: () => `${done} ${container.name}`,
          refresh: false,
        });
      },
      async removeImage(id, label, force = false) {
        await get().run(`image:${id}`, `Removing ${label}`, (t) => t.call('imageRemove', { id, force }), { notice: (r) => r.message, refresh: false });
      },
      async removeVolume(name) {
        await get().run(`volume:${name}`, `Removing volume ${name}`, (t) => t.call('volumeRemove', { name }), { notice: (r) => r.message, refresh: false });
      },
      async openLink(url) {
        try {
          await transport.openExternal(url);
        } catch (e) {
          get().reportError(e, `Opening ${url}`);
        }
      },

      reportError: (e, context) => update((s) => pushError(s, toApiError(e), context)),
      notify: (message) => update((s) => pushNotice(s, message)),
      dismissError: (id) => update((s) => dismissError(s, id)),
      dismissNotice: (id) => update((s) => dismissNotice(s, id)),
      openTerminal: (spec, label) => set((s) => ({ terminals: openTab(s.terminals, spec, label) })),
      closeTerminal: (id) => set((s) => ({ terminals: closeTab(s.terminals, id) })),
      selectTerminal: (id) => set((s) => ({ terminals: selectTab(s.terminals, id) })),
    };
    return { ...initialState, terminals: initialTabs, transport, ...actions };
  });
}
