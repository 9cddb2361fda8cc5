// Worker thread entry: a plain module (workers are started without the parent's flags) that
// registers tsx's loader and then runs the TypeScript worker body.
import { register } from 'tsx/esm/api';

register();
await import('./worker-body.ts');
