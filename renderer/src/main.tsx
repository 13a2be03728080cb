// Owns: the page's start — zod without eval (first), the Transport this page uses, the store, and
// React's root; without a transport it says what to do instead.
import './zodJitless.ts';
import './styles/base.css';
import './styles/layout.css';
import './styles/widgets.css';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './app/App.tsx';
import { NoTransport } from './app/NoTransport.tsx';
import { createBerthStore } from './store/berthStore.ts';
import { BerthContext } from './store/useBerth.ts';
import { pickTransport } from './transport/pickTransport.ts';

const rootElement = document.getElementById('root');
if (rootElement === null) throw new Error('index.html has no #root');
const root = createRoot(rootElement);
const choice = pickTransport();
if (!choice.ok) {
  root.render(<NoTransport message={choice.message} hint={choice.hint} />);
} else {
  const store = createBerthStore(choice.transport);
  root.render(
    <StrictMode>
      <BerthContext.Provider value={store}>
        <App />
      </BerthContext.Provider>
    </StrictMode>,
  );
}
