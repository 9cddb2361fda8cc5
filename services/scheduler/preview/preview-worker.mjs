// Preview worker entry: a plain module (workers start without the parent's flags) that
// registers tsx's loader and then runs the TypeScript worker body.
import { register } from 'tsx/esm/api';

register();
await import('./preview-thread.ts');
