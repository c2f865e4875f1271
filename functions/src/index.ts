/**
 * chipid Worker entry (Cloudflare Workers module syntax). The one default export of the codebase: the
 * Workers runtime requires it.
 */
import { createApp } from './app.ts';

const app = createApp();

export default { fetch: app.fetch };
