// Owns: how components reach the store — a React context holding the one store of this page, and
// `useBerth(selector)` (select existing values or primitives; zustand re-renders on change only).
import { createContext, useContext } from 'react';
import { useStore, type StoreApi } from 'zustand';
import type { BerthStore } from './berthStore.ts';

export const BerthContext = createContext<StoreApi<BerthStore> | undefined>(undefined);

export function useBerthStore(): StoreApi<BerthStore> {
  const store = useContext(BerthContext);
  if (store === undefined) throw new Error('useBerth outside <BerthContext.Provider>');
  return store;
}

export function useBerth<T>(selector: (s: BerthStore) => T): T {
  return useStore(useBerthStore(), selector);
}

/** Is an action with this key under way (its buttons are disabled meanwhile)? */
export function useBusy(key: string): boolean {
  return useBerth((s) => s.busy.includes(key));
}
