// Owns: zod's configuration for this page, imported first: no `new Function` (zod's JIT), whose
// mere probe would be a violation of the app's CSP (script-src 'self', no unsafe-eval).
import { z } from 'zod';

z.config({ jitless: true });
